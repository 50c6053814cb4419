package dev.vmbus.transport.shm;

import dev.vmbus.channel.EndReason;
import dev.vmbus.channel.ChannelRings;
import dev.vmbus.channel.HostComplaints;
import dev.vmbus.channel.Offer;
import dev.vmbus.os.PageSize;
import dev.vmbus.transport.AbstractChannelLink;
import dev.vmbus.transport.ChannelBuffer;
import dev.vmbus.transport.ChannelLink;
import dev.vmbus.transport.GuestMemory;
import dev.vmbus.transport.GuestTransport;
import dev.vmbus.transport.OnContext;
import dev.vmbus.transport.SharedGuestMemory;
import dev.vmbus.transport.OfferListener;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.parsetools.RecordParser;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.logging.Logger;

/**
 * The guest end of {@code shm}: connects to {@code DIR/control.sock} (retrying while the host starts), learns
 * the offers, and opens a channel by mapping its ring file, initialising both headers, sending {@code open},
 * waiting for {@code opened} and connecting the channel's signal socket. A host that goes away closes every
 * link (their closed handlers run) instead of leaving anything waiting.
 *
 * <p>Threads: every map and field of this class is touched only on the control context {@link #start} was given
 * (offers, links, pending answers, the control socket). Each link's signal socket is read on the context that
 * opened the channel, so interrupts arrive on the channel's own event loop; a link's own fields are written on
 * that context or are volatile, and anything that changes the maps hops to the control context first.
 *
 * <p>Buffers and guest memory: an offer's {@code buffers} are mapped with its ring when the channel opens and
 * unmapped with it; a {@code memory} line maps {@code DIR/guest.mem}, which {@link #guestMemory()} allocates
 * GPA-direct pages from until the host goes away.
 *
 * <p>One {@link NetClient} serves the control connection. It is owned by this transport and closed by
 * {@link #close()}: Vert.x closes a client's connections when the client is garbage collected (a cleaner with a
 * 30 s grace), so a client held by nobody would drop the connection after the first GC. Signal sockets are
 * {@link SignalSocket}s, served on the channel's event loop without Vert.x's {@code NetSocket}.
 */
public final class ShmGuest implements GuestTransport {
    private static final Logger LOG = Logger.getLogger(ShmGuest.class.getName());

    /** How long {@code open} and {@code close} wait for the host's answer. */
    public static final long REPLY_TIMEOUT_MS = 5_000;

    private final Vertx vertx;
    /** Its {@code dir} is where every path of the host's is resolved. */
    private final ShmOptions options;
    private final Promise<Void> offersDelivered = Promise.promise();
    private final int headerSize = PageSize.system();
    private final Map<Integer, ShmProtocol.ParsedOffer> offers = new HashMap<>();
    private final Map<Integer, Promise<Void>> awaitingOpened = new HashMap<>();
    private final Map<Integer, Promise<Void>> awaitingClosed = new HashMap<>();
    private final Map<Integer, Link> links = new HashMap<>();
    /** Relids between "open" and the link being registered (or the open failing). */
    private final Set<Integer> opening = new HashSet<>();
    /** The agent's one instance: what the host gets wrong on the control connection reaches {@code /metrics}. */
    private final HostComplaints complaints;
    private final NetClient client;
    private Context context;
    private OfferListener listener;
    private NetSocket control;
    private boolean closing;
    /** The host's guest memory, read from device contexts; null until a {@code memory} line and after the host left. */
    private volatile SharedGuestMemory guestMemory;

    /** @param complaints the agent's one instance, into which host errors on the control connection are counted */
    public ShmGuest(Vertx vertx, ShmOptions options, HostComplaints complaints) {
        this.vertx = vertx;
        this.options = options;
        this.complaints = complaints;
        this.client = vertx.createNetClient();
    }

    @Override
    public String name() {
        return "shm";
    }

    @Override
    public GuestMemory guestMemory() {
        SharedGuestMemory m = guestMemory;
        return m != null ? m : GuestMemory.unavailable(control == null ? "not connected to an shm host"
                : "the shm host announced no guest memory (no \"memory\" line)");
    }

    /**
     * Completes on the host's {@code allOffersDelivered} line, which follows the offers it had when the guest
     * connected; a host that sends none within {@link ShmOptions#offersWaitMs} of the connection is taken at its
     * word so far, with a warning.
     */
    @Override
    public Future<Void> offersDelivered() {
        return offersDelivered.future();
    }

    @Override
    public Future<Void> start(Context context, OfferListener listener) {
        this.context = context;
        this.listener = listener;
        return OnContext.call(context, () -> {
            Promise<Void> started = Promise.promise();
            connect(System.currentTimeMillis() + options.connectTimeoutMs(), started);
            return started.future();
        });
    }

