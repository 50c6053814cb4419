package dev.vmbus.device.netvsc;

import dev.vmbus.net.FramePort;
import dev.vmbus.net.Nvsp;
import dev.vmbus.net.NvspMessage;
import dev.vmbus.net.Rndis;
import dev.vmbus.net.RndisMessage;
import dev.vmbus.runtime.LoopReadiness;
import dev.vmbus.spi.SendSections;
import dev.vmbus.transport.ChannelBuffer;
import dev.vmbus.transport.GuestMemory;
import dev.vmbus.transport.GuestPages;
import io.vertx.core.Context;

import java.io.IOException;

/**
 * A {@link Nic}'s bring-up (spec §3.1–§3.7): NVSP INIT from 6.1 down, NDIS config and version, the receive and send
 * buffers by GPADL handle, RNDIS INITIALIZE, the packet filter, MTU (at most the host's and what a send section
 * holds), MAC and link, vRSS ({@link NicVrss}), the final packet filter, then the backend. Each answer is checked as
 * Linux checks it.
 *
 * <p>Threads: the NIC's (see {@link Nic}).
 */
final class NicBringUp {
    private final Nic nic;
    volatile int maxPacketsPerMessage;
    volatile int packetAlignment;

    NicBringUp(Nic nic) {
        this.nic = nic;
    }

    /** Starts bring-up: the buffers and (for GPA-direct control messages) a page of guest memory, then NVSP INIT. */
    void start() {
        nic.receiveBuffer = nic.primary.buffer(ChannelBuffer.Kind.RECEIVE).orElse(null);
        nic.sendBuffer = nic.primary.buffer(ChannelBuffer.Kind.SEND).orElse(null);
        if (nic.receiveBuffer == null || nic.sendBuffer == null) {
            nic.failAndEnd("the host shares no " + (nic.receiveBuffer == null ? "receive" : "send")
                    + " buffer with channel " + nic.relid() + " (a synthetic NIC needs both, uio maps 3 and 4)");
            return;
        }
        nic.receiveMemory = nic.receiveBuffer.slice(0, nic.receiveBuffer.size());
        nic.sendMemory = nic.sendBuffer.slice(0, nic.sendBuffer.size());
        if (nic.settings.controlOverSection()) {
            negotiate(0);
            return;
        }
        GuestMemory memory = nic.primary.guestMemory();
        if (memory.unavailableReason() != null) {
            nic.failAndEnd("RNDIS control messages go GPA-direct from guest memory, which is unavailable: "
                    + memory.unavailableReason() + " (devices.netvsc.controlOverSection sends them through a send"
                    + " section instead)");
            return;
        }
        nic.vertx.<GuestPages>executeBlocking(() -> memory.allocate(1)).onComplete(ar -> {
            if (ar.failed()) {
                nic.failAndEnd("no page of guest memory for RNDIS control messages: " + ar.cause().getMessage());
            } else if (nic.phase == Nic.Phase.CLOSED) {
                ar.result().close();
            } else {
                nic.control.page = ar.result();
                negotiate(0);
            }
        });
    }

    /** NVSP INIT with {@link Nvsp#GUEST_VERSIONS}[i], min = max; a status other than SUCCESS tries the next. */
    private void negotiate(int i) {
        if (i >= Nvsp.GUEST_VERSIONS.length) {
            throw new NetvscFault("the host accepted none of NVSP 6.1, 6, 5, 4 and 2");
        }
        nic.phase = Nic.Phase.NVSP;
        int v = Nvsp.GUEST_VERSIONS[i];
        String what = "NVSP INIT " + Nvsp.versionName(v);
        nic.control.request(new NvspMessage.Init(v, v), what, m -> {
            NvspMessage.InitComplete c = Nic.expect(m, NvspMessage.InitComplete.class, what);
            if (c.status() != Nvsp.STATUS_SUCCESS) {
                negotiate(i + 1);
                return;
            }
            nic.nvspVersion = v;
            buffers();
        });
    }

