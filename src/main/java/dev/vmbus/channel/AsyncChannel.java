package dev.vmbus.channel;

import dev.vmbus.ring.PacketLayout;
import dev.vmbus.ring.PacketType;
import dev.vmbus.ring.RingWriter;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;

/**
 * The channel as an event loop uses it: sends that wait for ring space instead of failing, requests whose
 * future completes with the host's completion packet, and the mask, drain, unmask, re-check loop.
 *
 * <p>Everything runs on the owner's thread: futures complete there and {@link Timers} fire there.
 *
 * <p>Waiting for space (spec 2.4): a send that finds the outbound ring full is parked in FIFO order (later
 * sends queue behind it, so order is kept), {@code pending_send_sz} is armed with what the head needs, and the
 * free space is re-checked after arming; the peer signals when it frees enough, and {@link #onInterrupt()}
 * retries. When the queue empties, {@code pending_send_sz} is cleared.
 */
public final class AsyncChannel {
    /** Default bound on parked sends before {@link #send} fails instead of queueing. */
    public static final int DEFAULT_MAX_PARKED = 4096;

    /** What one call of {@link #drain} ended with. */
    public enum DrainResult {
        /** The ring is empty and interrupts are unmasked: wait for the next interrupt. */
        IDLE,
        /** The budget ran out with packets left; interrupts stay masked: call again on a later turn. */
        MORE,
        /** The channel is no longer open (faulted, rescinded or closed). */
        STOPPED
    }

    /** Receives the packets a drain takes off the ring. */
    @FunctionalInterface
    public interface PacketSink {
        void accept(Packet packet);
    }

    private record Parked(byte[] payload, long requestId, int type, int flags, CompletableFuture<Void> sent,
                          PendingRequest request) {
    }

    private static final class PendingRequest {
        final CompletableFuture<Packet> reply = new CompletableFuture<>();
        long transId;
        Runnable cancelTimer;
    }

    private final VmbusChannel channel;
    private final Timers timers;
    private final int maxParked;
    private final ArrayDeque<Parked> parked = new ArrayDeque<>();
    private final Map<Long, PendingRequest> requests = new HashMap<>();
    private long nextRequestSerial = 1;
    private boolean pendingArmed;
    private boolean masked;
    private long pendingSendWaits;

    public AsyncChannel(VmbusChannel channel, Timers timers) {
        this(channel, timers, DEFAULT_MAX_PARKED);
    }

    public AsyncChannel(VmbusChannel channel, Timers timers, int maxParked) {
        this.channel = channel;
        this.timers = timers;
        this.maxParked = maxParked;
    }

    public VmbusChannel channel() {
        return channel;
    }

    /**
     * Sends one packet; completes when it is on the ring. A full ring parks it until the peer frees space.
     * {@code payload} is owned by the channel from now on.
     */
    public CompletableFuture<Void> send(byte[] payload, long requestId, int type, int flags) {
        CompletableFuture<Void> sent = new CompletableFuture<>();
        submit(new Parked(payload, requestId, type, flags, sent, null));
        return sent;
    }

    /**
     * Sends a request with "completion requested" set and a requestor id; the future completes with the
     * peer's completion packet ({@link PacketType#COMP} carrying that id), or fails after {@code timeoutMillis}.
     */
    public CompletableFuture<Packet> request(byte[] payload, int type, long timeoutMillis) {
        if (channel.requestor() == null) {
            throw new IllegalStateException("channel " + channel.relid() + " was opened without a requestor");
        }
        long serial = nextRequestSerial++;
        PendingRequest request = new PendingRequest();
        requests.put(serial, request);
        request.cancelTimer = timers.schedule(timeoutMillis, () -> expire(serial, timeoutMillis));
        CompletableFuture<Void> sent = new CompletableFuture<>();
        sent.whenComplete((v, e) -> {
            if (e != null && requests.remove(serial) == request) {
                request.cancelTimer.run();
                request.reply.completeExceptionally(e);
            }
        });
        submit(new Parked(payload, serial, type, PacketLayout.FLAG_COMPLETION_REQUESTED, sent, request));
        return request.reply;
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
        request.reply.completeExceptionally(new TimeoutException("no completion on channel " + channel.relid()
                + " within " + timeoutMillis + " ms"));
    }

