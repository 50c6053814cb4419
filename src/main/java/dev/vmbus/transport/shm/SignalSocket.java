package dev.vmbus.transport.shm;

import io.netty.channel.EventLoop;
import io.netty.channel.IoEvent;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.nio.NioIoEvent;
import io.netty.channel.nio.NioIoHandle;
import io.netty.channel.nio.NioIoOps;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.internal.ContextInternal;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;

/**
 * One end of a channel's signal socket ({@code DIR/R.sock}), served on the owning context's own event loop with
 * nothing between the selector and the channel: the socket is registered with the loop's selector as a Netty
 * {@link NioIoHandle} (no pipeline, no {@code NetSocket}, no buffer per frame), a wake-up reads what is queued
 * into one direct buffer, and a signal writes one 4-byte frame from another. This is the hot path of an idle agent
 * (a heartbeat every 2 s runs it in the interpreter), so it does as little as it can.
 *
 * <p>Frames are 4-byte little-endian integers ({@link FrameDecoder}); however many a read holds, the owner's
 * handler runs once. A frame the kernel cannot take whole (the peer stopped reading and the socket is full) stays
 * here and is finished when the socket drains; signals meanwhile are coalesced into it. That loses no wake-up: the
 * peer cannot decode the frame before its last byte arrives, which is after every ring write the coalesced
 * signals announced.
 *
 * <p>Threads: registration, reads and writes happen on the loop; {@link #send} and {@link #close} from another
 * thread hop onto it. Handlers run on the owner context (directly when it is the loop's event-loop context).
 * A hostile peer gets at most {@link #MAX_READS_PER_WAKEUP} reads per wake-up, so a flood cannot hold the loop.
 */
final class SignalSocket extends LoopHandle {
    /** Bytes read at once; 16 frames. */
    private static final int READ_BYTES = 64;
    /** Reads per wake-up before the loop moves on (the selector wakes it again while bytes remain). */
    static final int MAX_READS_PER_WAKEUP = 16;
    /** What the peer-closed handler gets when the peer closed the socket (else "failed: " and the error). */
    static final String CLOSED_BY_PEER = "closed by the peer";

