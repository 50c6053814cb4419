package dev.vmbus.device.netvsc;

import dev.vmbus.net.Nvsp;
import dev.vmbus.net.NvspMessage;
import dev.vmbus.net.Rndis;
import io.vertx.core.Context;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A {@link Nic}'s vRSS (spec §3.8): with NVSP 5 or later and more than one queue wanted, the host's RSS
 * capabilities, NVSP 133 for {@code min(wanted, host's) - 1} subchannels, then (once they are open, or after
 * {@code devices.netvsc.answerTimeoutMs} with those that did) the RSS parameters with a 128-entry indirection table over the
 * queues. A host without RSS leaves the NIC on one queue; as Linux's netvsc, one that grants more subchannels than
 * asked for leaves it on its primary alone, and one that refuses the RSS parameters leaves its queues up without
 * them. A granted subchannel that opens after that wait (a host that offers late) still becomes a queue: once the
 * NIC is up, the RSS parameters are set again over every open queue, so the host also receives onto it.
 *
 * <p>Threads: the NIC's (see {@link Nic}).
 */
final class NicVrss {
    /**
     * NDIS object type of RSS capabilities, and the size of their revision 2 as Linux's {@code struct
     * ndis_recv_scale_cap} has it (header, flags, interrupt messages, receive queues, table entries, padding).
     */
    private static final int RSS_CAPS_TYPE = 0x88;
    private static final int RSS_CAPS_SIZE = 20;
    /** NDIS object type of RSS parameters, and their revision-2 size (up to the CPU-mask fields). */
    private static final int RSS_PARAMS_TYPE = 0x89;
    private static final int RSS_PARAMS_SIZE = 40;
    /** Toeplitz over IPv4, TCP/IPv4, IPv6, TCP/IPv6 ({@code NDIS_HASH_*}). */
    private static final int RSS_HASH = 0x1 | 0x100 | 0x200 | 0x400 | 0x1000;
    static final int RSS_TABLE_ENTRIES = 128;
    /** The Toeplitz key of Microsoft's RSS verification suite, which Linux's netvsc uses by default. */
    private static final byte[] RSS_KEY = {
            0x6d, 0x5a, 0x56, (byte) 0xda, 0x25, 0x5b, 0x0e, (byte) 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, (byte) 0xa3,
            (byte) 0x8f, (byte) 0xb0, (byte) 0xd0, (byte) 0xca, 0x2b, (byte) 0xcb, (byte) 0xae, 0x7b, 0x30, (byte) 0xb4,
            0x77, (byte) 0xcb, 0x2d, (byte) 0xa3, (byte) 0x80, 0x30, (byte) 0xf2, 0x0c, 0x6a, 0x42, (byte) 0xb7, 0x3b,
            (byte) 0xbe, (byte) 0xac, 0x01, (byte) 0xfa};

    private final Nic nic;
    private int subchannelsGranted;
    /** Whether {@link #subchannelsGranted} is final: the NIC asked for none, or the host answered how many. */
    private boolean grantKnown;
    private long subchannelTimer = -1;
    /** How many queues the last RSS parameters spread over (1: none were set), and whether a later set is in flight. */
    private int rssQueues = 1;
    private boolean rssSetting;
    /** RSS parameters the host refused (the NIC went on without them). */
    volatile long rssRefusals;

    NicVrss(Nic nic) {
        this.nic = nic;
    }

    void cancelTimer() {
        if (subchannelTimer >= 0) {
            nic.vertx.cancelTimer(subchannelTimer);
            subchannelTimer = -1;
        }
    }

    /** After the link query: vRSS if both ends want it, then {@link NicBringUp#finalFilter}. */
    void start() {
        if (Integer.compareUnsigned(nic.nvspVersion, Nvsp.VERSION_5) < 0 || nic.settings.queues() < 2) {
            granted(0);
            nic.bringUp.finalFilter();
            return;
        }
        nic.control.query(Rndis.OID_GEN_RECEIVE_SCALE_CAPABILITIES, rssCapabilitiesQuery(),
                "RECEIVE_SCALE_CAPABILITIES", true, caps -> {
            if (caps == null) {
                granted(0);
                nic.bringUp.finalFilter();
                return;
            }
            if (caps.length < 16) {
                throw new NetvscFault("the host's RSS capabilities have " + caps.length + " bytes, fewer than 16");
            }
            long hostQueues = Integer.toUnsignedLong(ByteBuffer.wrap(caps).order(ByteOrder.LITTLE_ENDIAN).getInt(12));
            int wanted = (int) Math.min(nic.settings.queues(), hostQueues);
            if (wanted < 2) {
                granted(0);
                nic.bringUp.finalFilter();
                return;
            }
            nic.phase = Nic.Phase.SUBCHANNELS;
            String what = "NVSP SUBCHANNEL (" + (wanted - 1) + ")";
            nic.control.request(new NvspMessage.SubchannelRequest(Nvsp.SUBCHANNEL_ALLOCATE, wanted - 1), what, m -> {
                NvspMessage.SubchannelComplete c = Nic.expect(m, NvspMessage.SubchannelComplete.class, what);
                if (c.status() != Nvsp.STATUS_SUCCESS || c.count() == 0) {
                    Nic.LOG.info("netvsc " + nic.name + ": the host granted no subchannel (status " + c.status()
                            + ")");
                    granted(0);
                    nic.bringUp.finalFilter();
                    return;
                }
                if (Integer.compareUnsigned(c.count(), wanted - 1) > 0) {
                    // Linux's rndis_set_subchannel calls this invalid and netvsc_subchan_work falls back to the
                    // primary alone; the subchannels the host offers are then refused as none of the NIC's queues
                    Nic.LOG.warning("netvsc " + nic.name + ": the host granted " + Integer.toUnsignedString(c.count())
                            + " subchannels, more than the " + (wanted - 1) + " asked for: the NIC takes none and"
                            + " stays on one queue, as Linux's netvsc does");
                    granted(0);
                    nic.bringUp.finalFilter();
                    return;
                }
                granted(c.count());
                Context here = nic.context;
                long timeout = nic.settings.answerTimeoutMs();
                subchannelTimer = nic.vertx.setTimer(timeout, id -> here.runOnContext(v -> {
                    subchannelTimer = -1;
                    if (nic.phase == Nic.Phase.SUBCHANNELS) {
                        Nic.LOG.warning("netvsc " + nic.name + ": " + (nic.queues.size() - 1) + " of "
                                + subchannelsGranted + " subchannels opened within " + Nic.duration(timeout)
                                + "; going on with those");
                        rssParameters();
                    }
                }));
                subchannelsReady();
            });
        });
    }

    /**
     * The NIC now knows how many subchannels it has: {@code count} the host granted (0 when the NIC asked for none or
     * got none). A subchannel that opened before that and is none of them ({@link #refusal}) is refused now.
     */
    private void granted(int count) {
        subchannelsGranted = count;
        grantKnown = true;
        for (NicQueue q : java.util.List.copyOf(nic.queues.values())) {
            String why = q.index > 0 ? refusal(q.relid, q.index) : null;
            if (why != null) {
                nic.refuseSubchannel(q.relid, q.index, why);
            }
        }
    }

    /**
     * Why the subchannel of {@code index} on {@code relid} is none of the NIC's queues, or null if it is one (or may
     * be: until the host answered how many it grants, {@link #granted} judges it then). A queue's index is 1 up to
     * the number granted, each on one channel, as Linux's netvsc opens a subchannel only below its {@code num_chn}.
     */
    String refusal(int relid, int index) {
        if (!grantKnown) {
            return null;
        }
        if (index > subchannelsGranted) {
            return subchannelsGranted == 0 ? "was offered, but the NIC has no subchannel (none was asked for or granted)"
                    : "is past the " + subchannelsGranted + " the host granted";
        }
        for (NicQueue q : nic.queues.values()) {
            if (q.index == index && q.relid != relid) {
                return "has the index of relid " + q.relid + ", subchannel " + index + " already";
            }
        }
        return null;
    }

    /** Once every granted subchannel is open: the RSS parameters; once up, a late one's queue joins them. */
    void subchannelsReady() {
        if (nic.phase == Nic.Phase.SUBCHANNELS && subchannelsGranted > 0
                && nic.queues.size() - 1 >= subchannelsGranted) {
            cancelTimer();
            rssParameters();
        } else if (nic.phase == Nic.Phase.UP) {
            lateQueues();
        }
    }

    /**
     * The NIC is up (on its context): if subchannels opened after the RSS parameters were set (or instead of them,
     * after the wait), the parameters are set again over every open queue, one set at a time (after a packet
     * filter being set, which calls this again when it is done).
     */
    void lateQueues() {
        if (nic.phase != Nic.Phase.UP || subchannelsGranted == 0 || rssSetting || nic.control.busy()) {
            return;
        }
        int[] indexes = queueIndexes();
        if (indexes.length < 2 || indexes.length == rssQueues) {
            return;
        }
        Nic.LOG.info("netvsc " + nic.name + ": " + indexes.length + " queues open, the RSS parameters spread over "
                + rssQueues + " (a subchannel opened late): they are set again");
        rssSetting = true;
        String what = "RECEIVE_SCALE_PARAMETERS (" + indexes.length + " queues, late)";
        nic.control.trySet(Rndis.OID_GEN_RECEIVE_SCALE_PARAMETERS, rssParameters(indexes), what, status -> {
            rssSetting = false;
            rssQueues = indexes.length; // refused, it is not asked again for the same queues
            rssRefused(status, what);
            lateQueues();
            nic.bringUp.applyFilter();
        });
    }

    private int[] queueIndexes() {
        return nic.queues.values().stream().mapToInt(q -> q.index).sorted().toArray();
    }

    private void rssParameters() {
        nic.phase = Nic.Phase.RNDIS;
        int[] indexes = queueIndexes();
        if (indexes.length < 2) {
            nic.bringUp.finalFilter();
            return;
        }
        rssQueues = indexes.length;
        String what = "RECEIVE_SCALE_PARAMETERS (" + indexes.length + " queues)";
        nic.control.trySet(Rndis.OID_GEN_RECEIVE_SCALE_PARAMETERS, rssParameters(indexes), what, status -> {
            rssRefused(status, what);
            nic.bringUp.finalFilter();
        });
    }

    /**
     * The host's answer to the RSS parameters: a refusal is logged and the NIC goes on with its queues, as Linux's
     * {@code rndis_set_subchannel} goes on ("ignore failures from setting rss parameters, still have channels");
     * the host then spreads nothing over them, but each still sends and completes what it carries.
     */
    private void rssRefused(int status, String what) {
        if (status != Rndis.STATUS_SUCCESS) {
            rssRefusals++;
            Nic.LOG.warning("netvsc " + nic.name + ": the host refused RNDIS SET " + what + ": status 0x"
                    + Integer.toHexString(status) + "; the NIC goes on with its queues, as Linux's netvsc does");
        }
    }

    /**
     * The information buffer of the RSS capabilities query: an NDIS object header naming revision 2 of
     * NDIS_RECEIVE_SCALE_CAPABILITIES and its size, the rest zero, as Linux's {@code rndis_filter_query_device}
     * sends it for this OID (DPDK's and FreeBSD's {@code hn_rndis_query_rsscaps} send the same header). Every
     * public guest asks with it; a host that reads the revision asked for from it has one to read.
     */
    static byte[] rssCapabilitiesQuery() {
        byte[] out = new byte[RSS_CAPS_SIZE];
        ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).put(0, (byte) RSS_CAPS_TYPE).put(1, (byte) 2)
                .putShort(2, (short) RSS_CAPS_SIZE);
        return out;
    }

    /** NDIS_RECEIVE_SCALE_PARAMETERS revision 2: the key after the fixed part, then the table over {@code queues}. */
    static byte[] rssParameters(int[] queueIndexes) {
        int keyOffset = RSS_PARAMS_SIZE;
        int tableOffset = keyOffset + RSS_KEY.length;
        byte[] out = new byte[tableOffset + 4 * RSS_TABLE_ENTRIES];
        ByteBuffer b = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
        b.put(0, (byte) RSS_PARAMS_TYPE).put(1, (byte) 2).putShort(2, (short) RSS_PARAMS_SIZE);
        b.putShort(4, (short) 0); // flags
        b.putShort(6, (short) 0); // base CPU
        b.putInt(8, RSS_HASH);
        b.putShort(12, (short) (4 * RSS_TABLE_ENTRIES));
        b.putInt(16, tableOffset);
        b.putShort(20, (short) RSS_KEY.length);
        b.putInt(24, keyOffset);
        b.put(keyOffset, RSS_KEY);
        for (int i = 0; i < RSS_TABLE_ENTRIES; i++) {
            b.putInt(tableOffset + 4 * i, queueIndexes[i % queueIndexes.length]);
        }
        return out;
    }
}
