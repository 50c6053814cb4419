package dev.vmbus.transport.uio;

import java.nio.file.Path;

/**
 * One channel of a uio device as sysfs shows it ({@code <device>/channels/<relid>/}).
 *
 * @param relid      the channel's relid (the directory name)
 * @param subchannel {@code subchannel_id}: 0 for the primary channel
 * @param monitorId  {@code monitor_id}, or -1 when the kernel hides it (the channel is not monitor-allocated)
 * @param dir        the channel's sysfs directory
 */
public record UioChannel(int relid, int subchannel, int monitorId, Path dir) {

    /** Monitored channels are kicked through the interrupt and monitor pages, never by {@code write(1)}. */
    public boolean monitored() {
        return monitorId >= 0;
    }

    /** The channel's {@code ring} file: both rings, created by the kernel once the channel is open. */
    public Path ringFile() {
        return dir.resolve("ring");
    }
}
