package dev.vmbus.runtime;

import dev.vmbus.channel.ChannelClosedException;
import dev.vmbus.channel.ChannelState;
import dev.vmbus.channel.Packet;
import dev.vmbus.channel.Requestor;
import dev.vmbus.channel.SendStatus;
import dev.vmbus.channel.VmbusChannel;
import dev.vmbus.ring.GpaRanges;
import dev.vmbus.ring.PacketLayout;
import dev.vmbus.ring.PacketType;
import dev.vmbus.ring.RingWriter;
import dev.vmbus.ring.TransferPageRanges;
import io.vertx.core.Future;
import io.vertx.core.Promise;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeoutException;

/**
 * A channel end's outgoing side, owned by its {@link ChannelDriver}: sends that wait for ring space instead of
 * failing, and requests whose future completes with the peer's completion packet or fails on timeout.
 *
 * <p>Waiting for space (spec 2.4): a send that finds the outbound ring full is parked in FIFO order (later
 * sends queue behind it, so order is kept), {@code pending_send_sz} is armed with what the head needs, and the
 * free space is re-checked after arming; the peer signals when it frees enough, and the driver calls
 * {@link #flush()} again. When the queue empties, {@code pending_send_sz} is cleared.
 *
 * <p>Everything runs on the driver's context: futures complete there and {@link Timers} fire there.
 */
final class Outbox {
    /** Parked sends, beyond which a send fails instead of queueing. */
    static final int DEFAULT_MAX_PARKED = 4096;
    /** Ids sent with completion requested (without a requestor) tracked until their completion, at most. */
    public static final int MAX_TRACKED_AWAITED = 65_536;

    private record Parked(byte[] payload, long requestId, int type, int flags, Promise<Void> sent,
                          PendingRequest request, TransferPageRanges xfer, GpaRanges gpa) {

        Parked(byte[] payload, long requestId, int type, int flags, Promise<Void> sent,
               PendingRequest request) {
            this(payload, requestId, type, flags, sent, request, null, null);
        }

        /** Ring bytes the packet needs ({@code pending_send_sz} while it waits). */
        int requiredSpace() {
            return xfer != null ? RingWriter.requiredSpace(xfer.headerLength(), payload.length)
                    : gpa != null ? RingWriter.requiredSpace(gpa.headerLength(), payload.length)
                    : RingWriter.requiredSpace(payload.length);
        }

        SendStatus writeTo(VmbusChannel channel) {
            return write(channel, payload, requestId, type, flags, xfer, gpa);
        }
    }

    private static final class PendingRequest {
        final Promise<Packet> reply = Promise.promise();
        long transId;
        Runnable cancelTimer;
    }

    private final VmbusChannel channel;
    private final Timers timers;
    private final int maxParked;
    /** Called when a write found the outbound ring broken: the channel has just ended (faulted). */
    private final Runnable writeFaulted;
    private final ArrayDeque<Parked> parked = new ArrayDeque<>();
    private final Map<Long, PendingRequest> requests = new HashMap<>();
    private long nextRequestSerial = 1;
    /** Without a requestor: ids sent with completion requested and not completed yet, with how often each was sent. */
    private final LongCounts awaited = new LongCounts();
    private int awaitedCount;
    /** Whether more ids were sent than {@link #MAX_TRACKED_AWAITED} at once: completions can no longer be judged. */
    private boolean awaitedOverflowed;
    private long pendingSendWaits;

    Outbox(VmbusChannel channel, Timers timers, int maxParked, Runnable writeFaulted) {
        this.channel = channel;
        this.timers = timers;
        this.maxParked = maxParked;
        this.writeFaulted = writeFaulted;
    }

    /** Sends one packet; completes when it is on the ring. {@code payload} is owned by the channel from now on. */
    Future<Void> send(byte[] payload, long requestId, int type, int flags) {
        return send(payload, requestId, type, flags, null, null);
    }

