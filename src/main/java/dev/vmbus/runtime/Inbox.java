package dev.vmbus.runtime;

import dev.vmbus.channel.ChannelState;
import dev.vmbus.channel.EndReason;
import dev.vmbus.channel.Packet;
import dev.vmbus.channel.VmbusChannel;
import dev.vmbus.ring.PacketType;
import dev.vmbus.runtime.ChannelDriver.DrainResult;
import io.vertx.core.Future;

/**
 * A channel end's incoming side, owned by its {@link ChannelDriver}: the mask → drain → commit → unmask →
 * re-check loop (spec 2.7), over the primitives {@link VmbusChannel} offers, and the credit that decides whether
 * packets may be taken at all. This is the drain protocol's one home.
 *
 * <p>Holding: no packet is taken while paused by hand, while {@code credit} packets are with an asynchronous
 * handler, or (with such a handler) while a send waits for outbound space. Interrupts then stay masked and
 * the packets stay in the ring; whoever releases the hold asks the driver for another pass.
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
    private final int credit;
    private final Owner owner;
    private boolean pausedByHand;
    private int inFlight;

    Inbox(VmbusChannel channel, Outbox outbox, PacketSink sink, PacketHandler handler,
          int credit, Owner owner) {
        this.channel = channel;
        this.outbox = outbox;
        this.sink = sink;
        this.handler = handler;
        this.credit = credit;
        this.owner = owner;
    }

    /** Whether a send parked now holds the drain (only for an asynchronous handler: see the class comment). */
    boolean holdsOnParkedSends() {
        return handler != null;
    }

    boolean holding() {
        return pausedByHand || inFlight >= credit || handler != null && outbox.parkedCount() > 0;
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
                    deliver(packet);
                }
            }
            boolean openBeforeCommit = open();
            channel.commit(); // what was taken is consumed, whatever happens next
            if (readFault || openBeforeCommit && !open()) {
                owner.endedHere(); // this pass's read or commit ended it: nobody else has reported it
                return DrainResult.STOPPED;
            }
            if (!open()) {
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
        if (handler == null) {
            sink.accept(packet);
            return;
        }
        inFlight++;
        Future<?> done;
        try {
            done = handler.handle(packet);
        } catch (RuntimeException e) {
            done = Future.failedFuture(e);
        }
        done.onComplete(ar -> {
            inFlight--;
            if (ar.failed()) {
                Throwable cause = ar.cause();
                owner.fail(cause instanceof HandlerFailure f ? f.reason()
                        : EndReason.of(EndReason.Kind.HANDLER_FAILED, String.valueOf(cause.getMessage())));
            } else {
                owner.released();
            }
        });
    }
}
