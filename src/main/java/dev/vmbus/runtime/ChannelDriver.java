package dev.vmbus.runtime;

import dev.vmbus.channel.ChannelClosedException;
import dev.vmbus.channel.ChannelState;
import dev.vmbus.channel.ChannelStats;
import dev.vmbus.channel.EndReason;
import dev.vmbus.channel.Offer;
import dev.vmbus.channel.Packet;
import dev.vmbus.channel.RingUnmappedException;
import dev.vmbus.channel.SendStatus;
import dev.vmbus.channel.VmbusChannel;
import dev.vmbus.ring.GpaRanges;
import dev.vmbus.ring.TransferPageRanges;
import dev.vmbus.transport.ChannelLink;
import io.vertx.core.Context;
import io.vertx.core.Future;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * One channel end on a Vert.x context: the channel runtime that guest channel verticles and the simulated host's
 * device drivers share (DESIGN.md, "The data path").
 * <ol>
 *   <li>An interrupt from the link is counted, retries parked sends, and drains the inbound ring: mask, take a
 *       bounded batch, commit {@code read_index} once, unmask, re-check (spec 2.7). A full batch yields the
 *       event loop and continues on the next turn with interrupts still masked.</li>
 *   <li>Credit: with a {@link PacketHandler}, at most {@code credit} packets are with the handler at once, and
 *       nothing is taken off the ring while a send waits for outbound space. Held packets stay in the ring,
 *       which the peer sees as a full ring: the protocol's own back-pressure.</li>
 *   <li>Sends wait for ring space through {@code pending_send_sz} instead of failing; requests complete with
 *       the peer's completion or fail on timeout ({@link Outbox}).</li>
 *   <li>The channel's life is the {@link VmbusChannel}'s, kept there once: the link going away, the ring
 *       memory being unmapped, a ring fault, a failed handler or {@link #close} end it with an
 *       {@link EndReason}; everything waiting then fails and the {@link #endHandler} hears the reason once.</li>
 * </ol>
 *
 * <p>Create, use and stop it on its context only. {@link #manual} drives one without Vert.x, by hand.
 */
public final class ChannelDriver {
    /** Packets taken per turn of the event loop before yielding. */
    public static final int DEFAULT_BATCH = 64;

    /** What one {@link #drain(int)} pass ended with. */
    public enum DrainResult {
        /** The ring is empty and interrupts are unmasked: wait for the next interrupt. */
        IDLE,
        /** The budget ran out with packets left; interrupts stay masked: call again on a later turn. */
        MORE,
        /** Held by credit, a parked send or {@link #pause()}; interrupts stay masked until it is released. */
        HELD,
        /** The channel is no longer open (faulted, rescinded or closed). */
        STOPPED
    }

    private final ChannelLink link;
    private final VmbusChannel channel;
    private final Outbox outbox;
    private final Inbox inbox;
    /** Runs a task on this end's context later; null for a manual driver (nothing is scheduled). */
    private final Executor later;
    private final int batch;
    private Consumer<EndReason> endHandler = reason -> { };
    private boolean drainQueued;
    private Future<Void> linkClosed;

    private ChannelDriver(ChannelLink link, VmbusChannel channel, Timers timers, Executor later, int maxParked,
                          PacketSink sink, PacketHandler handler, BatchHandler batchHandler, int credit) {
        this.link = link;
        this.channel = channel;
        this.later = later;
        this.batch = DEFAULT_BATCH;
        this.outbox = new Outbox(channel, timers, maxParked, this::ended);
        this.inbox = new Inbox(channel, outbox, sink, handler, batchHandler, credit, new Inbox.Owner() {
            @Override
            public void endedHere() {
                ended();
            }

            @Override
            public void fail(EndReason reason) {
                end(reason);
            }

            @Override
            public void released() {
                scheduleDrain();
            }
        });
    }

    /** Drives the guest end of {@code link}; {@code sink} receives every packet that is not a completion. */
    public static ChannelDriver guest(ChannelLink link, Context context, int requestorSize, PacketSink sink) {
        return onContext(link, context, VmbusChannel.guest(link.offer(), link.rings(), link::signal, requestorSize),
                sink, null, null, Integer.MAX_VALUE);
    }

    /**
     * Drives the guest end of {@code link} for a handler that answers asynchronously, with {@code credit}
     * units in flight at most (see {@link Inbox}: a transfer-page packet costs one per range) and no packet taken
     * while a send waits for ring space.
     */
    public static ChannelDriver guest(ChannelLink link, Context context, int requestorSize, int credit,
                                      PacketHandler handler) {
        checkCredit(credit);
        return onContext(link, context, VmbusChannel.guest(link.offer(), link.rings(), link::signal, requestorSize),
                null, handler, null, credit);
    }

    /**
     * Drives the guest end of {@code link} for a handler that takes a drain pass's packets at once on this
     * context ({@link BatchHandler}) and completes transfer-page packets with {@link #complete}; at most
     * {@code credit} units held, as for {@link #guest(ChannelLink, Context, int, int, PacketHandler)}.
     */
    public static ChannelDriver guestBatched(ChannelLink link, Context context, int requestorSize, int credit,
                                             BatchHandler handler) {
        checkCredit(credit);
        return onContext(link, context, VmbusChannel.guest(link.offer(), link.rings(), link::signal, requestorSize),
                null, null, handler, credit);
    }

    private static void checkCredit(int credit) {
        if (credit < 1) {
            throw new IllegalArgumentException("credit must be at least 1, got " + credit);
        }
    }

    /** Drives the host end of {@code link}. */
    public static ChannelDriver host(ChannelLink link, Context context, int requestorSize, PacketSink sink) {
        return onContext(link, context, VmbusChannel.host(link.offer(), link.rings(), link::signal, requestorSize),
                sink, null, null, Integer.MAX_VALUE);
    }

    /**
     * A driver over {@code channel} with no link and no context: nothing is scheduled, the caller runs
     * {@link #onInterrupt()} and {@link #drain(int)} itself on one thread (tests, plain Java).
     */
    public static ChannelDriver manual(VmbusChannel channel, Timers timers, int maxParked, PacketSink sink) {
        return new ChannelDriver(null, channel, timers, null, maxParked, sink, null, null, Integer.MAX_VALUE);
    }

    /** A {@link #manual} driver delivering to a {@link BatchHandler} with {@code credit} units at most. */
    public static ChannelDriver manualBatched(VmbusChannel channel, Timers timers, int credit, BatchHandler handler) {
        checkCredit(credit);
        return new ChannelDriver(null, channel, timers, null, Outbox.DEFAULT_MAX_PARKED, null, null, handler, credit);
    }

    /** As {@link #manual(VmbusChannel, Timers, int, PacketSink)} with the default bound on parked sends. */
    public static ChannelDriver manual(VmbusChannel channel, Timers timers, PacketSink sink) {
        return manual(channel, timers, Outbox.DEFAULT_MAX_PARKED, sink);
    }

    private static ChannelDriver onContext(ChannelLink link, Context context, VmbusChannel channel, PacketSink sink,
                                           PacketHandler handler, BatchHandler batchHandler, int credit) {
        Executor later = task -> context.runOnContext(v -> task.run());
        ChannelDriver driver = new ChannelDriver(link, channel, Timers.on(context), later, Outbox.DEFAULT_MAX_PARKED, sink,
                handler, batchHandler, credit);
        link.interruptHandler(driver::interrupt);
        link.closedHandler(driver::end);
        // Packets may already be waiting (the peer wrote before our signal line existed): it will not interrupt
        // for a non-empty ring, so look now.
        driver.scheduleDrain();
        return driver;
    }

    public Offer offer() {
        return channel.offer();
    }

    /** The link this end runs on, or null for a manual driver. */
    public ChannelLink link() {
        return link;
    }

    /** What runs, once, when the channel ends for any reason (rescind, peer gone, fault, close). */
    public ChannelDriver endHandler(Consumer<EndReason> handler) {
        this.endHandler = handler;
        if (channel.state() != ChannelState.OPEN && channel.endReason() != null) {
            handler.accept(channel.endReason()); // it ended before anyone listened (its link's end, given at once)
        }
        return this;
    }

    public ChannelState state() {
        return channel.state();
    }

    /** Why the channel ended, or null while it is open. */
    public EndReason reason() {
        return channel.endReason();
    }

    public boolean open() {
        return channel.state() == ChannelState.OPEN;
    }

    // ---- inbound --------------------------------------------------------------------------------------------

    /**
     * The peer interrupted: count it and retry parked sends (it may have freed outbound space). A driver on a
     * context then drains; a {@link #manual} driver's caller calls {@link #drain(int)} itself.
     */
    public void onInterrupt() {
        if (!open()) {
            return;
        }
        channel.interrupted();
        if (outbox.parkedCount() > 0) {
            try {
                outbox.flush();
            } catch (RingUnmappedException e) {
                ringGone(e);
            }
        }
    }

    /** The link's interrupt handler, on our context. */
    private void interrupt() {
        onInterrupt();
        if (!drainQueued) {
            drainNow(); // already on our context: no need to queue another task before reading the ring
        }
    }

    private void scheduleDrain() {
        if (later != null && !drainQueued && !inbox.holding() && open()) {
            drainQueued = true;
            later.execute(() -> {
                drainQueued = false;
                drainNow();
            });
        }
    }

    private void drainNow() {
        if (!inbox.holding() && drain(batch) == DrainResult.MORE) {
            scheduleDrain(); // yield the event loop; interrupts stay masked meanwhile
        }
    }

    /**
     * One drain pass (by hand for a {@link #manual} driver); see {@link Inbox#drain(int)}. A ring the transport
     * unmapped ends the channel ({@link EndReason.Kind#RING_UNMAPPED}); any other exception is a bug and
     * propagates, leaving the channel's state alone.
     */
    public DrainResult drain(int budget) {
        try {
            return inbox.drain(budget);
        } catch (RingUnmappedException e) {
            ringGone(e);
            return DrainResult.STOPPED;
        }
    }

    /** Stops taking packets (they stay in the ring, so the peer eventually sees a full ring). */
    public void pause() {
        inbox.pause(true);
    }

    /** Takes packets again after {@link #pause()}. */
    public void resume() {
        if (inbox.pause(false)) {
            scheduleDrain();
        }
    }

    // ---- outbound -------------------------------------------------------------------------------------------

    /** Sends a packet, waiting for ring space if needed; fails with {@link ChannelClosedException} once ended. */
    public Future<Void> send(byte[] payload, long requestId, int type, int flags) {
        return send(payload, requestId, type, flags, null, null);
    }

    /**
     * As {@link #send(byte[], long, int, int)} for a packet that may carry ranges: {@code transferPages} for a
     * transfer-page packet, {@code gpaRanges} for a GPA-direct one (each null otherwise). A packet the channel
     * refuses as it stands (no range, flags other than 0 or 1 on a ranged packet, too long for {@code len8})
     * fails with {@link IllegalArgumentException} and the channel stays open.
     */
    public Future<Void> send(byte[] payload, long requestId, int type, int flags,
                                TransferPageRanges transferPages, GpaRanges gpaRanges) {
        if (!open()) {
            return Future.failedFuture(new ChannelClosedException(channel.relid(), reason()));
        }
        try {
            Future<Void> sent = outbox.send(payload, requestId, type, flags, transferPages, gpaRanges);
            if (!sent.isComplete() && inbox.holdsOnParkedSends()) {
                // Held while it waits (see holding()); take packets again once it is on the ring.
                sent.onComplete(ar -> scheduleDrain());
            }
            return sent;
        } catch (RingUnmappedException e) {
            ringGone(e);
            return Future.failedFuture(new ChannelClosedException(channel.relid(), reason()));
        }
    }

    /**
     * Completes {@code request}, a packet this driver delivered: sends {@code VM_PKT_COMP} (flags 0) with its
     * transaction id and {@code payload} (may be empty), and for a batch handler's transfer-page packet gives its
     * credit (its receive-buffer slots) back at once, so the drain may take more while the completion waits for
     * ring space.
     *
     * @throws IllegalArgumentException for a transfer-page packet that is not waiting for a completion on this
     *                                  channel (completed twice, or another channel's), or for a completion packet
     */
    public Future<Void> complete(Packet request, byte[] payload) {
        if (request.isCompletion()) {
            throw new IllegalArgumentException("packet " + request.transactionId() + " on channel " + channel.relid()
                    + " is itself a completion; nothing completes it");
        }
        if (request.relid() != channel.relid()) {
            throw new IllegalArgumentException("packet " + request.transactionId() + " came on channel "
                    + request.relid() + ", not " + channel.relid());
        }
        inbox.settle(request);
        return send(payload, request.transactionId(), dev.vmbus.ring.PacketType.COMP, 0);
    }

    /** Sends a request and completes with the peer's completion, or fails after {@code timeoutMillis}. */
    public Future<Packet> request(byte[] payload, int type, long timeoutMillis) {
        if (!open()) {
            return Future.failedFuture(new ChannelClosedException(channel.relid(), reason()));
        }
        try {
            return outbox.request(payload, type, timeoutMillis);
        } catch (RingUnmappedException e) {
            ringGone(e);
            return Future.failedFuture(new ChannelClosedException(channel.relid(), reason()));
        }
    }

    /**
     * Fault knob: writes {@code length} raw bytes of {@code packet} (descriptor included, unchecked) as the next
     * outbound packet; see {@link VmbusChannel#sendRaw}. The peer is signalled by the channel's one rule.
     *
     * @return {@link SendStatus#OK} once on the ring; {@link SendStatus#TRY_AGAIN} if it did not fit; otherwise
     *         the channel is not open (or this write found the ring broken, which ends it)
     */
    public SendStatus writeRaw(MemorySegment packet, long offset, int length) {
        boolean wasOpen = open();
        SendStatus status;
        try {
            status = channel.sendRaw(packet, offset, length);
        } catch (RingUnmappedException e) {
            ringGone(e);
            return SendStatus.NO_DEVICE;
        }
        if (wasOpen && !open()) {
            ended(); // the write found the ring broken
        }
        return status;
    }

    // ---- life -----------------------------------------------------------------------------------------------

    /** Ends the channel for {@code reason} if it is still open; the end handler hears it. */
    public void end(EndReason reason) {
        if (channel.end(reason)) {
            ended();
        }
    }

    /** The channel has just left OPEN (exactly one caller sees each transition): fail what waits, report. */
    private void ended() {
        EndReason reason = channel.endReason();
        outbox.failAll(new ChannelClosedException(channel.relid(), reason));
        endHandler.accept(reason);
    }

    /**
     * The link unmapped the ring under us (a uio device rescinded: its pages may be freed) and the access that
     * found out failed instead of touching them; the link's own report follows.
     */
    private void ringGone(RingUnmappedException e) {
        end(EndReason.of(EndReason.Kind.RING_UNMAPPED, "the ring memory was unmapped (" + e.getMessage() + ")"));
    }

    /** Closes our end (and, for a guest, tells the host); also after the channel ended by itself. */
    public Future<Void> close() {
        return close(EndReason.of(EndReason.Kind.CLOSED, "closed"));
    }

    /** As {@link #close()}, saying why (a {@link EndReason.Kind#CLOSED} reason, unless the channel failed). */
    public Future<Void> close(EndReason reason) {
        end(reason);
        if (linkClosed == null) {
            linkClosed = link != null ? link.close() : Future.succeededFuture();
        }
        return linkClosed;
    }

    // ---- figures --------------------------------------------------------------------------------------------

    /**
     * A snapshot of every figure about this channel end.
     *
     * @throws RingUnmappedException if the transport unmapped the ring (the snapshot then fails instead of
     *                               reading freed pages)
     */
    public ChannelStats stats() {
        return channel.stats();
    }

    /** Packets with the handler now. */
    public int inFlight() {
        return inbox.inFlight();
    }

    /**
     * On a channel without a requestor, a completion whose transaction id this end never sent asking for one
     * (a hostile or broken peer) ends the channel ({@link EndReason.Kind#BAD_PEER_PACKET}) instead of reaching the
     * handler. Off by default; the agent's channels turn it on. With a requestor such completions are dropped and
     * counted, as Linux does.
     */
    public ChannelDriver strictCompletions(boolean on) {
        inbox.strictCompletions(on);
        return this;
    }

    /** What this end's device holds and what it waits for, now. */
    public Outstanding outstanding() {
        return inbox.outstanding(outbox.completionsAwaited());
    }

    /** Sends waiting for outbound space. */
    public int parkedCount() {
        return outbox.parkedCount();
    }

    /** Requests waiting for their completion. */
    public int pendingRequests() {
        return outbox.pendingRequests();
    }

    /** How often a send had to arm {@code pending_send_sz} and wait. */
    public long pendingSendWaits() {
        return outbox.pendingSendWaits();
    }
}