    /** As {@link #send(byte[], long, int, int)} with the ranges of a transfer-page or GPA-direct packet. */
    Future<Void> send(byte[] payload, long requestId, int type, int flags, TransferPageRanges xfer,
                      GpaRanges gpa) {
        if ((type == PacketType.DATA_USING_XFER_PAGES) != (xfer != null)
                || (type == PacketType.DATA_USING_GPA_DIRECT) != (gpa != null)
                || gpa != null && flags != PacketLayout.FLAG_COMPLETION_REQUESTED) {
            return Future.failedFuture(new IllegalArgumentException("a " + PacketType.name(type) + " packet with flags "
                    + flags + (xfer != null ? " and transfer-page ranges" : gpa != null ? " and GPA ranges" : "")
                    + " cannot be sent (type 7 needs transfer-page ranges, type 9 GPA ranges and flags 1)"));
        }
        if (parked.isEmpty() && channel.state() == ChannelState.OPEN) {
            // Nothing waits ahead of it: write it now, with no future or parked record to allocate.
            SendStatus status = write(channel, payload, requestId, type, flags, xfer, gpa);
            switch (status) {
                case OK -> {
                    sentOk(type, flags);
                    return SENT;
                }
                case INVALID_ARGUMENT -> {
                    return Future.failedFuture(refused(type, payload.length));
                }
                case TRY_AGAIN, REQUESTOR_FULL -> {
                    // It waits at the head, as flush() would have left it after this very attempt.
                    Promise<Void> sent = Promise.promise();
                    Parked p = new Parked(payload, requestId, type, flags, sent, null, xfer, gpa);
                    parked.addLast(p);
                    if (status == SendStatus.TRY_AGAIN && full(p)) {
                        flush(); // refused (then the queue is empty), or space appeared: nobody will signal
                    }
                    return sent.future();
                }
                default -> {
                    writeFaulted.run(); // the write found the ring broken and ended the channel
                    return Future.failedFuture(new ChannelClosedException(channel.relid(), channel.endReason()));
                }
            }
        }
        Promise<Void> sent = Promise.promise();
        submit(new Parked(payload, requestId, type, flags, sent, null, xfer, gpa));
        return sent.future();
    }

    /** What a send that is on the ring returns: one completed future for all of them. */
    private static final Future<Void> SENT = Future.succeededFuture();

    private static SendStatus write(VmbusChannel channel, byte[] payload, long requestId, int type, int flags,
                                    TransferPageRanges xfer, GpaRanges gpa) {
        if (xfer != null) {
            return channel.sendTransferPages(xfer, payload, 0, payload.length, requestId, flags);
        }
        if (gpa != null) {
            return channel.sendPacketMpbDesc(gpa, payload, 0, payload.length, requestId);
        }
        return channel.sendPacket(payload, 0, payload.length, requestId, type, flags);
    }

    /** A packet without a request of ours went on the ring: track its id if it asked for a completion. */
    private void sentOk(int type, int flags) {
        if (flags == PacketLayout.FLAG_COMPLETION_REQUESTED && channel.requestor() == null
                && type != PacketType.COMP) {
            if (awaited.size() < MAX_TRACKED_AWAITED) {
                awaited.increment(channel.lastTransactionId());
                awaitedCount++;
            } else {
                awaitedOverflowed = true;
            }
        }
    }

    private IllegalArgumentException refused(int type, int length) {
        return new IllegalArgumentException("channel " + channel.relid() + " refused a " + PacketType.name(type)
                + " packet of " + length + " bytes (-EINVAL): no range, bad flags, or too long for len8");
    }

    /**
     * Sends a request with "completion requested" set and a requestor id; the future completes with the
     * peer's completion packet ({@link PacketType#COMP} carrying that id), or fails after {@code timeoutMillis}.
     */
    Future<Packet> request(byte[] payload, int type, long timeoutMillis) {
        if (channel.requestor() == null) {
            throw new IllegalStateException("channel " + channel.relid() + " was opened without a requestor");
        }
        long serial = nextRequestSerial++;
        PendingRequest request = new PendingRequest();
        requests.put(serial, request);
        request.cancelTimer = timers.schedule(timeoutMillis, () -> expire(serial, timeoutMillis));
        Promise<Void> sent = Promise.promise();
        sent.future().onFailure(e -> {
            if (requests.remove(serial) == request) {
                request.cancelTimer.run();
                request.reply.tryFail(e);
            }
        });
        submit(new Parked(payload, serial, type, PacketLayout.FLAG_COMPLETION_REQUESTED, sent, request));
        return request.reply.future();
    }

    private void expire(long serial, long timeoutMillis) {
        PendingRequest request = requests.remove(serial);
        if (request == null) {
            return;
        }
        if (request.transId != 0) {
            // Free the slot; a completion arriving later is then rejected as stale and counted.
            channel.requestor().requestAddressMatch(request.transId, serial);
        }
        request.reply.tryFail(new TimeoutException("no completion on channel " + channel.relid()
                + " within " + timeoutMillis + " ms"));
    }

    private void submit(Parked p) {
        if (!parked.isEmpty()) {
            if (parked.size() >= maxParked) {
                p.sent.tryFail(new IllegalStateException("channel " + channel.relid() + " has "
                        + parked.size() + " sends waiting for ring space; refusing more"));
                return;
            }
            parked.addLast(p); // keep order behind what is already waiting
            return;
        }
        parked.addLast(p);
        flush();
    }

