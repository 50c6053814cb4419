package dev.vmbus.runtime;

import dev.vmbus.net.Readiness;
import io.netty.channel.EventLoop;
import io.netty.channel.IoEvent;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.nio.NioIoHandle;
import io.netty.channel.nio.NioIoOps;
import io.vertx.core.Context;
import io.vertx.core.internal.ContextInternal;

import java.io.IOException;
import java.nio.channels.SelectableChannel;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@link Readiness} on a Vert.x event-loop context: the channel is registered with the context's own Netty event
 * loop (its NIO selector, beside the loop's sockets), and each readiness is dispatched in the context, as a socket's
 * read would be. {@link #of} says when a context cannot (a worker context, a loop that is not NIO).
 */
public final class LoopReadiness implements Readiness {
    private static final Logger LOG = Logger.getLogger(LoopReadiness.class.getName());

    private final ContextInternal context;
    private final IoEventLoop loop;

    private LoopReadiness(ContextInternal context, IoEventLoop loop) {
        this.context = context;
        this.loop = loop;
    }

    /** Readiness on {@code context}'s event loop, or null when that loop cannot watch a selectable channel. */
    public static Readiness of(Context context) {
        if (!(context instanceof ContextInternal c) || !c.isEventLoopContext()) {
            return null;
        }
        EventLoop netty = c.nettyEventLoop();
        if (!(netty instanceof IoEventLoop io) || !io.isCompatible(NioIoHandle.class)) {
            return null;
        }
        return new LoopReadiness(c, io);
    }

    @Override
    public Watch watch(SelectableChannel channel, int ops, Runnable ready) throws IOException {
        if ((channel.validOps() & ops) != ops || ops == 0) {
            throw new IllegalArgumentException(channel + " cannot be watched for ops " + ops);
        }
        Handle handle = new Handle(channel, NioIoOps.valueOf(ops), ready);
        loop.register(handle).addListener(f -> {
            if (f.isSuccess()) {
                handle.registered((IoRegistration) f.getNow());
            } else {
                LOG.log(Level.WARNING, "could not watch " + channel + " on " + loop + ": " + f.cause(), f.cause());
            }
        });
        return handle;
    }

    private final class Handle implements NioIoHandle, Watch {
        private final SelectableChannel channel;
        private final NioIoOps ops;
        private final Runnable ready;
        private IoRegistration registration;
        private boolean enabled = true;
        private boolean cancelled;

        Handle(SelectableChannel channel, NioIoOps ops, Runnable ready) {
            this.channel = channel;
            this.ops = ops;
            this.ready = ready;
        }

        synchronized void registered(IoRegistration r) {
            registration = r;
            if (cancelled) {
                r.cancel();
            } else {
                r.submit(enabled ? ops : NioIoOps.NONE);
            }
        }

        @Override
        public SelectableChannel selectableChannel() {
            return channel;
        }

        @Override
        public void handle(IoRegistration r, IoEvent event) {
            synchronized (this) {
                if (cancelled || !enabled) {
                    return;
                }
            }
            context.dispatch(ready);
        }

        @Override
        public synchronized void enabled(boolean on) {
            if (cancelled || enabled == on) {
                return;
            }
            enabled = on;
            if (registration != null) {
                registration.submit(on ? ops : NioIoOps.NONE);
            }
        }

        @Override
        public void cancel() {
            synchronized (this) {
                if (cancelled) {
                    return;
                }
                cancelled = true;
                if (registration != null) {
                    registration.cancel();
                }
            }
        }

        @Override
        public void close() {
            cancel(); // the loop is shutting down; the channel is its owner's to close
        }

        @Override
        public String toString() {
            return "watch of " + channel + " on " + loop;
        }
    }
}
