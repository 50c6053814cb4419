package dev.vmbus.transport.shm;

import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.nio.NioIoHandle;
import io.netty.channel.nio.NioIoOps;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.internal.ContextInternal;

import java.io.IOException;
import java.nio.channels.Channel;

/**
 * A channel served straight on its owner context's own event loop as a Netty {@link NioIoHandle}: what
 * {@link SignalSocket} and {@link SignalListener} share, which is how they get onto the loop and off it.
 */
abstract class LoopHandle implements NioIoHandle {
    final ContextInternal owner;
    /** Set on the loop once registered; null before. */
    IoRegistration registration;
    volatile boolean closed;

    LoopHandle(ContextInternal owner) {
        this.owner = owner;
    }

    /** {@code context}'s event loop if it can serve a {@link NioIoHandle}, else null ({@link #notNio} says why). */
    static IoEventLoop nioLoop(ContextInternal context) {
        return context.nettyEventLoop() instanceof IoEventLoop loop && loop.isCompatible(NioIoHandle.class)
                ? loop : null;
    }

    static IllegalStateException notNio(ContextInternal context) {
        return new IllegalStateException("shm signal sockets need Vert.x's NIO transport; this event loop is "
                + context.nettyEventLoop().getClass().getName());
    }

    /** Closes the channel itself, quietly. */
    abstract void closeChannel();

    /** Stops serving: closed from now on, off the selector, the channel closed. On the loop, or once it stopped. */
    final void shut() {
        closed = true;
        if (registration != null) {
            registration.cancel();
        }
        closeChannel();
    }

    /**
     * Registers {@code handle} with {@code loop} watching {@code ops}; completes on the loop once it is registered.
     * A failed registration closes the channel; a handle closed meanwhile is shut and the registration fails,
     * naming {@code what}.
     */
    static <H extends LoopHandle> Future<H> register(H handle, IoEventLoop loop, NioIoOps ops, String what) {
        Promise<H> registered = handle.owner.promise();
        loop.register(handle).addListener(f -> {
            if (!f.isSuccess()) {
                handle.closeChannel();
                registered.fail(f.cause());
                return;
            }
            handle.registration = (IoRegistration) f.getNow();
            if (handle.closed) {
                handle.shut();
                registered.fail(new IOException(what + " closed while registering"));
                return;
            }
            handle.registration.submit(ops);
            registered.complete(handle);
        });
        return registered.future();
    }

    static void closeQuietly(Channel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // closing is all we wanted
            }
        }
    }
}
