package dev.vmbus.transport.uio.admin;

import dev.vmbus.config.ConfigLoader;
import dev.vmbus.config.VmbusConfig;
import dev.vmbus.transport.uio.KernelFeatures;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Where {@code doctor}, {@code bind} and {@code run --transport uio} look at the machine: the configuration
 * ({@code --conf}, else the defaults), with {@code --sysfs-root} / {@code --proc-root} taking precedence, and the
 * kernel's features detected from there with {@code transport.kernel} applied. Immutable.
 */
public record SystemView(VmbusConfig config, Path sysfsRoot, Path procRoot) {

    /** {@code conf} null means the defaults; a null root means the configuration's. */
    public static SystemView of(Path conf, String sysfsRoot, String procRoot) {
        VmbusConfig config = conf != null ? ConfigLoader.load(conf) : VmbusConfig.DEFAULTS;
        return of(config, sysfsRoot, procRoot);
    }

    public static SystemView of(VmbusConfig config, String sysfsRoot, String procRoot) {
        return new SystemView(config, Path.of(sysfsRoot != null ? sysfsRoot : config.transport().sysfsRoot()),
                Path.of(procRoot != null ? procRoot : config.transport().procRoot()));
    }

    public KernelFeatures kernel() throws IOException {
        VmbusConfig.Kernel k = config.transport().kernel();
        return KernelFeatures.detect(procRoot, sysfsRoot, Path.of(config.transport().devRoot()), new KernelFeatures.Overrides(
                k.release(), k.pageSize(), k.slowChannels(), k.allChannelEvents(), k.alignedMaps(), k.rescindSafe()));
    }
}
