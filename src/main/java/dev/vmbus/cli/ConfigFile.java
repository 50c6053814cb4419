package dev.vmbus.cli;

import dev.vmbus.config.ConfigLoader;
import dev.vmbus.config.VmbusConfig;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Which configuration file a command reads. A file given with {@code --conf} must exist. Without one, the default
 * file is read when it exists and the built-in defaults are used when it does not, which the command says once
 * ({@link #note()}). The default file is {@code /etc/vmbus/vmbus.json} for the installed {@code vmbus} (its
 * launcher sets the system property {@value #DEFAULT_PROPERTY}) and {@code conf/vmbus.json} for {@code java -jar}.
 *
 * @param file        the file to read, or empty for the built-in defaults
 * @param defaultFile the default file, also when it was not used
 */
record ConfigFile(Optional<Path> file, Path defaultFile) {
    /** The system property naming the default file; {@code /usr/bin/vmbus} sets it. */
    static final String DEFAULT_PROPERTY = "vmbus.defaultConf";
    /** The default file when the property is not set: the jar run from the project's directory. */
    static final Path JAR_DEFAULT = Path.of("conf/vmbus.json");
    /** For option descriptions. */
    static final String DEFAULT_TEXT = "/etc/vmbus/vmbus.json for the installed vmbus, conf/vmbus.json for java -jar;"
            + " the built-in defaults when that file does not exist";

    /** This process's default file. */
    static Path processDefault() {
        String p = System.getProperty(DEFAULT_PROPERTY);
        return p == null || p.isBlank() ? JAR_DEFAULT : Path.of(p);
    }

    /** {@code explicit} (from {@code --conf}, null when not given) against this process's default file. */
    static ConfigFile resolve(Path explicit) {
        return resolve(explicit, processDefault());
    }

    static ConfigFile resolve(Path explicit, Path defaultFile) {
        if (explicit != null) {
            return new ConfigFile(Optional.of(explicit), defaultFile);
        }
        return new ConfigFile(Files.exists(defaultFile) ? Optional.of(defaultFile) : Optional.empty(), defaultFile);
    }

    /** The configuration: the file merged over the defaults (a missing or bad file is a ConfigException), or the defaults. */
    VmbusConfig load() {
        return file.map(ConfigLoader::load).orElse(VmbusConfig.DEFAULTS);
    }

    /** What the command says once when no file is read; empty when one is. */
    Optional<String> note() {
        return file.isPresent() ? Optional.empty()
                : Optional.of("no configuration file " + defaultFile + "; using the built-in defaults");
    }

    /** One line naming where the configuration came from. */
    String describe() {
        return file.map(f -> "configuration " + f).orElseGet(() -> note().orElseThrow());
    }
}
