package dev.vmbus.runtime;

import dev.vmbus.channel.AsyncChannel;
import dev.vmbus.channel.ChannelClosedException;
import dev.vmbus.channel.ChannelState;
import dev.vmbus.channel.Packet;
import dev.vmbus.channel.Timers;
import dev.vmbus.channel.VmbusChannel;
import dev.vmbus.transport.ChannelLink;
import io.vertx.core.Context;
import io.vertx.core.Future;

import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * Runs one channel end on a Vert.x context: an interrupt from the link retries parked sends and drains the
 * inbound ring in bounded batches (a full batch yields the event loop and continues on the next turn), and the
 * link going away stops it. Guest channel verticles and the simulated host's device drivers both sit on this.
 *
 * <p>Create, use and stop it on its context only.
 */
public final class ChannelDriver {
    /** Packets taken per turn of the event loop before yielding. */
    public static final int DEFAULT_BATCH = 64;

    private final ChannelLink link;
    private final Context context;
    private final VmbusChannel channel;
    private final AsyncChannel async;
    private final AsyncChannel.PacketSink sink;
    private final int batch;
    private Consumer<String> stoppedHandler = reason -> { };
    private boolean drainQueued;
    private boolean paused;
    private boolean stopped;
    private Future<Void> linkClosed;

    private ChannelDriver(ChannelLink link, Context context, VmbusChannel channel, AsyncChannel.PacketSink sink,
                          int batch) {
        this.link = link;
        this.context = context;
        this.channel = channel;
        this.sink = sink;
        this.batch = batch;
        Timers timers = (delay, task) -> {
            long id = context.owner().setTimer(Math.max(1, delay), t -> task.run());
            return () -> context.owner().cancelTimer(id);
        };
        this.async = new AsyncChannel(channel, timers);
    }

    /** Drives the guest end of {@code link}; {@code sink} receives every packet that is not a completion. */
    public static ChannelDriver guest(ChannelLink link, Context context, int requestorSize,
                                      AsyncChannel.PacketSink sink) {
        return new ChannelDriver(link, context,
                VmbusChannel.guest(link.offer(), link.rings(), link::signal, requestorSize), sink, DEFAULT_BATCH)
                .attach();
    }

    /** Drives the host end of {@code link}. */
    public static ChannelDriver host(ChannelLink link, Context context, int requestorSize,
                                     AsyncChannel.PacketSink sink) {
        return new ChannelDriver(link, context,
                VmbusChannel.host(link.offer(), link.rings(), link::signal, requestorSize), sink, DEFAULT_BATCH)
                .attach();
    }

    private ChannelDriver attach() {
        link.signalHandler(this::onSignal);
        link.closedHandler(reason -> stop(ChannelState.RESCINDED, reason));
        // Packets may already be waiting (the peer wrote before our signal line existed): it will not interrupt
        // for a non-empty ring, so look now.
        scheduleDrain();
        return this;
    }

    public VmbusChannel channel() {
        return channel;
    }

    public AsyncChannel async() {
        return async;
    }

    public ChannelLink link() {
        return link;
    }

    /** What runs when the channel stops for any reason (rescind, peer gone, fault, close); gets the reason. */
    public ChannelDriver stoppedHandler(Consumer<String> handler) {
        this.stoppedHandler = handler;
        return this;
    }

    private void onSignal() {
        if (stopped) {
            return;
        }
        try {
            async.onInterrupt();
        } catch (IllegalStateException e) {
            ringGone(e);
            return;
        }
        if (!drainQueued && !paused) {
            drain(); // already on our context: no need to queue another task before reading the ring
        }
    }

    private void scheduleDrain() {
        if (!drainQueued && !paused && !stopped) {
            drainQueued = true;
            context.runOnContext(v -> drain());
        }
    }

    private void drain() {
        drainQueued = false;
        if (paused || stopped) {
            return;
        }
        AsyncChannel.DrainResult result;
        try {
            result = async.drain(batch, sink);
        } catch (IllegalStateException e) {
            ringGone(e);
            return;
        }
        switch (result) {
            case MORE -> scheduleDrain(); // yield the event loop; interrupts stay masked meanwhile
            case STOPPED -> stop(channel.state(), channel.fault());
            case IDLE -> { }
        }
    }

    /** Stops taking packets (they stay in the ring, so the peer eventually sees a full ring). */
    public void pause() {
        paused = true;
    }

    /** Takes packets again. */
    public void resume() {
        if (paused) {
            paused = false;
            scheduleDrain();
        }
    }

    public boolean paused() {
        return paused;
    }

    /** Sends a packet, waiting for ring space if needed. */
    public CompletableFuture<Void> send(byte[] payload, long requestId, int type, int flags) {
        try {
            return async.send(payload, requestId, type, flags);
        } catch (IllegalStateException e) {
            ringGone(e);
            return CompletableFuture.failedFuture(new ChannelClosedException(channel.relid(), channel.state(),
                    e.getMessage()));
        }
    }

    /** Sends a request and completes with the peer's completion. */
    public CompletableFuture<Packet> request(byte[] payload, int type, long timeoutMillis) {
        try {
            return async.request(payload, type, timeoutMillis);
        } catch (IllegalStateException e) {
            ringGone(e);
            return CompletableFuture.failedFuture(new ChannelClosedException(channel.relid(), channel.state(),
                    e.getMessage()));
        }
    }

    /**
     * The link unmapped the ring under us (a uio device rescinded: its pages may be freed) and the access that
     * found out failed with IllegalStateException instead of touching them; the link's own report follows.
     */
    private void ringGone(IllegalStateException e) {
        stop(ChannelState.RESCINDED, "the ring memory was unmapped (" + e.getMessage() + ")");
    }

    /** Closes our end (and, for a guest, tells the host); also after the channel stopped by itself. */
    public Future<Void> close() {
        stop(ChannelState.CLOSED, "closed");
        if (linkClosed == null) {
            linkClosed = link.close();
        }
        return linkClosed;
    }

    private void stop(ChannelState state, String reason) {
        if (stopped) {
            return;
        }
        stopped = true;
        if (state == ChannelState.RESCINDED) {
            channel.rescind();
        } else if (state == ChannelState.CLOSED) {
            channel.close();
        }
        async.failAll(new ChannelClosedException(channel.relid(), channel.state(), reason));
        stoppedHandler.accept(reason);
    }

    public boolean stopped() {
        return stopped;
    }
}