    /**
     * {@code head}, first in {@link #parked}, did not fit: one no ring space could ever hold is removed and failed
     * (a write needs strictly more free bytes than it takes, so it would wait for ever, and every send behind it
     * too; nothing was written and the channel goes on); otherwise {@code pending_send_sz} is armed.
     *
     * @return true to go on with the queue now (it was refused, or space appeared between the failed write and
     *         the arming, so nobody will signal); false to wait for the peer's signal
     */
    private boolean full(Parked head) {
        int needed = head.requiredSpace();
        int capacity = channel.outboundDataSize();
        if (needed >= capacity) {
            parked.removeFirst();
            head.sent.tryFail(new IllegalArgumentException("channel " + channel.relid() + " can never"
                    + " hold a " + PacketType.name(head.type) + " packet of " + head.payload.length
                    + " bytes: it takes " + needed + " ring bytes and the outbound ring holds " + capacity
                    + " bytes of data (offer the channel with a larger ring)"));
            return true;
        }
        pendingSendWaits++;
        return channel.armPendingSend(needed);
    }

    /** Tries the parked sends in order; arms {@code pending_send_sz} for the first that does not fit. */
    void flush() {
        // A completed send's callbacks run inline and may end the channel: stop then (whoever ended it reports it).
        while (!parked.isEmpty() && channel.state() == ChannelState.OPEN) {
            Parked head = parked.peekFirst();
            if (head.sent.future().isComplete() || head.request != null && head.request.reply.future().isComplete()) {
                // its request timed out while waiting: the caller was told it failed, so never send it
                parked.removeFirst();
                continue;
            }
            SendStatus status = head.writeTo(channel);
            switch (status) {
                case OK -> {
                    parked.removeFirst();
                    if (head.request != null) {
                        head.request.transId = channel.lastTransactionId();
                    } else {
                        sentOk(head.type, head.flags);
                    }
                    head.sent.tryComplete();
                }
                case TRY_AGAIN -> {
                    if (!full(head)) {
                        return; // the peer will signal when it frees enough
                    }
                    // Refused, or space appeared between the failed write and the arming: go on now.
                }
                case INVALID_ARGUMENT -> {
                    parked.removeFirst(); // refused as it stands, nothing written: fail it, keep the channel
                    head.sent.tryFail(refused(head.type, head.payload.length));
                }
                case REQUESTOR_FULL -> {
                    return; // a completion frees a slot; the drain calls flush() after handling one
                }
                default -> {
                    // The write found the ring broken and ended the channel; the driver fails everything waiting.
                    writeFaulted.run();
                    return;
                }
            }
        }
        if (parked.isEmpty()) {
            channel.clearPendingSend(); // a no-op unless armed
        }
    }

    /** Completes the request a completion packet answers; drops one that is none of ours (forged, duplicate, stale). */
    void complete(Packet completion) {
        long serial = channel.requestor().requestAddress(completion.transactionId());
        if (serial == Requestor.RQST_ERROR) {
            return; // dropped, counted by the requestor
        }
        PendingRequest request = requests.remove(serial);
        if (request != null) {
            request.cancelTimer.run();
            request.reply.tryComplete(completion);
        }
    }

    /**
     * A completion naming {@code transactionId} arrived on a channel without a requestor (it goes to the device):
     * one packet sent with that id is no longer awaited. An id never sent changes nothing.
     *
     * @return false if no packet sent asking for a completion carried that id (and every such id is tracked)
     */
    boolean completed(long transactionId) {
        if (!awaited.decrement(transactionId)) {
            return awaitedOverflowed; // beyond what is tracked, any id may be one of ours
        }
        awaitedCount--;
        return true;
    }

    /** Packets sent asking for a completion that has not come yet; see {@link Outstanding#completionsAwaited()}. */
    int completionsAwaited() {
        return channel.requestor() != null ? requests.size() : awaitedCount;
    }

    /** Fails everything waiting; called once, when the channel ends. */
    void failAll(ChannelClosedException reason) {
        while (!parked.isEmpty()) {
            parked.removeFirst().sent.tryFail(reason);
        }
        for (PendingRequest r : requests.values()) {
            r.cancelTimer.run();
            r.reply.tryFail(reason);
        }
        requests.clear();
    }

    /** Sends waiting for outbound space. */
    int parkedCount() {
        return parked.size();
    }

    /** Requests waiting for their completion. */
    int pendingRequests() {
        return requests.size();
    }

    /** How often a send had to arm {@code pending_send_sz} and wait. */
    long pendingSendWaits() {
        return pendingSendWaits;
    }
}
