package dev.vmbus.runtime;

import dev.vmbus.channel.ChannelState;
import dev.vmbus.channel.EndReason;
import dev.vmbus.channel.Packet;
import dev.vmbus.channel.VmbusChannel;
import dev.vmbus.ring.PacketType;
import dev.vmbus.runtime.ChannelDriver.DrainResult;
import io.vertx.core.Future;

import java.util.ArrayList;
import java.util.List;

/**
 * A channel end's incoming side, owned by its {@link ChannelDriver}: the mask → drain → commit → unmask →
 * re-check loop (spec 2.7), over the primitives {@link VmbusChannel} offers, and the credit that decides whether
 * packets may be taken at all. This is the drain protocol's one home.
 *
 * <p>Holding: no packet is taken while paused by hand, while {@code credit} units are with an asynchronous or
 * batch handler, or (with such a handler) while a send waits for outbound space. Interrupts then stay masked and
 * the packets stay in the ring; whoever releases the hold asks the driver for another pass.
 *
 * <p>Credit counts receive-buffer slots as well as packets: a packet costs one unit, a transfer-page packet one
 * per range (each range is a slot of the receive buffer, NVSP's and netvsp's unit). A per-packet handler holds a
 * packet's units until its future completes. A {@link BatchHandler} gets every packet of a pass at once, after
 * the pass's commit; a packet's unit comes back when the handler returns, except a transfer-page packet's, which
 * come back only when the device completes it ({@link #settle}): a device that holds slots holds the host back.
 * The next packet is taken while fewer than {@code credit} units are held, so one packet may go past it.
 *
 * <p>Runs on the driver's context only.
 */
final class Inbox {
    /** What the inbox needs of its driver. */
    interface Owner {
        /** The channel has just ended during this pass (a read or commit found the ring broken). */
        void endedHere();

        /** A handler failed: end the channel for this reason. */
        void fail(EndReason reason);

        /** Credit came back: take packets again (on a later turn). */
        void released();
    }

    private final VmbusChannel channel;
    private final Outbox outbox;
    private final PacketSink sink;
    private final PacketHandler handler;
    private final BatchHandler batchHandler;
    private final int credit;
    private final Owner owner;
    private boolean pausedByHand;
    /** Whether a completion naming an id this end never sent (without a requestor) ends the channel. */
    private boolean strictCompletions;
    /** Packets with the handler (a batch handler's: its transfer-page packets not yet completed, and the batch). */
    private int inFlight;
    /** Credit units those packets hold. */
    private int creditUsed;
    /** Transfer-page packets with the device, not yet completed. */
    private int completionsOwed;
    /** Receive-buffer slots (transfer-page ranges) those packets name. */
    private int slotsHeld;
    /** A batch handler's transfer-page packets not yet completed, each with its cost. */
    private final OwedPackets owed = new OwedPackets();
    private final List<Packet> batch = new ArrayList<>();

    Inbox(VmbusChannel channel, Outbox outbox, PacketSink sink, PacketHandler handler, BatchHandler batchHandler,
          int credit, Owner owner) {
        this.channel = channel;
        this.outbox = outbox;
        this.sink = sink;
        this.handler = handler;
        this.batchHandler = batchHandler;
        this.credit = credit;
        this.owner = owner;
    }

    /** Whether a send parked now holds the drain (only for an asynchronous or batch handler). */
    boolean holdsOnParkedSends() {
        return handler != null || batchHandler != null;
    }

    boolean holding() {
        return pausedByHand || creditUsed >= credit || holdsOnParkedSends() && outbox.parkedCount() > 0;
    }

    /** Credit units {@code packet} costs: its transfer-page ranges (receive-buffer slots), at least one. */
    static int cost(Packet packet) {
        return packet.transferPages() != null ? Math.max(1, packet.transferPages().count()) : 1;
    }

    private static int slots(Packet packet) {
        return packet.transferPages() != null ? packet.transferPages().count() : 0;
    }

    /**
     * A batch handler's device completed {@code packet}: gives back what it held. A transfer-page packet must be
     * one this inbox delivered and not yet settled; any other packet holds nothing by then.
     *
     * @return whether it held anything
     * @throws IllegalArgumentException for a transfer-page packet this channel did not deliver, or settled twice
     */
    boolean settle(Packet packet) {
        if (packet.transferPages() == null) {
            return false;
        }
        int units = owed.remove(packet);
        if (units < 0) {
            throw new IllegalArgumentException("channel " + channel.relid() + " has no transfer-page packet "
                    + packet.transactionId() + " waiting for a completion (completed twice, or not from this channel)");
        }
        boolean wasHolding = holding();
        inFlight--;
        creditUsed -= units;
        completionsOwed--;
        slotsHeld -= slots(packet);
        if (wasHolding && !holding()) {
            owner.released();
        }
        return true;
    }

    void strictCompletions(boolean on) {
        strictCompletions = on;
    }

    /** What the device holds now, with the {@code completionsAwaited} of this end's {@link Outbox}. */
    Outstanding outstanding(int completionsAwaited) {
        return new Outstanding(inFlight, creditUsed, credit, completionsOwed, slotsHeld, completionsAwaited);
    }

    /** @return whether this released a pause */
    boolean pause(boolean paused) {
        boolean released = pausedByHand && !paused;
        pausedByHand = paused;
        return released;
    }

