package dev.vmbus.bus;

/** Event-bus addresses (DESIGN.md, "Event bus"). */
public final class Addresses {
    /** Published channel lifecycle events ({@link ChannelEvent} objects; JSON only at the dashboard and cluster edges). */
    public static final String CHANNELS = "vmbus.channels";
    /** Request: the list of every channel the agent knows (JSON array). */
    public static final String CHANNEL_LIST = "vmbus.channels.list";
    /** Published stats snapshots of every channel. */
    public static final String STATS = "vmbus.stats";
    /** Request: a fresh stats snapshot of every channel (the body {@link #STATS} carries). */
    public static final String STATS_NOW = "vmbus.stats.now";

    private Addresses() {
    }

    /** Where a device class's received packets go: {@code vmbus.device.<class>}. */
    public static String device(String className) {
        return "vmbus.device." + className;
    }

    /** Request: a device handler's state for display (JSON object). */
    public static String deviceState(String className) {
        return device(className) + ".state";
    }

    /**
     * Request, once per opening channel: the channel's {@link dev.vmbus.spi.ChannelPort} to its device, which
     * answers with its {@link dev.vmbus.spi.BatchHandler} for it, or null to take packets one by one
     * ({@code vmbus.device.<class>.attach}; local objects by reference).
     */
    public static String deviceAttach(String className) {
        return device(className) + ".attach";
    }

    /** Send a packet on a channel: {@code vmbus.channel.<relid>.send}. */
    public static String channelSend(int relid) {
        return "vmbus.channel." + relid + ".send";
    }

    /** Request: one open channel's live figures, a {@code ChannelView} (by reference; null if it has none). */
    public static String channelStats(int relid) {
        return "vmbus.channel." + relid + ".stats";
    }
}
