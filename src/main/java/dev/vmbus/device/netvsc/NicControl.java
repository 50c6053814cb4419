package dev.vmbus.device.netvsc;

import dev.vmbus.channel.Packet;
import dev.vmbus.net.Nvsp;
import dev.vmbus.net.NvspMessage;
import dev.vmbus.net.Rndis;
import dev.vmbus.net.RndisMessage;
import dev.vmbus.ring.GpaRanges;
import dev.vmbus.ring.PacketType;
import dev.vmbus.spi.OutboundPacket;
import dev.vmbus.spi.SendSections;
import dev.vmbus.transport.GuestMemory;
import dev.vmbus.transport.GuestPages;
import io.vertx.core.Future;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.IntConsumer;

/**
 * A {@link Nic}'s requests to the host and their answers: NVSP requests by transaction id, RNDIS control requests
 * (GPA-direct from a page of guest memory, or through a send section) done once both their NVSP 108 and their
 * response arrived, and the timer that fails the NIC, ending its channels, when the host owes an answer longer than
 * {@code devices.netvsc.answerTimeoutMs}.
 *
 * <p>Threads: the NIC's (see {@link Nic}).
 */
final class NicControl {
    /** What to do with the host's NVSP answer to a request; throws {@link NetvscFault} if it is wrong. */
    interface NvspStep {
        void on(NvspMessage answer);
    }

    /** What to do with the host's RNDIS response to a control request. */
    interface RndisStep {
        void on(RndisMessage response);
    }

    private record Pending(String what, NvspStep step) {
    }

    /** The one RNDIS control request outstanding: done once both its NVSP 108 and its response arrived. */
    private static final class Exchange {
        final int rid;
        final int responseType;
        final String what;
        final RndisStep step;
        boolean completed;
        RndisMessage response;

        Exchange(int rid, int responseType, String what, RndisStep step) {
            this.rid = rid;
            this.responseType = responseType;
            this.what = what;
            this.step = step;
        }
    }

    private final Nic nic;
    private final Map<Long, Pending> pending = new HashMap<>();
    private Exchange outstanding;
    private long timer = -1;
    /** The request the host owes an answer to (0: none), and a counter to tell requests apart. */
    private long awaiting;
    private long requests;
    private long nextTid = 1;
    private int nextRid = 1;
    /** The page RNDIS control messages go GPA-direct from (null with {@code controlOverSection}). */
    GuestPages page;

    NicControl(Nic nic) {
        this.nic = nic;
    }

    /** Forgets what is outstanding (the NIC failed or closed). */
    void clear() {
        cancelTimer();
        pending.clear();
        outstanding = null;
    }

    void closePage() {
        if (page != null) {
            page.close();
            page = null;
        }
    }

    /** Whether a request waits for the host's answer: another must wait (one RNDIS exchange at a time). */
    boolean busy() {
        return outstanding != null || !pending.isEmpty();
    }

    /** The completion of a control request ({@code tid} without {@link Nic#DATA}). */
    void completed(Packet packet, long tid) {
        Pending p = pending.remove(tid);
        if (p != null && outstanding == null) {
            answered(); // an RNDIS exchange is answered once its response came too (step)
        }
        if (p == null) {
            throw new NetvscFault("a completion for transaction id " + Long.toUnsignedString(tid)
                    + ", which this guest never issued (or the host already completed)");
        }
        p.step().on(Nic.nvsp(packet.payload(), true, "the host's answer to " + p.what()));
    }

    /** An NVSP request with completion requested; {@code step} gets the answer. */
    void request(NvspMessage m, String what, NvspStep step) {
        long tid = nextTid++;
        pending.put(tid, new Pending(what, step));
        send(new OutboundPacket(m.encode(Nic.MESSAGE_SIZE), tid, PacketType.DATA_INBAND, 1), what);
    }

    /** An NVSP message that wants no answer. */
    void post(NvspMessage m) {
        nic.send(new OutboundPacket(m.encode(Nic.MESSAGE_SIZE), 0, PacketType.DATA_INBAND, 0));
    }

    /**
     * A request the host owes an answer to: once it is on the ring (sent on the channel's context, so its future
     * completes there) a timer waits for the answer, and fails the NIC if it is still owed then.
     */
    private void send(OutboundPacket packet, String what) {
        Future<Void> on = nic.port0.send(packet);
        on.onComplete(ar -> {
            if (ar.failed()) {
                nic.sendFailed(ar.cause());
            }
        });
        awaitAnswer(on, what);
    }

