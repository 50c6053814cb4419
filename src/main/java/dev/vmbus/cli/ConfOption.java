package dev.vmbus.cli;

import picocli.CommandLine.Option;

import java.nio.file.Path;

/** The {@code --conf} option that run, bind, unbind and doctor share (a picocli mixin). */
final class ConfOption {
    @Option(names = "--conf", paramLabel = "FILE", description = "The configuration, which must exist (default: "
            + ConfigFile.DEFAULT_TEXT + ").")
    Path conf;

    /** The file {@code --conf} names, or the default one. */
    ConfigFile file() {
        return ConfigFile.resolve(conf);
    }
}
