package dev.vmbus.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;
import java.util.Map;

/**
 * The agent's configuration ({@code conf/vmbus.json}): every key has a default, declared once as a {@code DEFAULT_*}
 * constant on the record that holds it (and gathered into each record's {@code DEFAULTS}, {@link #DEFAULTS} for the
 * whole file), and unknown keys or bad values stop start-up with a message naming the key ({@link ConfigLoader}).
 *
 * @param devices per device class: {@code enabled} plus the handler's own settings, checked by the handler
 */
public record VmbusConfig(Transport transport, Map<String, ObjectNode> devices, Dashboard dashboard, Host host,
                          Plugins plugins) {

    /** An empty {@code conf/vmbus.json}: every section's defaults, no device section. */
    public static final VmbusConfig DEFAULTS = new VmbusConfig(Transport.DEFAULTS, Map.of(), Dashboard.DEFAULTS,
            Host.DEFAULTS, Plugins.NONE);

    public VmbusConfig {
        plugins = plugins == null ? Plugins.NONE : plugins;
    }

    /** Without a plug-in directory. */
    public VmbusConfig(Transport transport, Map<String, ObjectNode> devices, Dashboard dashboard, Host host) {
        this(transport, devices, dashboard, host, Plugins.NONE);
    }

    /**
     * {@code plugins}: where plug-in jars are loaded from besides the class path.
     *
     * @param dir a directory of {@code *.jar}, each loaded with {@link java.util.ServiceLoader} in a class loader of
     *            its own (null: none; {@code --plugins DIR} overrides it, and the package's launcher defaults it to
     *            {@code /usr/lib/vmbus/plugins})
     */
    public record Plugins(String dir) {
        /** The default: no plug-in directory. */
        public static final Plugins NONE = new Plugins(null);
    }

    public VmbusConfig withPlugins(Plugins p) {
        return new VmbusConfig(transport, devices, dashboard, host, p);
    }

    /**
     * {@code transport}: where channels come from.
     *
     * @param sysfsRoot uio: where {@code bus/vmbus/devices} and {@code class/uio} are
     * @param devRoot   uio: where the {@code uioN} device nodes are
     * @param procRoot  uio: where {@code sys/kernel/osrelease} and {@code self/auxv} are ({@code /proc})
     * @param kernel    uio: what the running {@code uio_hv_generic} does, where its release number cannot say
     *                  (distribution backports); every null field is detected
     * @param maxBufferPercent uio: {@code vmbus bind} refuses without {@code --force} when the receive and send
     *                  buffers the kernel gives bound devices (uio maps 3 and 4, 47 MiB each on 4.16 to 6.13) would
     *                  take more than this share of {@code MemTotal}, in percent
     * @param runDir    uio: where {@code vmbus bind} records the driver each device had, for {@code vmbus unbind}
     *                  (under {@code bound/}); a tmpfs such as {@code /run}, since the bindings themselves live in
     *                  kernel memory and end with the boot
     * @param stateDir  uio: where {@code vmbus bind --force} records what the operator accepted for a class (under
     *                  {@code forced/}), so that {@code vmbus bind --enabled} re-binds it at boot while those facts
     *                  hold; kept across reboots, removed by {@code vmbus unbind} and the package's purge
     */
    public record Transport(TransportType type, String shmDir, String sysfsRoot, String devRoot, String procRoot,
                            Kernel kernel, double maxBufferPercent, String runDir, String stateDir) {
        public static final TransportType DEFAULT_TYPE = TransportType.SIM;
        public static final String DEFAULT_SHM_DIR = "/dev/shm/vmbus";
        public static final String DEFAULT_SYSFS_ROOT = "/sys";
        public static final String DEFAULT_DEV_ROOT = "/dev";
        public static final String DEFAULT_PROC_ROOT = "/proc";
        public static final double DEFAULT_MAX_BUFFER_PERCENT = 10;
        public static final String DEFAULT_RUN_DIR = "/run/vmbus";
        public static final String DEFAULT_STATE_DIR = "/var/lib/vmbus";
        /** Every key's default; the kernel's features detected. */
        public static final Transport DEFAULTS = new Transport(DEFAULT_TYPE, DEFAULT_SHM_DIR, DEFAULT_SYSFS_ROOT,
                DEFAULT_DEV_ROOT, DEFAULT_PROC_ROOT, Kernel.DETECT, DEFAULT_MAX_BUFFER_PERCENT, DEFAULT_RUN_DIR,
                DEFAULT_STATE_DIR);

        public Transport {
            kernel = kernel == null ? Kernel.DETECT : kernel;
            runDir = runDir == null ? DEFAULT_RUN_DIR : runDir;
            stateDir = stateDir == null ? DEFAULT_STATE_DIR : stateDir;
        }

        public Transport(TransportType type, String shmDir, String sysfsRoot, String devRoot, String procRoot,
                         Kernel kernel, double maxBufferPercent, String runDir) {
            this(type, shmDir, sysfsRoot, devRoot, procRoot, kernel, maxBufferPercent, runDir, DEFAULT_STATE_DIR);
        }

        public Transport(TransportType type, String shmDir, String sysfsRoot, String devRoot, String procRoot,
                         Kernel kernel, double maxBufferPercent) {
            this(type, shmDir, sysfsRoot, devRoot, procRoot, kernel, maxBufferPercent, DEFAULT_RUN_DIR);
        }

        public Transport(TransportType type, String shmDir, String sysfsRoot, String devRoot, String procRoot,
                         Kernel kernel) {
            this(type, shmDir, sysfsRoot, devRoot, procRoot, kernel, DEFAULT_MAX_BUFFER_PERCENT);
        }

        /** With the default {@code procRoot} and a detected kernel. */
        public Transport(TransportType type, String shmDir, String sysfsRoot, String devRoot) {
            this(type, shmDir, sysfsRoot, devRoot, DEFAULT_PROC_ROOT, Kernel.DETECT);
        }

        /** With the default {@code devRoot} ({@code /dev}). */
        public Transport(TransportType type, String shmDir, String sysfsRoot) {
            this(type, shmDir, sysfsRoot, DEFAULT_DEV_ROOT);
        }

        public Transport withType(TransportType t) {
            return new Transport(t, shmDir, sysfsRoot, devRoot, procRoot, kernel, maxBufferPercent, runDir, stateDir);
        }

        public Transport withShmDir(String dir) {
            return new Transport(type, dir, sysfsRoot, devRoot, procRoot, kernel, maxBufferPercent, runDir, stateDir);
        }
    }

    /**
     * {@code transport.kernel}: features stated by the operator (see KernelFeatures); null = detect.
     *
     * @param release          stands in for {@code /proc/sys/kernel/osrelease}
     * @param pageSize         stands in for the detected page size
     * @param slowChannels     the kernel has 547fa4ffd799 (mainline 6.10) or a backport of it
     * @param allChannelEvents the kernel has d062463edf17 (mainline 6.16) or a backport of it
     * @param alignedMaps      the kernel has 09eea7ad0b8e (mainline 6.16) or a backport of it
     * @param rescindSafe      the kernel has fb1adbd7e50f (mainline 6.11, stable from 2024-09) or a backport of it
     */
    public record Kernel(String release, Integer pageSize, Boolean slowChannels, Boolean allChannelEvents,
                         Boolean alignedMaps, Boolean rescindSafe) {
        /** The default: every feature detected. */
        public static final Kernel DETECT = new Kernel(null, null, null, null, null, null);
    }

    /** {@code dashboard}: the web dashboard and API. */
    public record Dashboard(boolean enabled, String host, int port, String token, long updateIntervalMs, Health health) {
        public static final boolean DEFAULT_ENABLED = true;
        /** Loopback: anything else requires a token. */
        public static final String DEFAULT_HOST = "127.0.0.1";
        public static final int DEFAULT_PORT = 8080;
        /** No token (unless {@code VMBUS_DASHBOARD_TOKEN} gives one). */
        public static final String DEFAULT_TOKEN = null;
        public static final long DEFAULT_UPDATE_INTERVAL_MS = 1000;
        /** The shortest {@code updateIntervalMs} allowed. */
        public static final long MIN_UPDATE_INTERVAL_MS = 100;
        /** Every key's default. */
        public static final Dashboard DEFAULTS = new Dashboard(DEFAULT_ENABLED, DEFAULT_HOST, DEFAULT_PORT,
                DEFAULT_TOKEN, DEFAULT_UPDATE_INTERVAL_MS, Health.DEFAULTS);

        /** Whether {@code port} can be a {@code dashboard.port} (0: any free port), from the file or a command line. */
        public static boolean validPort(int port) {
            return port >= 0 && port <= 65535;
        }

        /** With the default health thresholds. */
        public Dashboard(boolean enabled, String host, int port, String token, long updateIntervalMs) {
            this(enabled, host, port, token, updateIntervalMs, Health.DEFAULTS);
        }

        /** The token from the config file, else from {@code VMBUS_DASHBOARD_TOKEN}, else null. */
        public String effectiveToken() {
            if (token != null) {
                return token;
            }
            String env = System.getenv("VMBUS_DASHBOARD_TOKEN");
            return env == null || env.isBlank() ? null : env;
        }
    }

    /**
     * {@code dashboard.health}: when a channel or device needs attention (docs/OPERATIONS.md, "Health").
     *
     * @param heartbeatLateMs  no heartbeat from the host for this long: late (warning)
     * @param heartbeatLostMs  no heartbeat for this long: lost (critical)
     * @param ringFillPercent  a ring fuller than this: warning
     * @param timesyncOffsetMs |host - guest| beyond this: warning
     * @param timesyncStaleMs  no time sample for this long: warning
     * @param vssFrozenMs      file systems frozen for longer than this: critical
     * @param fcopyStuckMs     a file copy with no data for this long: warning
     */
    public record Health(long heartbeatLateMs, long heartbeatLostMs, double ringFillPercent, double timesyncOffsetMs,
                         long timesyncStaleMs, long vssFrozenMs, long fcopyStuckMs) {
        public static final long DEFAULT_HEARTBEAT_LATE_MS = 5_000;
        public static final long DEFAULT_HEARTBEAT_LOST_MS = 15_000;
        public static final double DEFAULT_RING_FILL_PERCENT = 80.0;
        public static final double DEFAULT_TIMESYNC_OFFSET_MS = 100.0;
        public static final long DEFAULT_TIMESYNC_STALE_MS = 30_000;
        public static final long DEFAULT_VSS_FROZEN_MS = 60_000;
        public static final long DEFAULT_FCOPY_STUCK_MS = 60_000;
        /** Every threshold's default. */
        public static final Health DEFAULTS = new Health(DEFAULT_HEARTBEAT_LATE_MS, DEFAULT_HEARTBEAT_LOST_MS,
                DEFAULT_RING_FILL_PERCENT, DEFAULT_TIMESYNC_OFFSET_MS, DEFAULT_TIMESYNC_STALE_MS, DEFAULT_VSS_FROZEN_MS,
                DEFAULT_FCOPY_STUCK_MS);
    }

    /**
     * {@code host}: the simulated host.
     *
     * @param clockOffsetMs the host clock's offset from this machine's, given to the guest by timesync
     * @param clockDriftPpm how fast (positive) or slow the host clock runs, parts per million
     * @param referenceCounterAheadMs how far the partition reference counter that timesync samples carry runs
     *                                ahead of the guest's CLOCK_MONOTONIC_RAW (a real partition is created
     *                                before the guest's kernel starts its clocks)
     * @param extraHeartbeats heartbeat channels offered beyond the six ICs (relids 7 on), to try many channels
     * @param nic             the synthetic NIC the host offers, if enabled
     * @param offers          channels of other classes (a plug-in's) the host offers after all of those
     */
    public record Host(long heartbeatIntervalMs, long timesyncIntervalMs, long clockOffsetMs, double clockDriftPpm,
                       long referenceCounterAheadMs, int extraHeartbeats, Nic nic, List<HostOffer> offers) {
        public static final long DEFAULT_HEARTBEAT_INTERVAL_MS = 2_000;
        public static final long DEFAULT_TIMESYNC_INTERVAL_MS = 5_000;
        public static final long DEFAULT_CLOCK_OFFSET_MS = 0;
        public static final double DEFAULT_CLOCK_DRIFT_PPM = 0.0;
        /** The default lead of the reference counter: about what firmware and a boot loader take. */
        public static final long DEFAULT_REFERENCE_COUNTER_AHEAD_MS = 17_000;
        public static final int DEFAULT_EXTRA_HEARTBEATS = 0;
        /** Every key's default: no NIC, no offers of other classes. */
        public static final Host DEFAULTS = new Host(DEFAULT_HEARTBEAT_INTERVAL_MS, DEFAULT_TIMESYNC_INTERVAL_MS,
                DEFAULT_CLOCK_OFFSET_MS, DEFAULT_CLOCK_DRIFT_PPM, DEFAULT_REFERENCE_COUNTER_AHEAD_MS,
                DEFAULT_EXTRA_HEARTBEATS, Nic.DISABLED, List.of());

        public Host {
            nic = nic == null ? Nic.DISABLED : nic;
            offers = offers == null ? List.of() : List.copyOf(offers);
        }

        /** Without a NIC. */
        public Host(long heartbeatIntervalMs, long timesyncIntervalMs, long clockOffsetMs, double clockDriftPpm,
                    long referenceCounterAheadMs, int extraHeartbeats) {
            this(heartbeatIntervalMs, timesyncIntervalMs, clockOffsetMs, clockDriftPpm, referenceCounterAheadMs,
                    extraHeartbeats, Nic.DISABLED);
        }

        /** Without offers of other classes. */
        public Host(long heartbeatIntervalMs, long timesyncIntervalMs, long clockOffsetMs, double clockDriftPpm,
                    long referenceCounterAheadMs, int extraHeartbeats, Nic nic) {
            this(heartbeatIntervalMs, timesyncIntervalMs, clockOffsetMs, clockDriftPpm, referenceCounterAheadMs,
                    extraHeartbeats, nic, List.of());
        }

        public Host withNic(Nic n) {
            return new Host(heartbeatIntervalMs, timesyncIntervalMs, clockOffsetMs, clockDriftPpm,
                    referenceCounterAheadMs, extraHeartbeats, n, offers);
        }

        public Host withOffers(List<HostOffer> o) {
            return new Host(heartbeatIntervalMs, timesyncIntervalMs, clockOffsetMs, clockDriftPpm,
                    referenceCounterAheadMs, extraHeartbeats, nic, o);
        }

        /** With the default reference counter lead. */
        public Host(long heartbeatIntervalMs, long timesyncIntervalMs, long clockOffsetMs, double clockDriftPpm) {
            this(heartbeatIntervalMs, timesyncIntervalMs, clockOffsetMs, clockDriftPpm,
                    DEFAULT_REFERENCE_COUNTER_AHEAD_MS);
        }

        /** Without extra heartbeat channels. */
        public Host(long heartbeatIntervalMs, long timesyncIntervalMs, long clockOffsetMs, double clockDriftPpm,
                    long referenceCounterAheadMs) {
            this(heartbeatIntervalMs, timesyncIntervalMs, clockOffsetMs, clockDriftPpm, referenceCounterAheadMs,
                    DEFAULT_EXTRA_HEARTBEATS);
        }
    }

    /**
     * {@code host.nic}: the simulated host's synthetic NIC (netvsc), class f8615163-df3e-46c5-913f-f2d2f965ed0e.
     *
     * @param enabled offer the NIC
     * @param backend where its frames go: {@code none} (taken and discarded), {@code loopback} (each frame the
     *                guest sends comes back to it), {@code tap} (a TAP interface named {@code tap})
     * @param tap     the TAP interface of the {@code tap} backend
     * @param queues  receive queues: the primary channel and up to {@code queues - 1} subchannels (1..64)
     * @param count   how many such NICs the host offers (1..8), as a VM has several network adapters; see
     *                {@link #adapter}
     * @param mac     the NIC's MAC address, six hex pairs separated by ':'
     * @param mtu     the link MTU the guest is told (1280..9202; the Ethernet header comes on top)
     * @param faults  host mistakes to make on purpose, to test a guest
     */
    public record Nic(boolean enabled, String backend, String tap, int queues, int count, String mac, int mtu,
                      NicFaults faults) {
        public static final boolean DEFAULT_ENABLED = false;
        public static final String DEFAULT_BACKEND = "none";
        public static final String DEFAULT_TAP = "vmbushost0";
        public static final int DEFAULT_QUEUES = 1;
        public static final int DEFAULT_COUNT = 1;
        public static final int MAX_COUNT = 8;
        public static final String DEFAULT_MAC = "00:15:5d:56:4d:01";
        public static final int DEFAULT_MTU = 1500;
        /** Every key's default (so not offered); no faults. */
        public static final Nic DISABLED = new Nic(DEFAULT_ENABLED, DEFAULT_BACKEND, DEFAULT_TAP, DEFAULT_QUEUES,
                DEFAULT_COUNT, DEFAULT_MAC, DEFAULT_MTU, NicFaults.NONE);

        public Nic {
            faults = faults == null ? NicFaults.NONE : faults;
        }

        public Nic withEnabled(boolean on) {
            return new Nic(on, backend, tap, queues, count, mac, mtu, faults);
        }

        public Nic withBackend(String b) {
            return new Nic(enabled, b, tap, queues, count, mac, mtu, faults);
        }

        public Nic withQueues(int q) {
            return new Nic(enabled, backend, tap, q, count, mac, mtu, faults);
        }

        public Nic withFaults(NicFaults f) {
            return new Nic(enabled, backend, tap, queues, count, mac, mtu, f);
        }

        /**
         * Adapter {@code k} (0..count - 1) of the {@code count} alike: its MAC is {@link #mac} with {@code k} added
         * to the last byte, its TAP {@link #tap} numbered on by {@code k} ({@link InterfaceNames#nth}:
         * {@code vmbushost0}, {@code vmbushost1} ...); adapter 0 is this one.
         */
        public Nic adapter(int k) {
            if (k < 0 || k >= count) {
                throw new IllegalArgumentException("no NIC " + k + " of " + count);
            }
            if (k == 0) {
                return this;
            }
            int last = Integer.parseInt(mac.substring(mac.length() - 2), 16) + k;
            String m = mac.substring(0, mac.length() - 2) + String.format("%02x", last);
            return new Nic(enabled, backend, InterfaceNames.nth(tap, k), queues, count, m, mtu, faults);
        }
    }

    /**
     * {@code host.nic.faults}: each makes the simulated NIC break one check a guest must make (spec
     * netvsc-and-buffers.md §5.1, H9), so a test can show the guest faulting only that channel.
     *
     * @param wrongPageSetId         transfer-page packets name a page set other than the receive buffer's id
     * @param rangePastBuffer        each transfer-page packet's last range starts at the receive buffer's end
     * @param transactionIdPastSlots transfer-page packets carry a transaction id past the slot count
     * @param withholdCompletions    the guest's RNDIS packets are never completed
     * @param twoReceiveSections     NVSP 102 announces two receive sections (guests require one)
     * @param zeroSectionSize        NVSP 105 announces send sections of 0 bytes
     * @param failInit               NVSP INIT is answered with status FAIL
     * @param smallerGrant           one subchannel fewer is granted than the guest asks for (and may have)
     * @param nvspGarbage            NVSP INIT is answered with a message of no known type
     * @param rndisGarbage           RNDIS INITIALIZE is answered with a message whose length runs past its range
     * @param lateSubchannelOffer    the subchannels granted are offered only after the guest's next RNDIS control
     *                               message, that is once it has stopped waiting for them (DPDK retries for 10 s)
     * @param keepSubchannels        the subchannels stay offered and open when the guest closes the primary (this
     *                               host otherwise rescinds them then): a guest must close them itself, as Linux's
     *                               {@code vmbus_close} closes a primary's subchannels before the primary
     */
    public record NicFaults(boolean wrongPageSetId, boolean rangePastBuffer, boolean transactionIdPastSlots,
                            boolean withholdCompletions, boolean twoReceiveSections, boolean zeroSectionSize,
                            boolean failInit, boolean smallerGrant, boolean nvspGarbage, boolean rndisGarbage,
                            boolean lateSubchannelOffer, boolean keepSubchannels) {
        /** The default: the NIC makes no mistake on purpose. */
        public static final NicFaults NONE = new NicFaults(false, false, false, false, false, false, false, false,
                false, false, false, false);

        /** The knobs by name, as the config and the host's control take them. */
        public static final java.util.List<String> NAMES = java.util.List.of("wrongPageSetId", "rangePastBuffer",
                "transactionIdPastSlots", "withholdCompletions", "twoReceiveSections", "zeroSectionSize",
                "failInit", "smallerGrant", "nvspGarbage", "rndisGarbage", "lateSubchannelOffer", "keepSubchannels");

        /** These knobs with {@code name} set to {@code on}. */
        public NicFaults with(String name, boolean on) {
            boolean[] v = {wrongPageSetId, rangePastBuffer, transactionIdPastSlots, withholdCompletions,
                    twoReceiveSections, zeroSectionSize, failInit, smallerGrant, nvspGarbage, rndisGarbage,
                    lateSubchannelOffer, keepSubchannels};
            int i = NAMES.indexOf(name);
            if (i < 0) {
                throw new IllegalArgumentException("no NIC fault knob '" + name + "' (knobs: "
                        + String.join(", ", NAMES) + ")");
            }
            v[i] = on;
            return new NicFaults(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11]);
        }
    }

    /**
     * One entry of {@code host.offers}: channels of a class the simulated host offers (checked by
     * {@link ConfigLoader}; absent keys are null and take the defaults below).
     *
     * @param classId  the class GUID (required)
     * @param instance the instance GUID of the (one) channel; default: derived from the class and the channel's index,
     *                 the same at every start
     * @param ringSize bytes per ring direction, header page included: a multiple of 4096, 8192..16 MiB (default 16384)
     * @param count    how many channels (devices) of the class: 1..64 (default 1)
     * @param answer    who answers on the host: {@code counterpart} (the plug-in's {@code HostPlugin}, which must be
     *                  installed), {@code script} ({@code send} and {@code echo}) or {@code recording} (the exchange
     *                  in the file {@code recording} names, replayed); default: {@code recording} when that key is
     *                  set, else the counterpart if one is installed for the class, else the script
     * @param send      the script's messages (UTF-8 text), sent one at a time once the guest opens (default none)
     * @param echo      the script (or the recording, once it has ended) sends back every other packet the guest
     *                  writes (default true for the script, false for a recording)
     * @param settings  the counterpart's settings object (default empty)
     * @param recording the file of a recorded exchange (a JSON array of steps; docs/PLUGINS.md) the host replays,
     *                  absolute or relative to the working directory
     */
    public record HostOffer(String classId, String instance, Integer ringSize, Integer count, String answer,
                            List<String> send, Boolean echo, ObjectNode settings, String recording) {
        public static final int DEFAULT_RING_SIZE = 16 * 1024;
        public static final int DEFAULT_COUNT = 1;

        public int ringSizeOrDefault() {
            return ringSize != null ? ringSize : DEFAULT_RING_SIZE;
        }

        public int countOrDefault() {
            return count != null ? count : DEFAULT_COUNT;
        }

        public List<String> sendOrNone() {
            return send != null ? send : List.of();
        }

        public boolean echoOrDefault() {
            return echo != null ? echo : !answersWithRecording();
        }

        /** Whether the host answers with the recorded exchange in {@link #recording}. */
        public boolean answersWithRecording() {
            return "recording".equals(answer) || (answer == null && recording != null);
        }
    }

    public VmbusConfig withTransport(Transport t) {
        return new VmbusConfig(t, devices, dashboard, host, plugins);
    }

    public VmbusConfig withDashboard(Dashboard d) {
        return new VmbusConfig(transport, devices, d, host, plugins);
    }

    static boolean isObject(JsonNode n) {
        return n != null && n.isObject();
    }
}