    private void connect(long deadline, Promise<Void> started) {
        Path socketPath = options.dir().resolve(ShmProtocol.CONTROL_SOCKET);
        SocketAddress address = SocketAddress.domainSocketAddress(socketPath.toString());
        if (Files.exists(socketPath, LinkOption.NOFOLLOW_LINKS)) {
            try {
                ShmTrust.check(options.dir(), "shm directory");
                ShmTrust.check(socketPath, "shm control socket");
            } catch (IOException e) {
                started.fail(e); // not worth retrying: someone else owns the place
                return;
            }
        }
        client.connect(address).onComplete(ar -> {
            if (ar.succeeded()) {
                attach(ar.result());
                vertx.setTimer(Math.max(1, options.offersWaitMs()), t -> {
                    if (!offersDelivered.future().isComplete() && !closing) {
                        LOG.warning("shm: the host at " + options.dir() + " has not said its offers are all"
                                + " delivered (no \"" + ShmProtocol.ALL_OFFERS_DELIVERED + "\" line) "
                                + options.offersWaitMs() + " ms after connecting; taking the " + offers.size()
                                + " offered so far as all of them");
                    }
                    offersDelivered.tryComplete();
                });
                started.complete();
            } else if (System.currentTimeMillis() < deadline && !closing) {
                vertx.setTimer(100, t -> connect(deadline, started));
            } else {
                started.fail(new IOException("no shm host at " + address.path() + ": " + ar.cause().getMessage()));
            }
        });
    }

    private void attach(NetSocket socket) {
        control = socket;
        RecordParser lines = RecordParser.newDelimited("\n", socket).maxRecordSize(ShmProtocol.MAX_LINE);
        lines.handler(this::onLine);
        lines.exceptionHandler(e -> malformed("control line longer than " + ShmProtocol.MAX_LINE + " bytes"));
        socket.closeHandler(v -> hostGone());
    }

    private void onLine(Buffer line) {
        try {
            JsonObject message = ShmProtocol.parse(line);
            switch (message.getString("op")) {
                case ShmProtocol.OFFER -> {
                    ShmProtocol.ParsedOffer parsed = ShmProtocol.parseOffer(message, options.dir());
                    offers.put(parsed.offer().relid(), parsed);
                    listener.offered(parsed.offer());
                }
                case ShmProtocol.MEMORY -> memory(ShmProtocol.parseMemory(message, options.dir()));
                case ShmProtocol.ALL_OFFERS_DELIVERED -> offersDelivered.tryComplete();
                case ShmProtocol.OPENED -> complete(awaitingOpened, ShmProtocol.relid(message));
                case ShmProtocol.CLOSED -> complete(awaitingClosed, ShmProtocol.relid(message));
                case ShmProtocol.RESCIND -> rescinded(ShmProtocol.relid(message));
                case ShmProtocol.ERROR -> complaints.report(HostComplaints.TRANSPORT, HostComplaints.Kind.BAD_CONTROL_MESSAGE,
                        () -> "shm: the host reports an error: " + ShmProtocol.errorText(message));
                default -> { } // unknown ops are ignored
            }
        } catch (ShmProtocol.ProtocolException e) {
            malformed(e.getMessage());
        }
    }

    /** Maps the host's guest memory; one that cannot be used is reported and left unavailable. */
    private void memory(ShmProtocol.MemoryFile file) {
        if (guestMemory != null) {
            throw new ShmProtocol.ProtocolException("a second \"memory\" line; the guest's memory is "
                    + guestMemory.describe());
        }
        try {
            ShmTrust.check(file.file(), "guest memory file");
            guestMemory = new SharedGuestMemory(MappedRingFile.mapUntilUnreachable(file.file(), file.size(),
                    "guest memory file"), file.file().toString());
        } catch (IOException | RuntimeException e) {
            complaints.report(0, HostComplaints.Kind.BAD_CONTROL_MESSAGE,
                    () -> "shm: cannot use the host's guest memory: " + e.getMessage());
        }
    }

    private static void complete(Map<Integer, Promise<Void>> waiting, int relid) {
        Promise<Void> p = waiting.remove(relid);
        if (p != null) {
            p.tryComplete();
        }
    }

    private void malformed(String why) {
        LOG.severe("shm: malformed control line from the host, closing the connection: " + why);
        NetSocket socket = control;
        if (socket != null) {
            socket.write(ShmProtocol.line(ShmProtocol.error(why))).eventually(socket::close);
        }
    }

