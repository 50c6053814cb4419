package dev.vmbus.transport.uio;

import dev.vmbus.channel.EndReason;
import dev.vmbus.channel.Offer;
import dev.vmbus.transport.AbstractChannelLink;
import dev.vmbus.transport.ChannelBuffer;
import dev.vmbus.transport.InterruptTarget;
import dev.vmbus.transport.OnContext;
import io.vertx.core.Context;
import io.vertx.core.Future;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.function.Consumer;

/**
 * The guest's link to one uio channel: its mapped rings, the kick that signals the host (a coalesced
 * {@code write(1)} on the device made by the kick thread, or the interrupt and monitor pages for a monitored
 * channel), and the device's interrupts delivered on the owner's context.
 *
 * <p>State changes run on the owner's context, where the channel's driver calls {@link #signal}: once
 * {@code gone} is set there no kick follows. The one exception is {@link #revoke}: on the first EIO or POLLERR
 * the interrupt thread closes the ring memory at once (its shared arena closes atomically with respect to every
 * access, see {@link SharedMemory}), so that whatever the owner does next, a commit, a mask store, a TX write
 * or a stats snapshot, fails (the channel reports {@link dev.vmbus.channel.RingUnmappedException}) instead of
 * touching pages the kernel may have freed.
 */
final class UioLink extends AbstractChannelLink {
    private final Arena arena;
    private final Context owner;
    private final Runnable kick;
    private final Consumer<UioLink> onClosed;
    private final InterruptTarget target;
    private volatile boolean gone;
    private boolean unmapped;
    private Future<Void> closing;

    UioLink(Offer offer, MemorySegment memory, List<ChannelBuffer> buffers, Arena arena, int headerSize,
            Context owner, Runnable kick, Consumer<UioLink> onClosed) {
        super(offer, memory, headerSize, buffers);
        this.arena = arena;
        this.owner = owner;
        this.kick = kick;
        this.onClosed = onClosed;
        this.target = new InterruptTarget(owner);
    }

    /** Kicks the host. The caller (the channel) already applied the signalling rules of spec 2.3 and 2.6. */
    @Override
    public void signal() {
        if (gone) {
            return;
        }
        try {
            kick.run();
        } catch (IllegalStateException e) {
            // The monitor pages were unmapped by a rescind an instant ago: the channel is gone, and so is the kick.
        }
    }

    @Override
    public void interruptHandler(Runnable handler) {
        target.handler(handler);
    }

    /** From the interrupt thread: the device was interrupted; every channel of it must look at its ring. */
    void interrupt() {
        if (!gone) {
            target.interrupt();
        }
    }

    /** Whether the ring memory is still mapped. */
    boolean mapped() {
        return memory().scope().isAlive();
    }

    /** Any thread: the kernel may free the ring now; unmap it at once. The owner hears of it through {@link #lost}. */
    void revoke() {
        gone = true;
        SharedMemory.close(arena, memory());
    }

    /** The channel went away under us (rescind, transport closing): stop kicking, unmap, tell the owner. */
    Future<Void> lost(EndReason reason) {
        return OnContext.run(owner, () -> {
            boolean open = !unmapped; // not closed by its owner already
            gone = true;
            // Unmapped before the driver hears: a device that left sysfs may have had its pages freed already.
            unmap();
            if (open) {
                ended(reason); // the driver stops synchronously: nothing reads the rings after this
            }
        });
    }

    @Override
    public Future<Void> close() {
        if (closing == null) {
            closing = OnContext.run(owner, () -> {
                gone = true;
                unmap();
            });
        }
        return closing;
    }

    private void unmap() {
        if (!unmapped) {
            unmapped = true;
            SharedMemory.close(arena, memory());
            onClosed.accept(this);
        }
    }
}