    /** NDIS config and version, then the receive and send buffers by GPADL handle. */
    private void buffers() {
        nic.phase = Nic.Phase.BUFFERS;
        ChannelBuffer receive = nic.receiveBuffer;
        nic.control.post(new NvspMessage.NdisConfig(nic.settings.mtu() + Nic.ETHERNET_HEADER, Nvsp.CAP_IEEE8021Q));
        nic.control.post(new NvspMessage.NdisVersion(Nvsp.NDIS_MAJOR, Nvsp.ndisMinorFor(nic.nvspVersion)));
        String what = "NVSP SEND_RECV_BUF (GPADL " + Integer.toUnsignedString(receive.gpadl()) + ")";
        nic.control.request(new NvspMessage.SendReceiveBuffer(receive.gpadl(), Nvsp.RECEIVE_BUFFER_ID), what, m -> {
            NvspMessage.ReceiveBufferComplete c = Nic.expect(m, NvspMessage.ReceiveBufferComplete.class, what);
            if (c.status() != Nvsp.STATUS_SUCCESS) {
                throw new NetvscFault("the host refused the receive buffer: NVSP status " + c.status());
            }
            if (c.sections().size() != 1) {
                throw new NetvscFault("the host cut the receive buffer into " + c.sections().size()
                        + " sections; Linux and DPDK accept exactly 1");
            }
            NvspMessage.ReceiveSection s = c.sections().getFirst();
            long size = Integer.toUnsignedLong(s.slotSize());
            long count = Integer.toUnsignedLong(s.slotCount());
            if (s.offset() != 0) {
                throw new NetvscFault("the receive buffer's section starts at offset "
                        + Integer.toUnsignedString(s.offset()) + ", not 0");
            }
            if (size < Nic.MIN_SECTION || count == 0 || size * count > receive.size()) {
                throw new NetvscFault("the receive buffer's " + count + " slots of " + size + " bytes do not fit"
                        + " its " + receive.size() + " bytes (slots of at least " + Nic.MIN_SECTION
                        + " bytes, at least 1)");
            }
            nic.rx.slotSize = (int) size;
            nic.rx.slotCount = (int) count;
            sendBuffer();
        });
    }

    private void sendBuffer() {
        ChannelBuffer send = nic.sendBuffer;
        String what = "NVSP SEND_SEND_BUF (GPADL " + Integer.toUnsignedString(send.gpadl()) + ")";
        nic.control.request(new NvspMessage.SendSendBuffer(send.gpadl(), Nvsp.SEND_BUFFER_ID), what, m -> {
            NvspMessage.SendBufferComplete c = Nic.expect(m, NvspMessage.SendBufferComplete.class, what);
            if (c.status() != Nvsp.STATUS_SUCCESS) {
                throw new NetvscFault("the host refused the send buffer: NVSP status " + c.status());
            }
            long size = Integer.toUnsignedLong(c.sectionSize());
            if (size < Nic.MIN_SECTION || size % 4 != 0 || size > send.size()) {
                throw new NetvscFault("send section size " + size + " (must be at least " + Nic.MIN_SECTION
                        + ", a multiple of 4, and at most the send buffer's " + send.size() + " bytes)");
            }
            if (sectionMtu((int) size) < MIN_LINK_MTU) {
                throw new NetvscFault("send sections of " + size + " bytes hold frames of at most "
                        + NicSend.largestFrame((int) size) + " bytes, an MTU of " + sectionMtu((int) size)
                        + ", below " + MIN_LINK_MTU + " (every frame goes through a send section)");
            }
            SendSections cut = nic.port0.sendSections((int) size);
            nic.tx.sections((int) size, cut);
            rndisInit();
        });
    }

    /** RNDIS INITIALIZE, then the packet filter to NONE, the MTU, the MAC and the link. */
    private void rndisInit() {
        nic.phase = Nic.Phase.RNDIS;
        nic.control.initialize(r -> {
            RndisMessage.InitializeComplete c = (RndisMessage.InitializeComplete) r;
            if (c.status() != Rndis.STATUS_SUCCESS) {
                throw new NetvscFault("the host refused RNDIS INITIALIZE: status 0x" + Integer.toHexString(c.status()));
            }
            maxPacketsPerMessage = c.maxPacketsPerMessage();
            packetAlignment = c.packetAlignmentFactor() >= 0 && c.packetAlignmentFactor() < 31
                    ? Math.max(4, 1 << c.packetAlignmentFactor()) : 4;
            nic.control.set(Rndis.OID_GEN_CURRENT_PACKET_FILTER, NicControl.u32(Rndis.FILTER_NONE),
                    "packet filter NONE", () ->
                    nic.control.query(Rndis.OID_GEN_MAXIMUM_FRAME_SIZE, "MAXIMUM_FRAME_SIZE", true, v -> {
                        // a host that does not say leaves the NIC its own MTU, as rndis_filter_device_add leaves it
                        long hostMtu = v == null ? nic.settings.mtu()
                                : Integer.toUnsignedLong(NicControl.u32(v, 4, "MAXIMUM_FRAME_SIZE"));
                        if (v == null) {
                            Nic.LOG.info("netvsc " + nic.name + ": the host did not say its MTU: the NIC keeps its"
                                    + " own, as Linux's netvsc does");
                        }
                        if (hostMtu < MIN_LINK_MTU || hostMtu > NetvscSettings.MAX_MTU) {
                            throw new NetvscFault("the host's MTU " + hostMtu + " is outside " + MIN_LINK_MTU + ".."
                                    + NetvscSettings.MAX_MTU);
                        }
                        int asked = (int) Math.min(nic.settings.mtu(), hostMtu);
                        int sectionMtu = sectionMtu(nic.tx.sectionSize);
                        if (sectionMtu < asked) {
                            Nic.LOG.info("netvsc " + nic.name + ": MTU " + sectionMtu + ", not " + asked + ": a frame"
                                    + " must fit one send section of " + nic.tx.sectionSize + " bytes (no GPA-direct"
                                    + " data pages)");
                        }
                        nic.mtu = Math.min(asked, sectionMtu);
                        queryMac();
                    }));
        });
    }