    private void rescinded(int relid) {
        offers.remove(relid);
        Link link = links.remove(relid);
        if (link != null) {
            link.lost(EndReason.of(EndReason.Kind.HOST_RESCINDED, "rescinded by the host"));
        }
        listener.rescinded(relid);
        // The guest stops using the channel at once and says so.
        send(ShmProtocol.op(ShmProtocol.CLOSE, relid));
    }

    private void hostGone() {
        control = null;
        guestMemory = null; // pages devices still hold stay mapped until they drop them
        if (!closing) {
            LOG.warning("shm: the host closed the control connection");
        }
        failAll(awaitingOpened, "the shm host went away");
        failAll(awaitingClosed, "the shm host went away");
        for (Link link : links.values().toArray(Link[]::new)) {
            link.lost(EndReason.of(EndReason.Kind.PEER_GONE, "the shm host went away"));
        }
        links.clear();
        offers.clear();
        if (!closing) {
            listener.disconnected("the shm host went away");
        }
    }

    private static void failAll(Map<Integer, Promise<Void>> waiting, String why) {
        for (Promise<Void> p : waiting.values()) {
            p.tryFail(why);
        }
        waiting.clear();
    }

    private void send(JsonObject message) {
        NetSocket socket = control;
        if (socket != null) {
            socket.write(ShmProtocol.line(message));
        }
    }

    @Override
    public Future<ChannelLink> open(Offer offer, Context ownerContext) {
        Context owner = ownerContext != null ? ownerContext : context;
        // Worked out on the transport's context, completed on the owner's (GuestTransport.open).
        return OnContext.deliver(owner, OnContext.call(context, () -> {
            ShmProtocol.ParsedOffer parsed = offers.get(offer.relid());
            if (parsed == null || control == null) {
                return Future.failedFuture(new IllegalStateException("relid " + offer.relid() + " is not offered by the shm host"));
            }
            if (links.containsKey(offer.relid()) || opening.contains(offer.relid())) {
                return Future.failedFuture(new IllegalStateException("relid " + offer.relid() + " is already open"));
            }
            Mapped ring = new Mapped();
            try {
                ShmTrust.check(parsed.ring(), "ring file");
                ShmTrust.check(parsed.signal(), "signal socket");
                ring.add(MappedRingFile.open(parsed.ring(), parsed.offer().memorySize()));
                for (ShmProtocol.BufferFile b : parsed.buffers()) {
                    ShmTrust.check(b.file(), "buffer file");
                    MappedRingFile file = MappedRingFile.open(b.file(), b.size(), "buffer file", " for " + b.name());
                    ring.add(file);
                    ring.buffers.add(new ChannelBuffer(b.name(), file.segment()));
                }
                ChannelRings.of(ring.segment(), headerSize).initialize();
            } catch (IOException | RuntimeException e) {
                ring.close();
                return Future.failedFuture(e);
            }
            Promise<Void> opened = Promise.promise();
            opening.add(offer.relid());
            awaitingOpened.put(offer.relid(), opened);
            send(ShmProtocol.op(ShmProtocol.OPEN, offer.relid()));
            vertx.setTimer(REPLY_TIMEOUT_MS, t -> opened.tryFail("no \"opened\" for relid " + offer.relid()
                    + " within " + REPLY_TIMEOUT_MS + " ms"));
            return opened.future()
                    .compose(x -> connectSignal(owner, parsed, ring))
                    .transform(ar -> OnContext.call(context, () -> {
                        // Back on the control context: only here may the maps change.
                        awaitingOpened.remove(offer.relid());
                        opening.remove(offer.relid());
                        if (ar.failed()) {
                            owner.runOnContext(x -> ring.close());
                            return Future.failedFuture(ar.cause());
                        } else if (ar.result().socket.isClosed()) {
                            owner.runOnContext(x -> ring.close());
                            return Future.failedFuture(new IOException("the shm host closed the signal socket of relid "
                                    + offer.relid() + " while it was opening"));
                        } else if (control == null || closing) {
                            ar.result().closeBy("the shm host went away while the channel was opening");
                            owner.runOnContext(x -> ring.close());
                            return Future.failedFuture(new IOException("the shm host went away while relid " + offer.relid() + " was opening"));
                        }
                        links.put(offer.relid(), ar.result());
                        return Future.<ChannelLink>succeededFuture(ar.result());
                    }));
        }));
    }

    /**
     * Connects the signal socket and serves it on the owner's event loop, so interrupts arrive on the channel's own
     * loop; its handlers are in place before any frame is read.
     */
    private Future<Link> connectSignal(Context owner, ShmProtocol.ParsedOffer parsed, Mapped ring) {
        Link link = new Link(parsed.offer(), ring, owner);
        return SignalSocket.connect(parsed.signal(), owner, link::frames, link::socketClosed)
                .map(socket -> {
                    link.socket = socket;
                    return link;
                });
    }

