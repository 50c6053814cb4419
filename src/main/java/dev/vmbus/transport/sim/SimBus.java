package dev.vmbus.transport.sim;

import dev.vmbus.channel.EndReason;
import dev.vmbus.channel.ChannelRings;
import dev.vmbus.channel.Offer;
import dev.vmbus.os.PageSize;
import dev.vmbus.transport.AbstractChannelLink;
import dev.vmbus.transport.ChannelBuffer;
import dev.vmbus.transport.ChannelLink;
import dev.vmbus.transport.GuestMemory;
import dev.vmbus.transport.GuestTransport;
import dev.vmbus.transport.HostTransport;
import dev.vmbus.transport.OfferListener;
import dev.vmbus.transport.InterruptTarget;
import dev.vmbus.transport.OnContext;
import dev.vmbus.transport.SharedGuestMemory;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * The {@code sim} transport: a host and a guest in one JVM sharing each channel's memory, with signals as
 * tasks on the other side's context. It has the same life cycle as the other transports (offer, open, close,
 * rescind), so code that runs on it runs on {@code shm} and {@code uio} too.
 *
 * <p>Threads: made for concurrent use: the channel table is concurrent and the fields the two
 * sides share (ends, handlers, closed flags) are volatile, since host and guest act from their own contexts; a
 * signal is a task on the other side's context, so ring reads and handlers run there.
 *
 * <p>Buffers and guest memory: a channel offered with {@link HostTransport.Buffers} gets a receive and a send
 * segment named {@code recv:N} and {@code send:N} with GPADL handles from a counter starting at
 * {@link HostTransport#FIRST_GPADL}, seen by both ends; {@link HostTransport#guestMemory} makes one segment the
 * guest's RAM, which the guest allocates GPA-direct pages from and the host resolves PFNs against.
 */
public final class SimBus {
    private final Vertx vertx;
    private final int headerSize;
    private final Map<Integer, SimChannel> channels = new ConcurrentHashMap<>();
    private final Host host = new Host();
    private final Guest guest = new Guest();
    private final AtomicInteger nextGpadl = new AtomicInteger(HostTransport.FIRST_GPADL);
    private volatile SharedGuestMemory guestMemory;
    /**
     * The tests' seam into the guest's open: runs with the offer once the channel is looked up, before it is opened
     * (where a host's rescind from another thread may land).
     */
    volatile Consumer<Offer> beforeOpen = offer -> { };

    public SimBus(Vertx vertx) {
        this(vertx, PageSize.system());
    }

    public SimBus(Vertx vertx, int headerSize) {
        this.vertx = vertx;
        this.headerSize = headerSize;
    }

    /** Bytes of each ring's header (the rest of a ring's size is data). */
    public int headerSize() {
        return headerSize;
    }

    public HostTransport host() {
        return host;
    }

    public GuestTransport guest() {
        return guest;
    }

    /**
     * One offered channel: its memory and, while open, the two ends. An open and a close take and queue the ends
     * under the channel's lock, so the host hears a channel's {@code opened} and {@code closed} in that order.
     */
    private final class SimChannel {
        final Offer offer;
        final HostTransport.ChannelListener listener;
        // Arena.ofAuto: memory lives while either end still references it, so a rescind racing a drain on the
        // other context can never free memory under it.
        final MemorySegment memory;
        final List<ChannelBuffer> buffers;
        volatile End guestEnd;
        volatile End hostEnd;

        SimChannel(Offer offer, HostTransport.Buffers sizes, List<ChannelBuffer> inherited,
                   HostTransport.ChannelListener listener) {
            this.offer = offer;
            this.listener = listener;
            this.memory = Arena.ofAuto().allocate(offer.memorySize(), headerSize);
            List<ChannelBuffer> b = new ArrayList<>(inherited);
            if (sizes.receive() > 0) {
                b.add(buffer(ChannelBuffer.Kind.RECEIVE, sizes.receive()));
            }
            if (sizes.send() > 0) {
                b.add(buffer(ChannelBuffer.Kind.SEND, sizes.send()));
            }
            this.buffers = List.copyOf(b);
        }

        private ChannelBuffer buffer(ChannelBuffer.Kind kind, long size) {
            return new ChannelBuffer(new ChannelBuffer.Name(kind, nextGpadl.getAndIncrement()),
                    Arena.ofAuto().allocate(size, GuestMemory.PAGE_SIZE));
        }
    }

    /** One end of an open channel. */
    private final class End extends AbstractChannelLink {
        final SimChannel channel;
        final InterruptTarget incoming;
        final Context ownerContext;
        final boolean guestSide;
        volatile End peer;
        volatile boolean closed;

        End(SimChannel channel, Context context, boolean guestSide) {
            super(channel.offer, channel.memory, headerSize, channel.buffers);
            this.channel = channel;
            this.incoming = new InterruptTarget(context);
            this.ownerContext = context;
            this.guestSide = guestSide;
        }

        @Override
        public void signal() {
            End p = peer;
            if (!closed && p != null && !p.closed) {
                p.incoming.interrupt();
            }
        }

        @Override
        public void interruptHandler(Runnable handler) {
            incoming.handler(handler);
        }

        @Override
        public Future<Void> close() {
            if (guestSide) {
                guest.closeChannel(channel, EndReason.of(EndReason.Kind.PEER_CLOSED, "closed by the guest"), null);
                return Future.succeededFuture();
            }
            // The host closing its end takes the channel away, as ShmHost's does.
            return channels.get(channel.offer.relid()) == channel ? host.rescind(channel.offer.relid())
                    : Future.succeededFuture();
        }
    }

    private final class Host implements HostTransport {
        private volatile Context context;
        private volatile Consumer<Boolean> guestHandler = attached -> { };

        @Override
        public Future<Void> start() {
            context = vertx.getOrCreateContext();
            return Future.succeededFuture();
        }

        @Override
        public Future<Void> offer(Offer offer, ChannelListener listener) {
            return offer(offer, Buffers.NONE, listener);
        }

        @Override
        public Future<Void> offer(Offer offer, Buffers buffers, ChannelListener listener) {
            return HostTransport.checkOffer(offer, buffers, channels, c -> c.offer)
                    .compose(primary -> offer(offer, buffers, primary, listener));
        }

        /** {@link #offer(Offer, Buffers, ChannelListener)} once checked; {@code primary} is null for a primary. */
        private Future<Void> offer(Offer offer, Buffers buffers, SimChannel primary, ChannelListener listener) {
            List<ChannelBuffer> inherited = primary != null ? primary.buffers : List.of();
            SimChannel channel = new SimChannel(offer, buffers, inherited, listener);
            if (channels.putIfAbsent(offer.relid(), channel) != null) {
                return Future.failedFuture(new IllegalArgumentException("relid " + offer.relid() + " is already offered"));
            }
            guest.deliverOffer(offer);
            return Future.succeededFuture();
        }

        @Override
        public Future<Void> rescind(int relid) {
            SimChannel channel = channels.remove(relid);
            if (channel == null) {
                return Future.failedFuture(new IllegalArgumentException("relid " + relid + " is not offered"));
            }
            guest.deliverRescind(channel);
            return Future.succeededFuture();
        }

        @Override
        public boolean guestConnected() {
            return guest.listener != null;
        }

        @Override
        public synchronized Future<SharedGuestMemory> guestMemory(long bytes) {
            if (guestMemory != null) {
                return Future.failedFuture(new IllegalStateException("the guest already has its memory: "
                        + guestMemory.describe()));
            }
            try {
                guestMemory = new SharedGuestMemory(Arena.ofAuto().allocate(bytes, GuestMemory.PAGE_SIZE),
                        "sim guest memory");
            } catch (IllegalArgumentException e) {
                return Future.failedFuture(e);
            }
            return Future.succeededFuture(guestMemory);
        }

        @Override
        public void guestHandler(Consumer<Boolean> handler) {
            guestHandler = handler;
        }

        @Override
        public Future<Void> close() {
            for (SimChannel channel : channels.values()) {
                rescind(channel.offer.relid());
            }
            return Future.succeededFuture();
        }

        Context context() {
            Context c = context;
            return c != null ? c : vertx.getOrCreateContext();
        }
    }

    private final class Guest implements GuestTransport {
        private volatile Context context;
        private volatile OfferListener listener;

        @Override
        public String name() {
            return "sim";
        }

        @Override
        public GuestMemory guestMemory() {
            SharedGuestMemory m = SimBus.this.guestMemory;
            return m != null ? m : GuestMemory.unavailable("the simulated host shares no guest memory (its devices"
                    + " need no GPA-direct packets)");
        }

        @Override
        public Future<Void> start(Context context, OfferListener listener) {
            this.context = context;
            this.listener = listener;
            host.guestHandler.accept(true);
            for (SimChannel channel : channels.values()) {
                deliverOffer(channel.offer);
            }
            return Future.succeededFuture();
        }

        void deliverOffer(Offer offer) {
            OfferListener l = listener;
            if (l != null) {
                context.runOnContext(v -> l.offered(offer));
            }
        }

        void deliverRescind(SimChannel channel) {
            OfferListener l = listener;
            if (l != null) {
                context.runOnContext(v -> l.rescinded(channel.offer.relid()));
            }
            closeChannel(channel, EndReason.of(EndReason.Kind.HOST_RESCINDED, "rescinded"),
                    EndReason.of(EndReason.Kind.HOST_RESCINDED, "rescinded by the host"));
        }

        @Override
        public Future<ChannelLink> open(Offer offer, Context ownerContext) {
            SimChannel channel = channels.get(offer.relid());
            if (channel == null) {
                return Future.failedFuture(new IllegalStateException("relid " + offer.relid() + " is not offered"));
            }
            beforeOpen.accept(offer);
            Context owner = ownerContext != null ? ownerContext : context;
            synchronized (channel) {
                // A rescind that took the channel out of the table has closed its ends under this lock, or will
                // find the ends made here and queue the host's closed after its opened.
                if (channels.get(offer.relid()) != channel) {
                    return Future.failedFuture(new IllegalStateException("relid " + offer.relid() + " is not offered"));
                }
                if (channel.guestEnd != null) {
                    return Future.failedFuture(new IllegalStateException("relid " + offer.relid() + " is already open"));
                }
                ChannelRings.of(channel.memory, headerSize).initialize();
                End g = new End(channel, owner, true);
                End h = new End(channel, host.context(), false);
                g.peer = h;
                h.peer = g;
                channel.guestEnd = g;
                channel.hostEnd = h;
                // The host's end first (it may write at once: its signal queues an interrupt on owner), then the
                // link, completed on owner (GuestTransport.open), so it lands before that interrupt.
                return OnContext.deliver(owner, OnContext.supply(host.context(), () -> {
                    channel.listener.opened(h);
                    return g;
                }));
            }
        }

        /**
         * Ends the channel's open ends: the host's hears {@code reason}, the guest's {@code guestReason} (null when
         * the guest ended it itself). Both are told through the host's context, behind the task an open queued
         * there, so the guest's end reaches the owner after its link (which that task sends on) and not before the
         * owner could set its closed handler.
         */
        void closeChannel(SimChannel channel, EndReason reason, EndReason guestReason) {
            synchronized (channel) {
                End g = channel.guestEnd;
                End h = channel.hostEnd;
                channel.guestEnd = null;
                channel.hostEnd = null;
                if (g != null) {
                    g.closed = true;
                }
                if (h != null) {
                    h.closed = true;
                    host.context().runOnContext(v -> {
                        if (g != null && guestReason != null) {
                            g.ownerContext.runOnContext(x -> g.ended(guestReason));
                        }
                        h.ended(reason);
                        channel.listener.closed(channel.offer.relid(), reason);
                    });
                }
            }
        }

        @Override
        public Future<Void> close() {
            for (SimChannel channel : channels.values()) {
                if (channel.guestEnd != null) {
                    closeChannel(channel, EndReason.of(EndReason.Kind.PEER_GONE, "guest shut down"), null);
                }
            }
            listener = null;
            host.guestHandler.accept(false);
            return Future.succeededFuture();
        }
    }
}
