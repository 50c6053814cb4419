package dev.vmbus.transport.shm;

import io.netty.channel.IoEvent;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.nio.NioIoHandle;
import io.netty.channel.nio.NioIoOps;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.internal.ContextInternal;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SelectableChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * The host's listening end of one channel's signal socket: accepts on the host context's event loop (a Netty
 * {@link NioIoHandle}, like {@link SignalSocket}) and hands each accepted socket to the host, which serves it with
 * {@link SignalSocket#serve}. At most {@link #MAX_ACCEPTS_PER_WAKEUP} accepts per wake-up.
 */
final class SignalListener extends LoopHandle {
    private static final Logger LOG = Logger.getLogger(SignalListener.class.getName());
    static final int MAX_ACCEPTS_PER_WAKEUP = 8;

    private final ServerSocketChannel server;
    private final Consumer<SocketChannel> accepted;

    private SignalListener(ServerSocketChannel server, ContextInternal owner, Consumer<SocketChannel> accepted) {
        super(owner);
        this.server = server;
        this.accepted = accepted;
    }

    /**
     * Listens on {@code path} (which must not exist); {@code accepted} runs on {@code owner} with each connection,
     * which it owns from then on. Completes once the listener is registered with the loop.
     */
    static Future<SignalListener> listen(Path path, Context owner, Consumer<SocketChannel> accepted) {
        ContextInternal context = (ContextInternal) owner;
        IoEventLoop loop = nioLoop(context);
        if (loop == null) {
            return Future.failedFuture(notNio(context));
        }
        ServerSocketChannel server;
        try {
            server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        } catch (IOException e) {
            return Future.failedFuture(e);
        }
        try {
            server.bind(UnixDomainSocketAddress.of(path), 4);
            server.configureBlocking(false);
        } catch (IOException | RuntimeException e) {
            closeQuietly(server);
            return Future.failedFuture(new IOException("cannot listen on " + path + ": " + e.getMessage(), e));
        }
        return register(new SignalListener(server, context, accepted), loop, NioIoOps.ACCEPT,
                "signal listener " + path);
    }

    @Override
    public SelectableChannel selectableChannel() {
        return server;
    }

    @Override
    public void handle(IoRegistration registration, IoEvent event) {
        for (int i = 0; i < MAX_ACCEPTS_PER_WAKEUP && !closed; i++) {
            SocketChannel socket;
            try {
                socket = server.accept();
            } catch (IOException e) {
                LOG.warning("shm: accepting a signal connection failed: " + e.getMessage());
                return;
            }
            if (socket == null) {
                return;
            }
            owner.runOnContext(v -> {
                if (closed) {
                    closeQuietly(socket);
                } else {
                    accepted.accept(socket);
                }
            });
        }
    }

    /** Stops listening (the socket file stays for the caller to remove). Idempotent, any thread. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (owner.nettyEventLoop().inEventLoop()) {
            shut();
        } else {
            try {
                owner.nettyEventLoop().execute(this::shut);
            } catch (RejectedExecutionException e) {
                shut(); // the loop has stopped
            }
        }
    }

    @Override
    void closeChannel() {
        closeQuietly(server);
    }
}
