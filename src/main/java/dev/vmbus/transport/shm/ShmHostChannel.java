package dev.vmbus.transport.shm;

import dev.vmbus.channel.EndReason;
import dev.vmbus.channel.Offer;
import dev.vmbus.transport.AbstractChannelLink;
import dev.vmbus.transport.ChannelBuffer;
import dev.vmbus.transport.HostTransport.ChannelListener;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetSocket;

import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * One channel {@link ShmHost} has offered: the files it owns, its signal listener, and while the guest has it open
 * the {@link Link} the host logic holds. Touched only on the host's context, like the rest of {@link ShmHost}.
 */
final class ShmHostChannel {
    private static final Logger LOG = Logger.getLogger(ShmHost.class.getName());

    final Offer offer;
    final ChannelListener listener;
    final MappedRingFile ring;
    final List<ShmProtocol.BufferFile> bufferFiles;
    final List<ChannelBuffer> buffers;
    /** Every file the channel owns: the ring, then its own buffers (a subchannel borrows its primary's). */
    final List<MappedRingFile> mapped;
    private final Context context;
    private final int headerSize;
    /** What the host logic's {@link Link#close()} does: rescinds the channel. */
    private final Supplier<Future<Void>> rescind;
    /** Listening on {@code R.sock}; null until it listens. */
    SignalListener signalListener;
    boolean openRequested;
    boolean rescinding;
    Link link;

    ShmHostChannel(Offer offer, ChannelListener listener, MappedRingFile ring, List<ShmProtocol.BufferFile> bufferFiles,
                   List<ChannelBuffer> buffers, List<MappedRingFile> mapped, Context context, int headerSize,
                   Supplier<Future<Void>> rescind) {
        this.offer = offer;
        this.listener = listener;
        this.ring = ring;
        this.bufferFiles = List.copyOf(bufferFiles);
        this.buffers = List.copyOf(buffers);
        this.mapped = List.copyOf(mapped);
        this.context = context;
        this.headerSize = headerSize;
        this.rescind = rescind;
    }

    JsonObject offerLine() {
        return ShmProtocol.offer(offer, bufferFiles);
    }

    void openRequested(NetSocket control) {
        if (link != null) {
            closed(EndReason.of(EndReason.Kind.PEER_CLOSED, "re-opened by the guest"));
        }
        openRequested = true;
        control.write(ShmProtocol.line(ShmProtocol.op(ShmProtocol.OPENED, offer.relid())));
    }

    void signalConnected(SocketChannel accepted) {
        if (!openRequested || link != null || signalListener == null) {
            LOG.warning("shm: unexpected signal connection for relid " + offer.relid() + "; closing it");
            LoopHandle.closeQuietly(accepted);
            return;
        }
        Link l = new Link();
        link = l;
        SignalSocket.serve(accepted, context, l::frames, why -> {
            if (link == l) {
                closed(EndReason.of(EndReason.Kind.PEER_GONE, why.equals(SignalSocket.CLOSED_BY_PEER)
                        ? "guest closed the signal socket" : "the signal socket " + why));
            }
        }).onComplete(ar -> {
            if (link != l) {
                if (ar.succeeded()) {
                    ar.result().close(); // the channel closed while the socket was being registered
                }
            } else if (ar.failed()) {
                link = null;
                LOG.warning("shm: cannot serve the signal socket of relid " + offer.relid() + ": "
                        + ar.cause().getMessage());
            } else {
                l.socket = ar.result();
                listener.opened(l);
            }
        });
    }

    void closed(EndReason reason) {
        openRequested = false;
        Link l = link;
        if (l != null) {
            link = null;
            l.closed = true;
            if (l.socket == null) {
                return; // still registering: the host logic never saw it open
            }
            l.socket.close();
            l.ended(reason);
            listener.closed(offer.relid(), reason);
        }
    }

    /** The host's link to one open channel. */
    final class Link extends AbstractChannelLink {
        /** Set once served, before the host logic sees the link. */
        SignalSocket socket;
        Runnable interruptHandler = () -> { };
        boolean closed;
        int interruptCount;

        Link() {
            super(offer, ring.segment(), headerSize, buffers);
        }

        void frames() {
            // Several frames in one read are one wake-up for the host logic.
            interruptHandler.run();
        }

        @Override
        public void signal() {
            if (!closed) {
                socket.send(++interruptCount);
            }
        }

        @Override
        public void interruptHandler(Runnable handler) {
            interruptHandler = handler;
        }

        @Override
        public Future<Void> close() {
            return rescind.get();
        }
    }
}
