package dev.vmbus.testkit;

import dev.vmbus.channel.EndReason;
import dev.vmbus.channel.Offer;
import dev.vmbus.channel.Packet;
import dev.vmbus.host.BufferedHostChannel;
import dev.vmbus.host.GpaReader;
import dev.vmbus.host.ReceiveSlots;
import dev.vmbus.ring.PacketLayout;
import dev.vmbus.ring.PacketType;
import dev.vmbus.runtime.ChannelDriver;
import dev.vmbus.transport.ChannelBuffer;
import dev.vmbus.transport.ChannelLink;
import dev.vmbus.transport.HostTransport;
import dev.vmbus.transport.OnContext;
import dev.vmbus.transport.SharedGuestMemory;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * The host end of the {@code sim} transport, driven by a test: offers channels of any class, writes packets into
 * the guest's inbound ring and reads what the guest puts back. Nothing is simulated beyond the rings and the
 * signals, so what a device sees is exactly what a channel on a real host would give it.
 *
 * <p>Beyond in-band packets it plays the host's part of the buffered device classes: an offer may share a
 * receive and a send buffer ({@link #offer(Offer, HostTransport.Buffers)}), the host sends transfer-page packets
 * out of its receive buffer ({@link Channel#sendTransferPages}) and takes the slots back when the guest completes
 * them, reads what a GPA-direct packet names in guest memory ({@link Channel#gpaData}), reads the send buffer
 * ({@link Channel#buffer}), completes the guest's packets ({@link Channel#complete}) and offers subchannels
 * ({@link #offerSubchannel}).
 *
 * <p>Threads: the blocking methods are for a test thread (each waits at most {@link #TIMEOUT}) and fail at once
 * with an {@link IllegalStateException} on an event loop, which they would deadlock; each has a variant returning a
 * {@link Future} for a test on an event loop ({@code VertxTestContext}): {@link #offerAsync}, {@link #offerSubchannelAsync},
 * {@link #guestMemoryAsync}, {@link #rescindAsync}, {@link Channel#opened}, {@link Channel#closedReason},
 * {@link Channel#sendAsync}, {@link Channel#completeAsync}, {@link Channel#sendTransferPagesAsync},
 * {@link Channel#slotsInUseAsync}, {@link Channel#bufferAsync}, {@link Channel#nextPacket},
 * {@link Channel#pollPacketAsync}, {@link Channel#exchangeAsync}. The rings and
 * the receive-buffer slots are touched on the host's own context only; the packets received are handed over
 * through a locked queue.
 */
public final class ScriptedHost {
    /** How long any wait of the kit lasts before it fails the test. */
    public static final Duration TIMEOUT = Duration.ofSeconds(10);
    /**
     * Ring size of an offer unless given: a header page and 16 KiB of data each way, so a packet with a 4,096-byte
     * payload (16 bytes of descriptor and 8 of trailer besides) fits with room to spare. A packet no ring of the
     * channel could ever hold is refused at once by {@link Channel#send}, naming the sizes.
     */
    public static final int DEFAULT_RING_SIZE = 4096 + 16 * 1024;
    /**
     * Receive-buffer slot of one message the host sends with {@link Channel#sendTransferPages}: a 4 KiB page each,
     * so a receive buffer of N pages holds N messages the guest has not completed yet.
     */
    public static final int SLOT_SIZE = 4096;
    /** The transfer-page set id the host's transfer-page packets name their receive buffer by (NVSP's 0xCAFE). */
    public static final int PAGE_SET_ID = BufferedHostChannel.PAGE_SET_ID;
    /** Most bytes {@link Channel#gpaData} reads for one GPA-direct packet. */
    public static final int MAX_GPA_BYTES = BufferedHostChannel.MAX_GPA_BYTES;

    private final HostTransport transport;
    private final Context context;
    private final int headerSize;
    /** One set of slots per receive buffer (a device's subchannels share their primary's), by GPADL handle. */
    private final Map<Integer, ReceiveSlots> slots = new HashMap<>();
    private volatile SharedGuestMemory memory;

    /**
     * The host end of {@code transport}, run on {@code context}, whose rings have headers of {@code headerSize} bytes;
     * {@link TestAgent} builds it as the agent's host end and {@link #start}s it.
     */
    ScriptedHost(Context context, HostTransport transport, int headerSize) {
        this.transport = transport;
        this.context = context;
        this.headerSize = headerSize;
    }

    /** On the host's context: starts the transport and gives the guest {@code guestMemory} bytes (0 for none). */
    Future<Void> start(long guestMemory) {
        return transport.start().compose(v -> guestMemory <= 0 ? Future.<Void>succeededFuture()
                : giveMemory(guestMemory).<Void>mapEmpty());
    }

    /** Offers a channel of {@code classId} with a random instance id and the default ring size. */
    public Channel offer(int relid, UUID classId) {
        return offer(new Offer(relid, classId, UUID.randomUUID(), 0, DEFAULT_RING_SIZE));
    }

    public Channel offer(Offer offer) {
        return offer(offer, HostTransport.Buffers.NONE);
    }

    /**
     * Offers a channel that shares a receive and a send buffer of {@code buffers}' sizes (whole 4 KiB pages, 0 for
     * none), named {@code recv:N} and {@code send:N} by GPADL handle as on every transport.
     */
    public Channel offer(Offer offer, HostTransport.Buffers buffers) {
        refuseEventLoop("the host to offer channel " + offer.relid());
        return await(offerAsync(offer, buffers), "the host to offer channel " + offer.relid());
    }

    /** As {@link #offer(Offer, HostTransport.Buffers)}, without blocking: completes once the offer is made. */
    public Future<Channel> offerAsync(Offer offer, HostTransport.Buffers buffers) {
        Channel channel = new Channel(offer);
        return onHostAsync(() -> transport.offer(offer, buffers, channel)).map(channel);
    }

    /**
     * The agent's own tests' seam (through {@code AgentInternals} in the test sources, never the kit's public API): offers
     * a channel whose host end is {@code listener} instead of a scripted {@link Channel}, called on {@link #context()}.
     * Completes once the offer is made.
     */
    Future<Void> offerAsync(Offer offer, HostTransport.ChannelListener listener) {
        return onHostAsync(() -> transport.offer(offer, listener));
    }

    /** The host end's context: where the listeners are called and the host's side of each ring is touched. */
    Context context() {
        return context;
    }

    /**
     * Offers subchannel {@code index} (1 and up) of {@code primary} at {@code relid}, as a host does when the
     * device asks for subchannels in its own protocol: the primary's class, instance and ring size, and its
     * buffers. The guest opens it and tells the same device ({@code Device.subchannelOpened}).
     */
    public Channel offerSubchannel(Channel primary, int relid, int index) {
        refuseEventLoop("the host to offer subchannel " + relid);
        requireSubchannelIndex(index); // thrown as it is, before anything is offered
        return await(offerSubchannelAsync(primary, relid, index), "the host to offer subchannel " + relid);
    }

    /**
     * As {@link #offerSubchannel}, without blocking: completes once the offer is made; fails with an
     * {@link IllegalArgumentException} for an index below 1.
     */
    public Future<Channel> offerSubchannelAsync(Channel primary, int relid, int index) {
        try {
            requireSubchannelIndex(index);
        } catch (IllegalArgumentException e) {
            return Future.failedFuture(e);
        }
        Offer p = primary.offer();
        return offerAsync(new Offer(relid, p.classId(), p.instanceId(), index, p.ringSize()), HostTransport.Buffers.NONE);
    }

    private static void requireSubchannelIndex(int index) {
        if (index < 1) {
            throw new IllegalArgumentException("a subchannel's index is 1 or more, got " + index);
        }
    }

    /**
     * Gives the guest {@code bytes} of memory (whole 4 KiB pages) that devices allocate GPA-direct pages from and
     * that {@link Channel#gpaData} reads. Once per bus, before the channels that use it open; {@link TestAgent}
     * does it when it starts.
     */
    public SharedGuestMemory guestMemory(long bytes) {
        refuseEventLoop("the host to give the guest memory");
        return await(guestMemoryAsync(bytes), "the host to give the guest memory");
    }

    /** As {@link #guestMemory}, without blocking. */
    public Future<SharedGuestMemory> guestMemoryAsync(long bytes) {
        return onHostAsync(() -> giveMemory(bytes));
    }

    /** On the host's context: gives the guest {@code bytes} of memory, which {@link Channel#gpaData} then reads. */
    private Future<SharedGuestMemory> giveMemory(long bytes) {
        return transport.guestMemory(bytes).onSuccess(m -> memory = m);
    }

    /** Takes channel {@code relid} away from the guest, as a host rescinds an offer. */
    public void rescind(int relid) {
        refuseEventLoop("the host to rescind channel " + relid);
        await(rescindAsync(relid), "the host to rescind channel " + relid);
    }

    /** As {@link #rescind}, without blocking. */
    public Future<Void> rescindAsync(int relid) {
        return onHostAsync(() -> transport.rescind(relid));
    }

    /** Runs {@code task} on the host's context; its future's outcome. */
    private <T> Future<T> onHostAsync(Supplier<Future<T>> task) {
        return OnContext.call(context, task);
    }

    /**
     * The kit's one way of waiting: blocks the calling thread until {@code future} completes, for at most
     * {@link #TIMEOUT}. On an event-loop thread it fails at once instead: blocking there would stop the very
     * loop that is to complete the future.
     */
    static <T> T await(Future<T> future, String what) {
        return await(future, what, TIMEOUT);
    }

    /** As {@link #await(Future, String)}, waiting at most {@code timeout}. */
    static <T> T await(Future<T> future, String what, Duration timeout) {
        refuseEventLoop(what);
        try {
            return future.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Throwable e) {
            if (future.failed() && future.cause() == e) {
                if (e instanceof AssertionError a) {
                    throw a; // the kit's own timeout, already worded
                }
                throw new AssertionError(what + " failed: " + e, e);
            }
            if (e instanceof InterruptedException) { // Future.await throws it unchecked, the flag cleared
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for " + what, e);
            }
            if (e instanceof TimeoutException) {
                throw new AssertionError("timed out after " + timeout.toSeconds() + " s waiting for " + what);
            }
            throw new AssertionError(what + " failed: " + e, e);
        }
    }

    /**
     * Closes {@code vertx} from a thread of the kit's own: a Vert.x closed from one of its own threads never completes
     * the close's future there.
     */
    static Future<Void> closeVertx(Vertx vertx) {
        Promise<Void> closed = Promise.promise();
        Thread.ofPlatform().daemon().name("vmbus-testkit-close").start(() -> vertx.close().onComplete(closed));
        return closed.future();
    }

    /** Fails at once on an event loop, which a blocking call would deadlock. */
    static void refuseEventLoop(String what) {
        if (Context.isOnEventLoopThread()) {
            throw new IllegalStateException("a blocking test-kit call (waiting for " + what + ") was made on the "
                    + "event loop " + Thread.currentThread().getName() + ", which it would deadlock; call it from "
                    + "a test thread, or use the kit's Future variant");
        }
    }

    /**
     * One offered channel as the host sees it. Threads: the listener methods run on the host's context; the
     * blocking methods are for a test thread, their {@code Future} variants for any thread.
     */
    public final class Channel implements HostTransport.ChannelListener {
        private final Offer offer;
        /** Packets no one has asked for yet, and the askers no packet has come for yet; under {@code this}. */
        private final ArrayDeque<Packet> received = new ArrayDeque<>();
        private final ArrayDeque<Promise<Packet>> waiting = new ArrayDeque<>();
        private volatile Promise<ChannelDriver> driver = Promise.promise();
        private final Promise<String> closed = Promise.promise();
        private volatile ChannelLink link;

        private Channel(Offer offer) {
            this.offer = offer;
        }

        public Offer offer() {
            return offer;
        }

        public int relid() {
            return offer.relid();
        }

        @Override
        public void opened(ChannelLink link) {
            this.link = link;
            Promise<ChannelDriver> d = driver.future().isComplete() ? Promise.promise() : driver;
            d.complete(ChannelDriver.host(link, context, 0, this::onPacket));
            driver = d;
        }

        /** On the host's context: a completion gives its transfer-page packet's slots back, then the test sees it. */
        private void onPacket(Packet packet) {
            if (packet.isCompletion()) {
                ReceiveSlots s = link.buffer(ChannelBuffer.Kind.RECEIVE).map(b -> slots.get(b.gpadl())).orElse(null);
                if (s != null) {
                    s.complete(packet.transactionId());
                }
            }
            Promise<Packet> next;
            synchronized (this) {
                next = waiting.poll();
                if (next == null) {
                    received.add(packet);
                }
            }
            if (next != null) {
                next.complete(packet); // outside the lock: the asker's handlers run here
            }
        }

        @Override
        public void closed(int relid, EndReason reason) {
            closed.tryComplete(reason.text());
        }

        /** Waits until the guest has opened the channel (its rings are initialised). */
        public Channel awaitOpen() {
            return await(opened(), "the guest to open channel " + relid());
        }

        /** As {@link #awaitOpen}, without blocking (and without a time limit). */
        public Future<Channel> opened() {
            return driver.future().map(this);
        }

        /** Waits until the guest closes the channel (or goes away); returns the reason the transport gave. */
        public String awaitClosed() {
            return await(closedReason(), "the guest to close channel " + relid());
        }

        /** As {@link #awaitClosed}, without blocking (and without a time limit). */
        public Future<String> closedReason() {
            return closed.future();
        }

        /** Writes an in-band packet (flags 0) into the guest's ring once it is open; returns when it is there. */
        public Channel send(byte[] payload, long transactionId) {
            return send(payload, transactionId, PacketType.DATA_INBAND, 0);
        }

        /** Writes UTF-8 text as an in-band packet. */
        public Channel send(String text, long transactionId) {
            return send(text.getBytes(StandardCharsets.UTF_8), transactionId);
        }

        public Channel send(byte[] payload, long transactionId, int type, int flags) {
            refuseEventLoop("a send on channel " + relid());
            requireFits(payload.length); // thrown as it is, before anything is sent
            return await(sendAsync(payload, transactionId, type, flags), "a packet to fit into channel " + relid()
                    + "'s ring (once the guest opened it)");
        }

        /** As {@link #send(byte[], long)}, without blocking: completes once the packet is in the guest's ring. */
        public Future<Channel> sendAsync(byte[] payload, long transactionId) {
            return sendAsync(payload, transactionId, PacketType.DATA_INBAND, 0);
        }

        /** As {@link #send(String, long)}, without blocking. */
        public Future<Channel> sendAsync(String text, long transactionId) {
            return sendAsync(text.getBytes(StandardCharsets.UTF_8), transactionId);
        }

        /** As {@link #send(byte[], long, int, int)}, without blocking. */
        public Future<Channel> sendAsync(byte[] payload, long transactionId, int type, int flags) {
            try {
                requireFits(payload.length);
            } catch (IllegalArgumentException e) {
                return Future.failedFuture(e);
            }
            byte[] copy = payload.clone();
            return driver.future().compose(d -> onHostAsync(() -> d.send(copy, transactionId, type, flags))).map(this);
        }

        /** Sends a completion ({@code VM_PKT_COMP}, flags 0, no payload) of the guest's {@code packet}. */
        public Channel complete(Packet packet) {
            return send(new byte[0], packet.transactionId(), PacketType.COMP, 0);
        }

        /** As {@link #complete}, without blocking. */
        public Future<Channel> completeAsync(Packet packet) {
            return sendAsync(new byte[0], packet.transactionId(), PacketType.COMP, 0);
        }

        /**
         * Sends {@code messages} as one transfer-page packet with completion requested, as a NIC's host sends
         * frames: each message is copied into a free {@link #SLOT_SIZE} slot of the channel's receive buffer, the
         * packet names page set {@link #PAGE_SET_ID} and a range (byte count, offset) per slot, and carries
         * {@code payload} in band. The slots stay the guest's until it completes the packet's transaction id,
         * which this returns.
         *
         * @throws IllegalStateException    when the channel shares no receive buffer, or the guest holds so many
         *                                  slots that the messages do not fit (it must complete first)
         * @throws IllegalArgumentException for no message, or one that is empty or longer than a slot
         */
        public long sendTransferPages(List<byte[]> messages, byte[] payload) {
            refuseEventLoop("a transfer-page send on channel " + relid());
            requireFits(payload.length + 8 + 8 * messages.size()); // the page set's header and a range each
            return await(sendTransferPagesAsync(messages, payload), "a transfer-page packet to fit into channel "
                    + relid() + "'s ring (once the guest opened it)");
        }

        /** As {@link #sendTransferPages}, without blocking: its transaction id once the packet is in the ring. */
        public Future<Long> sendTransferPagesAsync(List<byte[]> messages, byte[] payload) {
            try {
                requireFits(payload.length + 8 + 8 * messages.size());
            } catch (IllegalArgumentException e) {
                return Future.failedFuture(e);
            }
            List<byte[]> copies = messages.stream().map(byte[]::clone).toList();
            return driver.future().compose(d -> transferPages(d, copies, payload.clone()));
        }

        private Future<Long> transferPages(ChannelDriver d, List<byte[]> copies, byte[] payload) {
            return OnContext.call(context, () -> {
                ReceiveSlots.Batch batch = receiveSlots().fill(copies, PAGE_SET_ID);
                if (batch == null) {
                    throw new IllegalStateException("the guest holds " + slotsInUseHere() + " of channel "
                            + relid() + "'s receive-buffer slots, too many for " + copies.size()
                            + " more messages: it must complete its transfer-page packets first");
                }
                return d.send(payload, batch.transactionId(), PacketType.DATA_USING_XFER_PAGES,
                        PacketLayout.FLAG_COMPLETION_REQUESTED, batch.ranges(), null).map(batch.transactionId());
            });
        }

        /** Receive-buffer slots the guest holds: sent in transfer-page packets it has not completed. */
        public int slotsInUse() {
            refuseEventLoop("channel " + relid() + "'s receive-buffer slots");
            return await(slotsInUseAsync(), "channel " + relid() + "'s receive-buffer slots");
        }

        /**
         * As {@link #slotsInUse}, without blocking: once the guest opened the channel; fails with an
         * {@link IllegalStateException} when it shares no receive buffer.
         */
        public Future<Integer> slotsInUseAsync() {
            return driver.future().compose(d -> OnContext.call(context, () -> Future.succeededFuture(slotsInUseHere())));
        }

        private int slotsInUseHere() {
            ReceiveSlots s = receiveSlots();
            return s.count() - s.free();
        }

        /** On the host's context, once open: the slots of this channel's receive buffer, shared with its primary's. */
        private ReceiveSlots receiveSlots() {
            ChannelBuffer receive = link.buffer(ChannelBuffer.Kind.RECEIVE).orElseThrow(() ->
                    new IllegalStateException("channel " + relid() + " shares no receive buffer: offer it with"
                            + " ScriptedHost.offer(offer, new HostTransport.Buffers(receive, send))"));
            return slots.computeIfAbsent(receive.gpadl(), g -> new ReceiveSlots(receive, SLOT_SIZE));
        }

        /**
         * The channel's buffer of {@code kind} as the host maps it: read what the guest put in a send section
         * ({@code buffer(SEND).read(offset, length)}).
         *
         * @throws IllegalStateException when the channel shares no such buffer
         */
        public ChannelBuffer buffer(ChannelBuffer.Kind kind) {
            return awaitOpen().bufferHere(kind); // the refusal thrown as it is, as documented
        }

        /**
         * As {@link #buffer}, without blocking: once the guest opened the channel; fails with the
         * {@link IllegalStateException} when it shares no such buffer.
         */
        public Future<ChannelBuffer> bufferAsync(ChannelBuffer.Kind kind) {
            return opened().map(c -> bufferHere(kind));
        }

        /** Once open: the buffer of {@code kind}, or the refusal. */
        private ChannelBuffer bufferHere(ChannelBuffer.Kind kind) {
            return link.buffer(kind).orElseThrow(() -> new IllegalStateException("channel " + relid()
                    + " shares no " + kind.prefix() + " buffer"));
        }

        /**
         * The bytes GPA-direct {@code packet} names in guest memory, every range in order, as a host reads them
         * (each range checked against the memory first; at most {@link #MAX_GPA_BYTES}).
         *
         * @throws IllegalArgumentException      for a packet of another type
         * @throws IllegalStateException         when the host gave the guest no memory ({@link #guestMemory})
         * @throws dev.vmbus.transport.GuestMemory.GuestMemoryException for a range outside guest memory
         */
        public byte[] gpaData(Packet packet) {
            if (packet.gpaRanges() == null) {
                throw new IllegalArgumentException("not a GPA-direct packet: " + packet);
            }
            SharedGuestMemory m = memory;
            if (m == null) {
                throw new IllegalStateException("this host gave the guest no memory (ScriptedHost.guestMemory)");
            }
            return GpaReader.read(m, packet.gpaRanges(), MAX_GPA_BYTES);
        }

        /**
         * Refuses a payload the channel's inbound ring can never hold (a ring write needs strictly more free bytes
         * than the packet takes), instead of waiting for room that never comes.
         */
        private void requireFits(int payloadLength) {
            int data = offer.ringSize() - headerSize;
            int needed = PacketLayout.ringBytes(payloadLength);
            if (needed >= data) {
                throw new IllegalArgumentException("a " + payloadLength + "-byte payload takes " + needed
                        + " ring bytes, and channel " + relid() + "'s ring holds " + data + " bytes of data (ring size "
                        + offer.ringSize() + " less a " + headerSize + "-byte header): offer it with a larger"
                        + " ring, ScriptedHost.offer(new Offer(relid, classId, instanceId, 0, ringSize))");
            }
        }

        /** The next packet the guest put on this channel. */
        public Packet awaitPacket() {
            refuseEventLoop("a packet from the guest on channel " + relid()); // before a wait could take one
            // the kit's timer fails the future first, so no packet is ever taken by a wait that already gave up
            return await(nextPacket(), "a packet from the guest on channel " + relid(), TIMEOUT.plusSeconds(5));
        }

        /**
         * As {@link #awaitPacket}, without blocking: the next packet the guest puts on this channel, each packet to
         * one caller; fails with an {@link AssertionError} when none comes within {@link #TIMEOUT}.
         */
        public Future<Packet> nextPacket() {
            return next(TIMEOUT).compose(p -> p != null ? Future.succeededFuture(p) : Future.failedFuture(
                    new AssertionError("no packet from the guest on channel " + relid() + " within "
                            + TIMEOUT.toSeconds() + " s")));
        }

        /** The next packet the guest puts on this channel within {@code wait}, if any. */
        public Optional<Packet> pollPacket(Duration wait) throws InterruptedException {
            refuseEventLoop("a packet from the guest on channel " + relid()); // before a wait could take one
            return await(pollPacketAsync(wait), "a packet from the guest on channel " + relid(), wait.plusSeconds(5));
        }

        /** As {@link #pollPacket}, without blocking: the next packet within {@code wait}, or empty. */
        public Future<Optional<Packet>> pollPacketAsync(Duration wait) {
            return next(wait).map(Optional::ofNullable);
        }

        /** The next packet within {@code wait}, or null; a wait that ends unanswered leaves the queue as it was. */
        private Future<Packet> next(Duration wait) {
            Promise<Packet> p = Promise.promise();
            synchronized (this) {
                Packet ready = received.poll();
                if (ready != null) {
                    return Future.succeededFuture(ready);
                }
                waiting.add(p);
            }
            long timer = context.owner().setTimer(Math.max(1, wait.toMillis()), t -> {
                boolean gaveUp;
                synchronized (this) {
                    gaveUp = waiting.remove(p);
                }
                if (gaveUp) {
                    p.complete(null);
                }
            });
            return p.future().onComplete(ar -> context.owner().cancelTimer(timer));
        }

        /** Sends {@code payload} and returns the guest's next packet: its answer. */
        public Packet exchange(byte[] payload, long transactionId) {
            return send(payload, transactionId).awaitPacket();
        }

        /** As {@link #exchange(byte[], long)}, without blocking. */
        public Future<Packet> exchangeAsync(byte[] payload, long transactionId) {
            return sendAsync(payload, transactionId).compose(c -> nextPacket());
        }

        /** Sends text and returns the guest's answer as text (padding removed). */
        public String exchange(String text, long transactionId) {
            refuseEventLoop("an answer from the guest on channel " + relid()); // before a wait could take one
            requireFits(text.getBytes(StandardCharsets.UTF_8).length); // thrown as it is, before anything is sent
            return await(exchangeAsync(text, transactionId), "an answer from the guest on channel " + relid(),
                    TIMEOUT.multipliedBy(2).plusSeconds(5));
        }

        /** As {@link #exchange(String, long)}, without blocking. */
        public Future<String> exchangeAsync(String text, long transactionId) {
            return exchangeAsync(text.getBytes(StandardCharsets.UTF_8), transactionId).map(Packets::text);
        }
    }
}