    @Override
    public Future<Void> close() {
        return OnContext.call(context, () -> {
            closing = true;
            for (Link link : links.values()) {
                link.lost(EndReason.of(EndReason.Kind.TRANSPORT_CLOSED, "guest shutting down"));
                send(ShmProtocol.op(ShmProtocol.CLOSE, link.offer.relid()));
            }
            links.clear();
            NetSocket socket = control;
            Future<Void> closed = socket != null ? socket.close() : Future.succeededFuture();
            return closed.eventually(client::close);
        });
    }

    /** A channel's files mapped here: the ring first, then its buffers. */
    private static final class Mapped {
        final List<MappedRingFile> files = new ArrayList<>();
        final List<ChannelBuffer> buffers = new ArrayList<>();

        void add(MappedRingFile file) {
            files.add(file);
        }

        MemorySegment segment() {
            return files.getFirst().segment();
        }

        private boolean closed;

        /** Unmaps every file, once; on the owner's context. */
        void close() {
            if (!closed) {
                closed = true;
                files.forEach(MappedRingFile::close);
            }
        }
    }

    /** The guest's link to one open channel. */
    private final class Link extends AbstractChannelLink {
        final Offer offer;
        final Mapped ring;
        /** Set once connected, before the link is handed out. */
        SignalSocket socket;
        final Context owner;
        Runnable interruptHandler = () -> { };
        volatile boolean closed;
        /** Why we closed the signal socket ourselves, or null while it is ours to lose. */
        volatile String closedByUs;

        Link(Offer offer, Mapped ring, Context owner) {
            super(offer, ring.segment(), headerSize, ring.buffers);
            this.offer = offer;
            this.ring = ring;
            this.owner = owner;
        }

        void frames() {
            // Host frames carry the cumulative interrupt count (what a 4-byte read of /dev/uioN returns); a read
            // holding several is one wake-up, as several interrupts before one read are on uio.
            interruptHandler.run();
        }

        /**
         * The channel is gone under us: tell the owner on its own context, then unmap the files there (the driver
         * stops in {@code ended}, so nothing reads the rings after it; a later access fails cleanly), as the uio
         * transport does. The host deleted them, so nothing else gives their pages back.
         */
        void lost(EndReason reason) {
            if (closed) {
                return;
            }
            closed = true;
            closeBy(reason.text());
            owner.runOnContext(v -> {
                try {
                    ended(reason);
                } finally {
                    ring.close();
                }
            });
        }

        /** Closes the signal socket from our side, remembering why, so its close is not taken for the host's. */
        void closeBy(String reason) {
            if (closedByUs == null) {
                closedByUs = reason;
            }
            socket.close();
        }

        /** The host closed the signal socket, or it failed (on the owner's context). */
        void socketClosed(String why) {
            if (closedByUs != null) {
                return; // the reason was reported where we closed it
            }
            context.runOnContext(v -> {
                if (links.get(offer.relid()) == this) {
                    links.remove(offer.relid());
                    lost(EndReason.of(EndReason.Kind.PEER_GONE, why.equals(SignalSocket.CLOSED_BY_PEER)
                            ? "the host closed the signal socket" : "the signal socket " + why));
                }
            });
        }

        @Override
        public void signal() {
            if (!closed) {
                socket.send(ShmProtocol.SIGNAL_HOST);
            }
        }

        @Override
        public void interruptHandler(Runnable handler) {
            interruptHandler = handler;
        }

        @Override
        public Future<Void> close() {
            Future<Void> done = OnContext.call(context, () -> {
                boolean wasOpen = links.remove(offer.relid(), this);
                closed = true; // no more signals from us
                if (!wasOpen || control == null) {
                    closeBy("closed by the guest");
                    return Future.succeededFuture();
                }
                // Close the signal socket only after the host confirmed: it would otherwise see the socket go
                // first and take it for a guest that vanished rather than one that closed the channel.
                Promise<Void> confirmed = Promise.promise();
                awaitingClosed.put(offer.relid(), confirmed);
                send(ShmProtocol.op(ShmProtocol.CLOSE, offer.relid()));
                vertx.setTimer(REPLY_TIMEOUT_MS, t -> confirmed.tryFail("no \"closed\" for relid " + offer.relid()));
                return confirmed.future().andThen(ar -> closeBy("closed by the guest"));
            });
            // Unmap on the owner's context once the host confirmed (or gave up): nothing reads the rings then.
            return done.eventually(() -> {
                owner.runOnContext(x -> ring.close());
                return Future.succeededFuture();
            });
        }
    }
}