    private final SocketChannel channel;
    private final EventLoop loop;
    private final ByteBuffer in = ByteBuffer.allocateDirect(READ_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    private final ByteBuffer out = ByteBuffer.allocateDirect(4).order(ByteOrder.LITTLE_ENDIAN);
    private final FrameDecoder decoder = new FrameDecoder();
    private final Runnable onFrames;
    private final Consumer<String> onPeerClosed;
    /** A frame is partly written (or not at all: the socket was full); the loop watches for room. */
    private boolean writePending;
    /** Frames written whole so far (a coalesced signal is not one). */
    private long sent;

    private SignalSocket(SocketChannel channel, ContextInternal owner, Runnable onFrames, Consumer<String> onPeerClosed) {
        super(owner);
        this.channel = channel;
        this.loop = owner.nettyEventLoop();
        this.onFrames = onFrames;
        this.onPeerClosed = onPeerClosed;
    }

    /**
     * Connects to {@code path} and serves the socket on {@code owner}'s event loop; completes (on that loop) once
     * it is registered, so no frame can arrive before the handlers are in place.
     *
     * @param onFrames     runs on {@code owner} once per read that completed at least one frame
     * @param onPeerClosed runs on {@code owner}, once, when the peer closed the socket or it failed (with why);
     *                     never after {@link #close}
     */
    static Future<SignalSocket> connect(Path path, Context owner, Runnable onFrames, Consumer<String> onPeerClosed) {
        SocketChannel channel = null;
        try {
            channel = SocketChannel.open(StandardProtocolFamily.UNIX);
            channel.configureBlocking(false);
            // A listening AF_UNIX socket answers a non-blocking connect at once: accepted, refused, or EAGAIN when
            // its backlog is full; nothing here waits on the peer.
            if (!channel.connect(UnixDomainSocketAddress.of(path))) {
                channel.close();
                return Future.failedFuture(new IOException("connecting " + path + " did not complete at once"));
            }
        } catch (IOException | RuntimeException e) {
            closeQuietly(channel);
            return Future.failedFuture(new IOException("cannot connect signal socket " + path + ": " + e.getMessage(), e));
        }
        return serve(channel, owner, onFrames, onPeerClosed);
    }

    /** Serves an accepted (or connected) socket on {@code owner}'s event loop; as {@link #connect}. */
    static Future<SignalSocket> serve(SocketChannel channel, Context owner, Runnable onFrames,
                                      Consumer<String> onPeerClosed) {
        ContextInternal context = (ContextInternal) owner;
        IoEventLoop loop = nioLoop(context);
        if (loop == null) {
            closeQuietly(channel);
            return Future.failedFuture(notNio(context));
        }
        try {
            channel.configureBlocking(false);
        } catch (IOException e) {
            closeQuietly(channel);
            return Future.failedFuture(e);
        }
        return register(new SignalSocket(channel, context, onFrames, onPeerClosed), loop, NioIoOps.READ,
                "signal socket");
    }

    @Override
    public SelectableChannel selectableChannel() {
        return channel;
    }

    @Override
    public void handle(IoRegistration registration, IoEvent event) {
        NioIoOps ops = ((NioIoEvent) event).ops();
        if (ops.contains(NioIoOps.WRITE)) {
            flush();
        }
        if (ops.contains(NioIoOps.READ) && !closed) {
            read();
        }
    }

    private void read() {
        boolean frames = false;
        try {
            for (int i = 0; i < MAX_READS_PER_WAKEUP; i++) {
                in.clear();
                int n = channel.read(in);
                if (n < 0) {
                    peerClosed(CLOSED_BY_PEER);
                    return;
                }
                frames |= decoder.feed(in, n);
                if (n < READ_BYTES) {
                    break; // drained
                }
            }
        } catch (IOException e) {
            peerClosed("failed: " + e.getMessage());
            return;
        }
        if (frames) {
            if (owner.isEventLoopContext()) {
                owner.dispatch(onFrames); // we are on its loop
            } else {
                owner.runOnContext(v -> onFrames.run());
            }
        }
    }

    /** Sends one frame carrying {@code value}; coalesced into a frame still waiting for room. */
    void send(int value) {
        if (closed) {
            return;
        }
        if (!loop.inEventLoop()) {
            loop.execute(() -> send(value));
            return;
        }
        if (writePending) {
            if (out.position() == 0) {
                out.putInt(0, value); // nothing of it left yet: carry the newest value
            }
            return;
        }
        out.clear();
        out.putInt(0, value);
        flush();
    }

    private void flush() {
        if (closed) {
            return;
        }
        try {
            channel.write(out);
        } catch (IOException e) {
            peerClosed("failed: " + e.getMessage());
            return;
        }
        boolean rest = out.hasRemaining();
        if (!rest) {
            sent++;
        }
        if (rest != writePending) {
            writePending = rest;
            registration.submit(rest ? NioIoOps.READ_AND_WRITE : NioIoOps.READ);
        }
    }

    private void peerClosed(String why) {
        if (closed) {
            return;
        }
        shut();
        owner.runOnContext(v -> onPeerClosed.accept(why));
    }

    /**
     * Closes the socket from this end; the peer-closed handler does not run. Idempotent, any thread; Netty also
     * calls it when the loop shuts down with the socket registered.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        if (!loop.inEventLoop()) {
            try {
                loop.execute(this::close);
                return;
            } catch (RejectedExecutionException e) {
                // the loop has stopped: nothing serves the socket any more, close it here
            }
        }
        shut();
    }

    @Override
    void closeChannel() {
        closeQuietly(channel);
    }

    boolean isClosed() {
        return closed;
    }

    /** Frames read so far. */
    long framesRead() {
        return decoder.frames();
    }

    /** Frames written whole so far; read it on the loop. */
    long framesSent() {
        return sent;
    }

    /** Whether a frame waits for room in the socket; read it on the loop. */
    boolean writePending() {
        return writePending;
    }
}
