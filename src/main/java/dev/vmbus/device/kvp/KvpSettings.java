package dev.vmbus.device.kvp;

import dev.vmbus.spi.DeviceConfig;
import dev.vmbus.spi.DeviceContext;
import dev.vmbus.config.TransportType;

import java.nio.file.Path;
import java.util.List;

/**
 * The {@code devices.kvp} section.
 *
 * @param poolDir      where the {@code .kvp_pool_N} files and {@code ifcfg-<nic>} files live
 * @param dryRun       SET_IP_INFO writes its file but does not run {@code setIpCommand}
 * @param setIpCommand the hook run with the written file's path appended (Linux runs {@code hv_set_ifconfig})
 * @param sysfsRoot    where {@code class/net} is, to find a NIC by its VMBus instance id
 */
public record KvpSettings(Path poolDir, boolean dryRun, List<String> setIpCommand, Path sysfsRoot) {
    /** The daemon's directory, the default on a real guest. */
    public static final String DEFAULT_POOL_DIR_UIO = "/var/lib/hyperv";
    /** Under the working directory elsewhere, so that a sim run never touches the system's pools. */
    public static final String DEFAULT_POOL_DIR = "data/kvp";
    public static final List<String> DEFAULT_SET_IP_COMMAND = List.of("hv_set_ifconfig");
    public static final String DEFAULT_SYSFS_ROOT = "/sys";

    public KvpSettings {
        DeviceConfig.required("poolDir", poolDir, "a non-empty path string");
        setIpCommand = DeviceConfig.command("setIpCommand", setIpCommand, false);
        DeviceConfig.required("sysfsRoot", sysfsRoot, "a non-empty path string");
    }

    /** The defaults on {@code context}'s transport: the daemon's pool directory and real runs on uio only. */
    public static KvpSettings defaults(DeviceContext context) {
        return new KvpSettings(Path.of(context.transport() == TransportType.UIO ? DEFAULT_POOL_DIR_UIO : DEFAULT_POOL_DIR),
                context.simulated(), DEFAULT_SET_IP_COMMAND, Path.of(DEFAULT_SYSFS_ROOT));
    }
}