    int inFlight() {
        return inFlight;
    }

    private boolean open() {
        return channel.state() == ChannelState.OPEN;
    }

    /**
     * One pass: masks interrupts, takes up to {@code budget} packets (completions of our requests are consumed
     * here and count toward the budget), commits {@code read_index} once, and, if the budget was not used up,
     * unmasks and re-checks, going round again if packets arrived meanwhile.
     */
    DrainResult drain(int budget) {
        if (!open()) {
            return DrainResult.STOPPED;
        }
        // What the pass's handlers send (completions, answers) is staged and published once per pass.
        channel.beginBurst();
        try {
            return drainPasses(budget);
        } finally {
            channel.endBurst();
        }
    }

    private DrainResult drainPasses(int budget) {
        channel.maskInterrupts(); // a no-op if they stayed masked since the last pass
        int left = budget;
        while (true) {
            int taken = 0;
            boolean completions = false;
            boolean readFault = false;
            while (taken < left && open() && !holding()) {
                Packet packet = channel.nextPacket();
                if (packet == null) {
                    readFault = !open(); // the read found the ring broken and ended the channel
                    break;
                }
                taken++;
                if (packet.type() == PacketType.COMP && channel.requestor() != null) {
                    outbox.complete(packet);
                    completions = true;
                } else {
                    if (packet.type() == PacketType.COMP && !outbox.completed(packet.transactionId())
                            && strictCompletions) {
                        owner.fail(EndReason.of(EndReason.Kind.BAD_PEER_PACKET, "channel " + channel.relid()
                                + ": the peer completed transaction id "
                                + Long.toUnsignedString(packet.transactionId())
                                + ", which this end never sent asking for a completion"));
                        break;
                    }
                    deliver(packet);
                }
            }
            boolean openBeforeCommit = open();
            channel.commit(); // what was taken is consumed, whatever happens next
            if (readFault || openBeforeCommit && !open()) {
                batch.clear();
                owner.endedHere(); // this pass's read or commit ended it: nobody else has reported it
                return DrainResult.STOPPED;
            }
            if (!batch.isEmpty() && open()) {
                deliverBatch();
            }
            if (!open()) {
                batch.clear();
                return DrainResult.STOPPED; // ended while delivering: whoever ended it reported it
            }
            if (completions && outbox.parkedCount() > 0) {
                outbox.flush();
                if (!open()) {
                    return DrainResult.STOPPED;
                }
            }
            if (holding()) {
                return DrainResult.HELD;
            }
            channel.endBurst(); // the peer sees this pass's sends before we look again or go idle
            channel.beginBurst();
            left -= taken;
            if (left == 0) {
                return DrainResult.MORE;
            }
            if (!channel.unmaskInterrupts()) {
                return DrainResult.IDLE;
            }
            channel.maskInterrupts(); // data arrived while masked: the peer will not interrupt for it
        }
    }

    private void deliver(Packet packet) {
        if (batchHandler != null) {
            int units = cost(packet);
            inFlight++;
            creditUsed += units;
            if (packet.transferPages() != null) {
                owed.add(packet, units);
                completionsOwed++;
                slotsHeld += slots(packet);
            }
            batch.add(packet);
            return;
        }
        if (handler == null) {
            try {
                sink.accept(packet);
            } catch (RuntimeException e) {
                // Escaping, it would leave the pass uncommitted and the interrupts masked: the channel silent for
                // good, the same packet read again by any later drain. It ends the channel instead, as a handler's.
                owner.fail(e instanceof HandlerFailure f ? f.reason()
                        : EndReason.of(EndReason.Kind.HANDLER_FAILED, "packet sink failed: " + e));
            }
            return;
        }
        int units = cost(packet);
        int slots = slots(packet);
        boolean xfer = packet.transferPages() != null;
        inFlight++;
        creditUsed += units;
        if (xfer) {
            completionsOwed++;
            slotsHeld += slots;
        }
        Future<?> done;
        try {
            done = handler.handle(packet);
        } catch (RuntimeException e) {
            done = Future.failedFuture(e);
        }
        done.onComplete(ar -> {
            inFlight--;
            creditUsed -= units;
            if (xfer) {
                completionsOwed--;
                slotsHeld -= slots;
            }
            if (ar.failed()) {
                Throwable cause = ar.cause();
                owner.fail(cause instanceof HandlerFailure f ? f.reason()
                        : EndReason.of(EndReason.Kind.HANDLER_FAILED, String.valueOf(cause.getMessage())));
            } else {
                owner.released();
            }
        });
    }

    /**
     * Hands the pass's packets to the batch handler at once; then every packet but an uncompleted transfer-page
     * packet gives its unit back. A handler that throws ends the channel ({@link EndReason.Kind#HANDLER_FAILED}).
     */
    private void deliverBatch() {
        List<Packet> packets = List.copyOf(batch);
        batch.clear();
        try {
            batchHandler.accept(packets);
        } catch (RuntimeException e) {
            owner.fail(e instanceof HandlerFailure f ? f.reason()
                    : EndReason.of(EndReason.Kind.HANDLER_FAILED, "batch handler failed: " + e));
        }
        for (Packet p : packets) {
            if (p.transferPages() == null) {
                inFlight--;
                creditUsed--;
            }
        }
    }
}