    /** The smallest MTU a link may have (IPv4's; Linux's ETH_MIN_MTU). */
    static final int MIN_LINK_MTU = 68;

    /** The largest MTU whose frames, VLAN tag included, fit a send section of {@code sectionSize} bytes. */
    static int sectionMtu(int sectionSize) {
        return NicSend.largestFrame(sectionSize) - Nic.ETHERNET_HEADER - Nic.VLAN_TAG;
    }

    private void queryMac() {
        nic.control.query(Rndis.OID_802_3_PERMANENT_ADDRESS, "PERMANENT_ADDRESS", v -> {
            if (v.length < 6) {
                throw new NetvscFault("the host's MAC address has " + v.length + " bytes, not 6");
            }
            nic.mac = java.util.Arrays.copyOf(v, 6);
            nic.control.query(Rndis.OID_GEN_MEDIA_CONNECT_STATUS, "MEDIA_CONNECT_STATUS", true, s -> {
                if (s != null) {
                    nic.link = NicControl.u32(s, 4, "MEDIA_CONNECT_STATUS") == Rndis.MEDIA_STATE_CONNECTED;
                } else {
                    // Linux's rndis_set_link_state takes only a successful answer, and its link state is connected
                    // until the host says otherwise: the host's indication, if one came, else up
                    nic.link = nic.link || !nic.rx.linkIndicated;
                    Nic.LOG.info("netvsc " + nic.name + ": the host did not say the link state: " + (nic.link
                            ? "up" : "down") + ", as Linux's netvsc takes it");
                }
                nic.vrss.start();
            });
        });
    }

    /** The packet filter that lets frames flow, then the backend ({@link NicVrss} calls this when it is done). */
    void finalFilter() {
        int filter = linuxFilter(true, false, false, true, true);
        nic.control.set(Rndis.OID_GEN_CURRENT_PACKET_FILTER, NicControl.u32(filter),
                "packet filter DIRECTED|BROADCAST|ALL_MULTICAST", () -> {
                    nic.packetFilter = filter;
                    up();
                });
    }

    /**
     * The packet filter Linux's netvsc sets for an interface: none while it is down ({@code netvsc_close}'s
     * {@code rndis_filter_close_device} sets 0, so the host delivers nothing to an interface that takes nothing);
     * while up, as {@code rndis_set_multicast} (from {@code ndo_set_rx_mode}), PROMISCUOUS alone while promiscuous,
     * otherwise DIRECTED, with ALL_MULTICAST if the multicast list is not empty or it is all-multicast, and BROADCAST
     * if it has {@code IFF_BROADCAST}.
     */
    static int linuxFilter(boolean up, boolean promiscuous, boolean allMulticast, boolean broadcast,
            boolean multicastList) {
        if (!up) {
            return Rndis.FILTER_NONE;
        }
        if (promiscuous) {
            return Rndis.FILTER_PROMISCUOUS;
        }
        return Rndis.FILTER_DIRECTED | (multicastList || allMulticast ? Rndis.FILTER_ALL_MULTICAST : 0)
                | (broadcast ? Rndis.FILTER_BROADCAST : 0);
    }

    /** The packet filter the backend's outside asks for ({@link Nic.FilterAware}); -1 until it told one. */
    private int wantedFilter = -1;
    private boolean filterSetting;