    /** Once the request {@code on} sent is on the ring, a timer fails the NIC if the host still owes its answer. */
    private void awaitAnswer(Future<Void> on, String what) {
        long token = ++requests;
        awaiting = token;
        on.onComplete(ar -> {
            if (ar.succeeded() && awaiting == token) {
                cancelTimer();
                long timeout = nic.settings.answerTimeoutMs();
                timer = nic.vertx.setTimer(timeout, id -> {
                    timer = -1;
                    if (awaiting == token) {
                        nic.failAndEnd("the host did not answer " + what + " within " + Nic.duration(timeout));
                    }
                });
            }
        });
    }

    /** The host answered the request outstanding. */
    private void answered() {
        awaiting = 0;
        cancelTimer();
    }

    private void cancelTimer() {
        if (timer >= 0) {
            nic.vertx.cancelTimer(timer);
            timer = -1;
        }
    }

    /**
     * One RNDIS control request, GPA-direct from the control page (or through a send section): done when the host
     * completed its NVSP 107 and its response arrived in the receive buffer, in either order.
     */
    private void rndis(RndisMessage request, int rid, int responseType, String what, RndisStep step) {
        if (outstanding != null) {
            throw new IllegalStateException("RNDIS " + outstanding.what + " is still outstanding");
        }
        Exchange c = new Exchange(rid, responseType, what, step);
        outstanding = c;
        Future<Void> on = carry(request.encode(), what, m -> sent(c, m));
        on.onComplete(ar -> {
            if (ar.failed()) {
                nic.sendFailed(ar.cause());
            }
        });
        awaitAnswer(on, "RNDIS " + what);
    }

    /**
     * Sends {@code bytes}, an RNDIS control message, in an NVSP 107 on the control channel: GPA-direct from the
     * control page, or through a send section; {@code completed} gets the host's NVSP 108 (after a section's
     * return). The future completes once the packet is on the ring.
     */
    private Future<Void> carry(byte[] bytes, String what, NvspStep completed) {
        long tid = nextTid++;
        if (nic.settings.controlOverSection()) {
            SendSections sections = nic.tx.sections;
            int sectionSize = nic.tx.sectionSize;
            int index = sections.take();
            if (index < 0) {
                throw new NetvscFault("no free send section for RNDIS " + what);
            }
            if (bytes.length > sectionSize) {
                throw new NetvscFault("RNDIS " + what + " (" + bytes.length + " bytes) does not fit a send section of "
                        + sectionSize);
            }
            MemorySegment.copy(bytes, 0, nic.sendMemory, ValueLayout.JAVA_BYTE, (long) index * sectionSize,
                    bytes.length);
            pending.put(tid, new Pending(what + " (NVSP 107 in send section " + index + ")", m -> {
                sections.give(index);
                completed.on(m);
            }));
            return nic.port0.send(new OutboundPacket(new NvspMessage.RndisPacket(Nvsp.CHANNEL_CONTROL, index,
                    bytes.length).encode(Nic.MESSAGE_SIZE), tid, PacketType.DATA_INBAND, 1));
        }
        if (bytes.length > GuestMemory.PAGE_SIZE) {
            throw new IllegalStateException("RNDIS " + what + " of " + bytes.length + " bytes does not fit one page");
        }
        MemorySegment.copy(bytes, 0, page.memory(), ValueLayout.JAVA_BYTE, 0, bytes.length);
        GpaRanges ranges = new GpaRanges(1, 2).add(bytes.length, 0, page.pfns(0, bytes.length), 0);
        pending.put(tid, new Pending(what + " (NVSP 107, GPA-direct)", completed));
        return nic.port0.send(OutboundPacket.gpaDirect(ranges, new NvspMessage.RndisPacket(Nvsp.CHANNEL_CONTROL,
                Nvsp.NO_SECTION, 0).encode(Nic.MESSAGE_SIZE), tid));
    }

    /**
     * RNDIS HALT, which no response answers (the NIC is going: Linux's {@code rndis_filter_halt_device} sends it
     * from {@code rndis_filter_device_remove}, before the revokes and the close). Its NVSP 108, if the host sends
     * one before the close, is taken and nothing waits for it. The future completes once it is on the ring.
     */
    Future<Void> halt() {
        int rid = nextRid++;
        return carry(new RndisMessage.Halt(rid).encode(), "HALT", m -> { });
    }