    private void submit(Parked p) {
        if (!parked.isEmpty()) {
            if (parked.size() >= maxParked) {
                p.sent.completeExceptionally(new IllegalStateException("channel " + channel.relid() + " has "
                        + parked.size() + " sends waiting for ring space; refusing more"));
                return;
            }
            parked.addLast(p); // keep order behind what is already waiting
            return;
        }
        parked.addLast(p);
        flush();
    }

    /** Tries the parked sends in order; arms {@code pending_send_sz} for the first that does not fit. */
    private void flush() {
        while (!parked.isEmpty()) {
            Parked head = parked.peekFirst();
            if (head.sent.isDone() || head.request != null && head.request.reply.isDone()) {
                // its request timed out while waiting: the caller was told it failed, so never send it
                parked.removeFirst();
                continue;
            }
            SendStatus status = channel.sendPacket(head.payload, 0, head.payload.length, head.requestId,
                    head.type, head.flags);
            switch (status) {
                case OK -> {
                    parked.removeFirst();
                    if (head.request != null) {
                        head.request.transId = channel.lastTransactionId();
                    }
                    head.sent.complete(null);
                }
                case TRY_AGAIN -> {
                    pendingSendWaits++;
                    pendingArmed = true;
                    if (!channel.outbound().armPendingSend(RingWriter.requiredSpace(head.payload.length))) {
                        return; // the peer will signal when it frees enough
                    }
                    // Space appeared between the failed write and the arming: retry now, nobody will signal.
                }
                case REQUESTOR_FULL -> {
                    return; // a completion frees a slot; drain() calls flush() after handling one
                }
                default -> {
                    failAll(new ChannelClosedException(channel.relid(), channel.state(), channel.fault()));
                    return;
                }
            }
        }
        if (pendingArmed) {
            channel.outbound().clearPendingSend();
            pendingArmed = false;
        }
    }

    /** The peer signalled: count it and retry parked sends (it may have freed outbound space). */
    public void onInterrupt() {
        channel.countInterrupt();
        if (!parked.isEmpty()) {
            flush();
        }
    }

    /**
     * Masks interrupts, takes up to {@code budget} packets (completions of our requests are consumed here and
     * count toward the budget), commits {@code read_index} once, and, if the budget was not used up, unmasks
     * and re-checks, going round again if packets arrived meanwhile.
     */
    public DrainResult drain(int budget, PacketSink sink) {
        if (channel.state() != ChannelState.OPEN) {
            return DrainResult.STOPPED;
        }
        if (!masked) {
            channel.inbound().mask();
            masked = true;
        }
        int left = budget;
        while (true) {
            int taken = 0;
            boolean completions = false;
            Packet packet;
            while (taken < left && (packet = channel.nextPacket()) != null) {
                taken++;
                if (packet.type() == PacketType.COMP && channel.requestor() != null) {
                    complete(packet);
                    completions = true;
                } else {
                    sink.accept(packet);
                }
            }
            channel.commit();
            if (completions && !parked.isEmpty()) {
                flush();
            }
            if (channel.state() != ChannelState.OPEN) {
                return DrainResult.STOPPED;
            }
            left -= taken;
            if (left == 0) {
                return DrainResult.MORE;
            }
            masked = false;
            if (channel.inbound().unmask() == 0) {
                return DrainResult.IDLE;
            }
            channel.inbound().mask(); // data arrived while masked: the peer will not interrupt for it
            masked = true;
        }
    }

    private void complete(Packet completion) {
        long serial = channel.requestor().requestAddress(completion.transactionId());
        if (serial == Requestor.RQST_ERROR) {
            return; // forged, duplicate or stale: dropped, counted by the requestor
        }
        PendingRequest request = requests.remove(serial);
        if (request != null) {
            request.cancelTimer.run();
            request.reply.complete(completion);
        }
    }

    /** Fails everything waiting; call when the channel is rescinded, closed or faulted. */
    public void failAll(Throwable reason) {
        while (!parked.isEmpty()) {
            parked.removeFirst().sent.completeExceptionally(reason);
        }
        for (PendingRequest r : requests.values()) {
            r.cancelTimer.run();
            r.reply.completeExceptionally(reason);
        }
        requests.clear();
    }

    /** Sends waiting for outbound space. */
    public int parkedCount() {
        return parked.size();
    }

    /** Requests waiting for their completion. */
    public int pendingRequests() {
        return requests.size();
    }

    /** How often a send had to arm {@code pending_send_sz} and wait. */
    public long pendingSendWaits() {
        return pendingSendWaits;
    }
}
