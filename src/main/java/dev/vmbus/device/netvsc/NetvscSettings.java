package dev.vmbus.device.netvsc;

/**
 * {@code devices.netvsc}: where the synthetic NIC's frames go and how it asks the host for things.
 *
 * @param backend            {@code eventbus} (frames on the event bus, docs/METRICS.md) or {@code tap} (a Linux TAP)
 * @param tap                the TAP interface's name, and the NIC's name on the event bus
 * @param mtu                the IP MTU asked for (the host may give less, and a send section may hold less); the
 *                           NDIS MTU is this + 14
 * @param queues             receive queues wanted: more than 1 asks the host for subchannels (vRSS, NVSP 5+)
 * @param controlOverSection send RNDIS control messages through a send section instead of GPA-direct (for hosts
 *                           that accept it, or where there is no guest memory; spec §4)
 * @param answerTimeoutMs    how long the host may take to answer one bring-up request (and to open the subchannels
 *                           it granted) before the NIC ends its channel with the reason
 */
public record NetvscSettings(Backend backend, String tap, int mtu, int queues, boolean controlOverSection,
                             long answerTimeoutMs) {
    public static final String DEFAULT_TAP = "vmbus0";
    public static final int DEFAULT_MTU = 1500;
    /** IPv6's minimum, and the largest IP MTU whose frame fits NDIS's 9216 (OpenVMM). */
    public static final int MIN_MTU = 1280;
    public static final int MAX_MTU = 9216 - 14;
    /** NETVSP_MAX_SUBCHANNELS_PER_VNIC + the primary. */
    public static final int MAX_QUEUES = 64;
    public static final long DEFAULT_ANSWER_TIMEOUT_MS = 10_000;
    public static final long MIN_ANSWER_TIMEOUT_MS = 100;
    public static final long MAX_ANSWER_TIMEOUT_MS = 600_000;

    /** Where frames go; in the config, the constant's name in lower case. */
    public enum Backend {
        EVENTBUS("eventbus"), TAP("tap");

        private final String key;

        Backend(String key) {
            this.key = key;
        }

        public String key() {
            return key;
        }
    }

    public NetvscSettings {
        if (backend == null) {
            throw new IllegalArgumentException("'backend' must be \"eventbus\" or \"tap\", got null");
        }
        checkInterfaceName(tap);
        if (mtu < MIN_MTU || mtu > MAX_MTU) {
            throw new IllegalArgumentException("'mtu' must be " + MIN_MTU + ".." + MAX_MTU + ", got " + mtu);
        }
        if (queues < 1 || queues > MAX_QUEUES) {
            throw new IllegalArgumentException("'queues' must be 1.." + MAX_QUEUES + ", got " + queues);
        }
        if (answerTimeoutMs < MIN_ANSWER_TIMEOUT_MS || answerTimeoutMs > MAX_ANSWER_TIMEOUT_MS) {
            throw new IllegalArgumentException("'answerTimeoutMs' must be " + MIN_ANSWER_TIMEOUT_MS + ".."
                    + MAX_ANSWER_TIMEOUT_MS + ", got " + answerTimeoutMs);
        }
    }

    /** The defaults: event bus, {@code vmbus0}, MTU 1500, one queue, control messages GPA-direct, answers in 10 s. */
    public static NetvscSettings defaults() {
        return new NetvscSettings(Backend.EVENTBUS, DEFAULT_TAP, DEFAULT_MTU, 1, false, DEFAULT_ANSWER_TIMEOUT_MS);
    }

    /** A Linux interface name: 1 to 15 bytes, no '/', ':' or white space, not "." or "..". */
    static void checkInterfaceName(String name) {
        if (!dev.vmbus.config.InterfaceNames.valid(name)) {
            throw new IllegalArgumentException("'tap' must be a Linux interface name ("
                    + dev.vmbus.config.InterfaceNames.RULE + "), got '" + name + "'");
        }
    }
}