    private void sent(Exchange c, NvspMessage m) {
        NvspMessage.RndisPacketComplete done = Nic.expect(m, NvspMessage.RndisPacketComplete.class,
                "RNDIS " + c.what);
        if (done.status() != Nvsp.STATUS_SUCCESS) {
            throw new NetvscFault("the host refused RNDIS " + c.what + ": NVSP status " + done.status());
        }
        c.completed = true;
        step(c);
    }

    /** An RNDIS response from the receive buffer: it must answer the request outstanding. */
    void response(int rid, RndisMessage response) {
        Exchange c = outstanding;
        if (c == null || c.rid != rid || c.response != null) {
            throw new NetvscFault("RNDIS " + Rndis.typeName(response.type()) + " with request id "
                    + Integer.toUnsignedString(rid) + " answers no outstanding request"
                    + (c == null ? "" : " (RNDIS " + c.what + " has id " + c.rid + ")"));
        }
        if (response.type() != c.responseType) {
            throw new NetvscFault("the host answered RNDIS " + c.what + " with " + Rndis.typeName(response.type())
                    + " instead of " + Rndis.typeName(c.responseType));
        }
        c.response = response;
        step(c);
    }

    private void step(Exchange c) {
        if (c.completed && c.response != null && outstanding == c) {
            outstanding = null;
            answered();
            c.step.on(c.response);
        }
    }

    /** RNDIS INITIALIZE; {@code step} gets the response. */
    void initialize(RndisStep step) {
        int rid = nextRid++;
        rndis(new RndisMessage.InitializeRequest(rid, Rndis.MAJOR_VERSION, Rndis.MINOR_VERSION,
                Rndis.MAX_TRANSFER_SIZE), rid, Rndis.TYPE_INITIALIZE_COMPLETE, "INITIALIZE", step);
    }

    void query(int oid, String what, Consumer<byte[]> onValue) {
        query(oid, what, false, onValue);
    }

    /** A query; with {@code optional} a status other than success hands {@code onValue} null instead of faulting. */
    void query(int oid, String what, boolean optional, Consumer<byte[]> onValue) {
        query(oid, new byte[0], what, optional, onValue);
    }

    /**
     * A query whose information buffer carries {@code input} (an NDIS object header saying which revision of the
     * answer the guest reads, where Linux's {@code rndis_filter_query_device} sends one); else as
     * {@link #query(int, String, boolean, Consumer)}.
     */
    void query(int oid, byte[] input, String what, boolean optional, Consumer<byte[]> onValue) {
        int rid = nextRid++;
        rndis(new RndisMessage.Query(rid, oid, input), rid, Rndis.TYPE_QUERY_COMPLETE, "QUERY " + what, r -> {
            RndisMessage.QueryComplete q = (RndisMessage.QueryComplete) r;
            if (q.status() != Rndis.STATUS_SUCCESS && optional) {
                onValue.accept(null);
                return;
            }
            if (q.status() != Rndis.STATUS_SUCCESS) {
                throw new NetvscFault("the host refused RNDIS QUERY " + what + ": status 0x"
                        + Integer.toHexString(q.status()));
            }
            onValue.accept(q.info());
        });
    }

    /** A set the host must take: a status other than success fails the NIC. */
    void set(int oid, byte[] value, String what, Runnable next) {
        trySet(oid, value, what, status -> {
            if (status != Rndis.STATUS_SUCCESS) {
                throw new NetvscFault("the host refused RNDIS SET " + what + ": status 0x"
                        + Integer.toHexString(status));
            }
            next.run();
        });
    }

    /** A set whose refusal the NIC outlives: {@code done} gets the host's RNDIS status, success or not. */
    void trySet(int oid, byte[] value, String what, IntConsumer done) {
        int rid = nextRid++;
        rndis(new RndisMessage.Set(rid, oid, value), rid, Rndis.TYPE_SET_COMPLETE, "SET " + what,
                r -> done.accept(((RndisMessage.SetComplete) r).status()));
    }

    static byte[] u32(int value) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, value).array();
    }

    static int u32(byte[] info, int min, String what) {
        if (info.length < min) {
            throw new NetvscFault("the host's value of " + what + " has " + info.length + " bytes, not " + min);
        }
        return ByteBuffer.wrap(info).order(ByteOrder.LITTLE_ENDIAN).getInt(0);
    }
}
