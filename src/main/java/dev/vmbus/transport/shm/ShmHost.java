package dev.vmbus.transport.shm;

import dev.vmbus.channel.EndReason;
import dev.vmbus.channel.Offer;
import dev.vmbus.os.PageSize;
import dev.vmbus.os.Posix;
import dev.vmbus.transport.ChannelBuffer;
import dev.vmbus.transport.ChannelLink;
import dev.vmbus.transport.HostTransport;
import dev.vmbus.transport.SharedGuestMemory;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.parsetools.RecordParser;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The host end of {@code shm}: owns {@code DIR}, listens on {@code DIR/control.sock}, creates each offered
 * channel's ring file and signal socket, and hands the host logic a {@link ChannelLink} once the guest has
 * opened the channel and connected its signal socket. One guest at a time; a guest that connects again
 * replaces the old connection, whose channels are closed.
 *
 * <p>Threads: all state is touched on the context {@link #start()} ran on; every socket of this transport is
 * served there. Listeners: a Vert.x server for {@code control.sock} and a {@link SignalListener} per channel for
 * its {@code R.sock} (the protocol gives each channel its own socket path), whose connection is a
 * {@link SignalSocket}; each is held by this transport until the channel is removed or the transport closes.
 *
 * <p>Buffers and guest memory: a channel offered with {@link HostTransport.Buffers} gets {@code DIR/R.recv} and
 * {@code DIR/R.send}, created (0600) before its offer names them with GPADL handles from
 * {@link HostTransport#FIRST_GPADL} up, and removed with the channel; {@link #guestMemory} creates
 * {@code DIR/guest.mem} and announces it before any offer to every guest that connects.
 *
 * <p>Everything in {@code DIR} is private to this user (see {@link ShmTrust}).
 */
public final class ShmHost implements HostTransport {
    private static final Logger LOG = Logger.getLogger(ShmHost.class.getName());

    private final Vertx vertx;
    private final Path dir;
    private final int headerSize;
    private final Map<Integer, ShmHostChannel> channels = new LinkedHashMap<>();
    private Context context;
    private NetServer control;
    private NetSocket guest;
    private Consumer<Boolean> guestHandler = attached -> { };
    private int nextGpadl = FIRST_GPADL;
    /** {@link #allOffered} was called: every guest hears {@code allOffersDelivered} after the offers it is sent. */
    private boolean allOffered;
    private Path guestMemoryFile;
    private SharedGuestMemory guestMemory;

    public ShmHost(Vertx vertx, Path dir) {
        this.vertx = vertx;
        this.dir = dir.toAbsolutePath();
        this.headerSize = PageSize.system();
    }

    public Path directory() {
        return dir;
    }

    @Override
    public Future<Void> start() {
        context = vertx.getOrCreateContext();
        Path socketPath = dir.resolve(ShmProtocol.CONTROL_SOCKET);
        try {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(ShmTrust.PRIVATE_DIR));
            if ((Integer) Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS) == Posix.geteuid()) {
                ShmTrust.makePrivate(dir); // an existing directory of ours may have been made with a wider mode
            }
            ShmTrust.check(dir, "shm directory");
            Files.deleteIfExists(socketPath); // a stale socket from a dead host
        } catch (ShmTrust.UntrustedPathException e) {
            return Future.failedFuture(e);
        } catch (IOException e) {
            return Future.failedFuture(new UncheckedIOException("cannot prepare shm directory " + dir + ": " + e.getMessage(), e));
        }
        control = vertx.createNetServer().connectHandler(this::guestConnected);
        return control.listen(SocketAddress.domainSocketAddress(socketPath.toString()))
                .compose(s -> privately(socketPath));
    }

    /** Makes a socket or file private once it exists; the 0700 directory already keeps others out meanwhile. */
    private static Future<Void> privately(Path path) {
        try {
            ShmTrust.makePrivate(path);
            return Future.succeededFuture();
        } catch (IOException e) {
            return Future.failedFuture(new UncheckedIOException("cannot make " + path + " private: " + e.getMessage(), e));
        }
    }

    @Override
    public boolean guestConnected() {
        return guest != null;
    }

    @Override
    public void guestHandler(Consumer<Boolean> handler) {
        guestHandler = handler;
    }

    private void guestConnected(NetSocket socket) {
        if (guest != null) {
            LOG.info("shm: a guest connected again; dropping the previous connection");
            NetSocket old = guest;
            guestGone("guest reconnected");
            old.close();
        }
        guest = socket;
        RecordParser lines = RecordParser.newDelimited("\n", socket).maxRecordSize(ShmProtocol.MAX_LINE);
        lines.handler(line -> onLine(socket, line));
        lines.exceptionHandler(e -> malformed(socket, "control line longer than " + ShmProtocol.MAX_LINE + " bytes"));
        socket.closeHandler(v -> {
            if (guest == socket) {
                guestGone("guest disconnected");
            }
        });
        if (guestMemory != null) {
            socket.write(ShmProtocol.line(ShmProtocol.memory(guestMemory.memory().byteSize())));
        }
        for (ShmHostChannel channel : channels.values()) {
            socket.write(ShmProtocol.line(channel.offerLine()));
        }
        if (allOffered) {
            socket.write(ShmProtocol.line(ShmProtocol.allOffersDelivered()));
        }
        guestHandler.accept(true);
    }

    private void guestGone(String reason) {
        guest = null;
        for (ShmHostChannel channel : channels.values()) {
            channel.closed(EndReason.of(EndReason.Kind.PEER_GONE, reason));
        }
        guestHandler.accept(false);
    }

    private void onLine(NetSocket socket, Buffer line) {
        if (guest != socket) {
            return;
        }
        JsonObject message;
        int relid;
        try {
            message = ShmProtocol.parse(line);
            String op = message.getString("op");
            if (!op.equals(ShmProtocol.OPEN) && !op.equals(ShmProtocol.CLOSE)) {
                if (op.equals(ShmProtocol.ERROR)) {
                    LOG.warning("shm: guest reports an error: " + ShmProtocol.errorText(message));
                }
                return; // unknown ops are ignored
            }
            relid = ShmProtocol.relid(message);
        } catch (ShmProtocol.ProtocolException e) {
            malformed(socket, e.getMessage());
            return;
        }
        ShmHostChannel channel = channels.get(relid);
        if (channel == null) {
            LOG.warning("shm: guest sent " + message.getString("op") + " for relid " + relid + ", which is not offered");
            socket.write(ShmProtocol.line(ShmProtocol.error("relid " + relid + " is not offered")));
            return;
        }
        if (message.getString("op").equals(ShmProtocol.OPEN)) {
            channel.openRequested(socket);
        } else {
            channel.closed(EndReason.of(EndReason.Kind.PEER_CLOSED, "closed by the guest"));
            socket.write(ShmProtocol.line(ShmProtocol.op(ShmProtocol.CLOSED, relid)));
            if (channel.rescinding) {
                remove(channel);
            }
        }
    }

    private void malformed(NetSocket socket, String why) {
        LOG.severe("shm: malformed control line from the guest, closing the connection: " + why);
        socket.write(ShmProtocol.line(ShmProtocol.error(why))).eventually(socket::close);
    }

    @Override
    public Future<Void> offer(Offer offer, ChannelListener listener) {
        return offer(offer, Buffers.NONE, listener);
    }

    @Override
    public Future<SharedGuestMemory> guestMemory(long bytes) {
        if (guestMemory != null) {
            return Future.failedFuture(new IllegalStateException("the guest already has its memory: "
                    + guestMemory.describe()));
        }
        if (bytes <= 0 || bytes % SharedGuestMemory.PAGE_SIZE != 0) {
            return Future.failedFuture(new IllegalArgumentException("guest memory must be a positive whole number"
                    + " of " + SharedGuestMemory.PAGE_SIZE + "-byte pages, got " + bytes));
        }
        Path path = dir.resolve(ShmProtocol.GUEST_MEMORY_FILE);
        try {
            Files.deleteIfExists(path); // a stale one from a previous host: the guest's RAM starts zeroed
            MappedRingFile.create(path, bytes).close(); // sized and sparse
            ShmTrust.makePrivate(path);
            guestMemory = new SharedGuestMemory(MappedRingFile.mapUntilUnreachable(path, bytes, "guest memory"),
                    path.toString());
            guestMemoryFile = path;
        } catch (IOException e) {
            return Future.failedFuture(new UncheckedIOException("cannot create " + path + ": " + e.getMessage(), e));
        }
        if (guest != null) {
            guest.write(ShmProtocol.line(ShmProtocol.memory(bytes)));
        }
        return Future.succeededFuture(guestMemory);
    }

    @Override
    public Future<Void> offer(Offer offer, Buffers buffers, ChannelListener listener) {
        return HostTransport.checkOffer(offer, buffers, channels, c -> c.offer)
                .compose(primary -> offer(offer, buffers, primary, listener));
    }

    /** {@link #offer(Offer, Buffers, ChannelListener)} once checked; {@code primary} is null for a primary. */
    private Future<Void> offer(Offer offer, Buffers buffers, ShmHostChannel primary, ChannelListener listener) {
        if (offer.ringSize() % headerSize != 0) {
            return Future.failedFuture(new IllegalArgumentException("ring size " + offer.ringSize()
                    + " is not a multiple of the page size " + headerSize));
        }
        Path ringPath = dir.resolve(ShmProtocol.ringFile(offer.relid()));
        Path signalPath = dir.resolve(ShmProtocol.signalSocket(offer.relid()));
        List<ShmProtocol.BufferFile> files = new ArrayList<>();
        List<ChannelBuffer> shared = new ArrayList<>();
        if (primary != null) {
            files.addAll(primary.bufferFiles); // the same files and handles: the primary owns (and removes) them
            shared.addAll(primary.buffers);
        }
        MappedRingFile ring;
        List<MappedRingFile> mapped = new ArrayList<>();
        try {
            ring = MappedRingFile.create(ringPath, offer.memorySize());
            mapped.add(ring);
            ShmTrust.makePrivate(ringPath);
            Files.deleteIfExists(signalPath);
            for (ChannelBuffer.Kind kind : ChannelBuffer.Kind.values()) {
                long size = kind == ChannelBuffer.Kind.RECEIVE ? buffers.receive() : buffers.send();
                if (size == 0) {
                    continue;
                }
                Path path = dir.resolve(ShmProtocol.bufferFile(offer.relid(), kind));
                Files.deleteIfExists(path); // a buffer starts zeroed, whatever a previous host left
                MappedRingFile file = MappedRingFile.create(path, size);
                mapped.add(file);
                ShmTrust.makePrivate(path);
                ChannelBuffer.Name name = new ChannelBuffer.Name(kind, nextGpadl++);
                files.add(new ShmProtocol.BufferFile(name, path, size));
                shared.add(new ChannelBuffer(name, file.segment()));
            }
        } catch (IOException e) {
            mapped.forEach(MappedRingFile::close);
            return Future.failedFuture(new UncheckedIOException("cannot create the files of relid " + offer.relid()
                    + ": " + e.getMessage(), e));
        }
        ShmHostChannel channel = new ShmHostChannel(offer, listener, ring, files, shared, mapped, context, headerSize,
                () -> rescind(offer.relid()));
        channels.put(offer.relid(), channel);
        return SignalListener.listen(signalPath, context, channel::signalConnected)
                .compose(signals -> {
                    if (channels.get(offer.relid()) != channel) {
                        signals.close(); // rescinded or closed while it started listening
                        return Future.failedFuture(new IllegalStateException("relid " + offer.relid()
                                + " went away while it was being offered"));
                    }
                    channel.signalListener = signals;
                    return privately(signalPath);
                })
                .map(v -> {
                    if (guest != null) {
                        guest.write(ShmProtocol.line(channel.offerLine()));
                    }
                    return (Void) null;
                });
    }

    @Override
    public void allOffered() {
        if (!allOffered) {
            allOffered = true;
            if (guest != null) {
                guest.write(ShmProtocol.line(ShmProtocol.allOffersDelivered()));
            }
        }
    }

    @Override
    public Future<Void> rescind(int relid) {
        ShmHostChannel channel = channels.get(relid);
        if (channel == null) {
            return Future.failedFuture(new IllegalArgumentException("relid " + relid + " is not offered"));
        }
        channel.rescinding = true;
        if (guest != null) {
            guest.write(ShmProtocol.line(ShmProtocol.op(ShmProtocol.RESCIND, relid)));
            channel.closed(EndReason.of(EndReason.Kind.HOST_RESCINDED, "rescinded"));
            // The guest answers "close"; if it never does, the channel goes anyway, and with it a link the guest
            // opened since (an "open" that crossed the rescind, or a guest ignoring it): its host logic hears the end.
            vertx.setTimer(5000, t -> {
                if (channels.get(relid) == channel) {
                    channel.closed(EndReason.of(EndReason.Kind.HOST_RESCINDED, "rescinded"));
                    remove(channel);
                }
            });
        } else {
            remove(channel);
        }
        return Future.succeededFuture();
    }

    private void remove(ShmHostChannel channel) {
        channels.remove(channel.offer.relid());
        if (channel.signalListener != null) {
            channel.signalListener.close();
        }
        try {
            Files.deleteIfExists(dir.resolve(ShmProtocol.signalSocket(channel.offer.relid())));
            for (MappedRingFile file : channel.mapped) {
                Files.deleteIfExists(file.path());
            }
        } catch (IOException e) {
            LOG.log(Level.WARNING, "shm: could not remove the files of relid " + channel.offer.relid(), e);
        }
        // Unmap once the closed handlers have run and the host logic has stopped touching the rings; a late
        // access then fails with an exception on its own context instead of reading unmapped memory.
        vertx.setTimer(1000, t -> channel.mapped.forEach(MappedRingFile::close));
    }

    @Override
    public Future<Void> close() {
        for (ShmHostChannel channel : channels.values().toArray(ShmHostChannel[]::new)) {
            channel.closed(EndReason.of(EndReason.Kind.TRANSPORT_CLOSED, "host shutting down"));
            remove(channel);
        }
        if (guest != null) {
            guest.close();
            guest = null;
        }
        if (guestMemoryFile != null) {
            try {
                Files.deleteIfExists(guestMemoryFile); // stays mapped while host logic still holds it
            } catch (IOException e) {
                LOG.log(Level.WARNING, "shm: could not remove " + guestMemoryFile, e);
            }
            guestMemoryFile = null;
        }
        return control != null ? control.close() : Future.succeededFuture();
    }
}