    /** On the NIC's context: the backend's outside changed its receive mode; the host is told once the NIC is up. */
    void filter(int wanted) {
        wantedFilter = wanted;
        applyFilter();
    }

    /**
     * Sets the packet filter the backend asks for, if it differs from the host's, while the NIC is up and no other
     * control request waits (a late RSS set calls this when it is done); one set at a time, the last wish wins.
     */
    void applyFilter() {
        if (nic.phase != Nic.Phase.UP || filterSetting || nic.control.busy() || wantedFilter < 0
                || wantedFilter == nic.packetFilter) {
            return;
        }
        int filter = wantedFilter;
        filterSetting = true;
        Nic.LOG.info("netvsc " + nic.name + ": packet filter 0x" + Integer.toHexString(filter) + " (was 0x"
                + Integer.toHexString(nic.packetFilter) + "): its backend's interface is "
                + (filter == Rndis.FILTER_NONE ? "down: the host delivers nothing until it is up"
                : filter == Rndis.FILTER_PROMISCUOUS ? "promiscuous"
                : nic.packetFilter == Rndis.FILTER_NONE ? "up" : "no longer promiscuous"));
        nic.control.set(Rndis.OID_GEN_CURRENT_PACKET_FILTER, NicControl.u32(filter),
                "packet filter 0x" + Integer.toHexString(filter), () -> {
                    filterSetting = false;
                    nic.packetFilter = filter;
                    applyFilter();
                    nic.vrss.lateQueues();
                });
    }

    /** Bring-up is done: the backend opens (on a worker: a TAP's open and ioctls block) and starts. */
    private void up() {
        int maxFrame = nic.mtu + Nic.ETHERNET_HEADER + Nic.VLAN_TAG;
        nic.rx.frame(maxFrame);
        byte[] address = nic.mac.clone();
        Context here = nic.context;
        boolean linkNow = nic.link;
        int mtuNow = nic.mtu;
        nic.vertx.<FramePort>executeBlocking(() -> nic.ports.open(nic.vertx, nic.name, address, mtuNow, maxFrame,
                        linkNow))
                .onComplete(ar -> here.runOnContext(v -> started(ar.succeeded() ? ar.result() : null, ar.cause())));
    }

    private void started(FramePort opened, Throwable error) {
        if (nic.phase == Nic.Phase.CLOSED || nic.phase == Nic.Phase.FAILED) {
            if (opened != null) {
                opened.close();
            }
            return;
        }
        try {
            if (opened == null) {
                throw error instanceof Exception e ? e : new IllegalStateException(error);
            }
            Context here = nic.context;
            // the backend ending for good (its TAP deleted outside) ends the NIC, as one that did not start would
            opened.whenFailed(reason -> here.runOnContext(v -> nic.failAndEnd("the "
                    + nic.settings.backend().key() + " backend failed: " + reason)));
            opened.startBursts(r -> here.runOnContext(v -> r.run()), LoopReadiness.of(here), nic.tx::fromBackend);
            nic.port = opened;
            if (opened instanceof Nic.FilterAware aware) {
                watchFilter(aware, here);
            }
        } catch (Exception e) {
            if (opened != null) {
                opened.close();
            }
            nic.failAndEnd("the " + nic.settings.backend().key() + " backend did not start: " + e.getMessage());
            return;
        }
        nic.phase = Nic.Phase.UP;
        Nic.LOG.info("netvsc " + nic.name + " up on channel " + nic.relid() + ": MAC " + nic.macText() + ", MTU "
                + nic.mtu + ", NVSP " + Nvsp.versionName(nic.nvspVersion) + ", link " + (nic.link ? "up" : "down")
                + ", " + nic.rx.slotCount + " receive slots of " + nic.rx.slotSize + " B, " + nic.tx.sections.count()
                + " send sections of " + nic.tx.sectionSize + " B, backend " + nic.settings.backend().key());
        nic.vrss.lateQueues();
        applyFilter();
    }

    /** The packet filter follows the backend's outside; a backend that cannot be watched keeps the filter (logged). */
    private void watchFilter(Nic.FilterAware aware, Context here) {
        try {
            aware.watchFilter(LoopReadiness.of(here), this::filter);
        } catch (IOException | RuntimeException e) {
            Nic.LOG.warning("netvsc " + nic.name + ": the packet filter does not follow the "
                    + nic.settings.backend().key() + " backend's promiscuous state: " + e.getMessage());
        }
    }
}
