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
import dev.vmbus.transport.SharedGuestMemory;
import dev.vmbus.transport.sim.SimBus;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
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
 * <p>Threads: call it from a test thread (every method blocks, for at most {@link #TIMEOUT}); the rings and the
 * receive-buffer slots are touched on the host's own context only, and the packets received are handed over
 * through a concurrent queue.
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

    private final SimBus bus;
    private final Context context;
    /** One set of slots per receive buffer (a device's subchannels share their primary's), by GPADL handle. */
    private final Map<Integer, ReceiveSlots> slots = new HashMap<>();
    private volatile SharedGuestMemory memory;

    /** Starts the host end of {@code bus} on a context of its own. */
    public ScriptedHost(Vertx vertx, SimBus bus) {
        this.bus = bus;
        this.context = vertx.getOrCreateContext();
        onHost(() -> bus.host().start());
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
        Channel channel = new Channel(offer);
        onHost(() -> bus.host().offer(offer, buffers, channel));
        return channel;
    }

    /**
     * Offers subchannel {@code index} (1 and up) of {@code primary} at {@code relid}, as a host does when the
     * device asks for subchannels in its own protocol: the primary's class, instance and ring size, and its
     * buffers. The guest opens it and tells the same device ({@code Device.subchannelOpened}).
     */
    public Channel offerSubchannel(Channel primary, int relid, int index) {
        if (index < 1) {
            throw new IllegalArgumentException("a subchannel's index is 1 or more, got " + index);
        }
        Offer p = primary.offer();
        return offer(new Offer(relid, p.classId(), p.instanceId(), index, p.ringSize()));
    }

    /**
     * Gives the guest {@code bytes} of memory (whole 4 KiB pages) that devices allocate GPA-direct pages from and
     * that {@link Channel#gpaData} reads. Once per bus, before the channels that use it open; {@link TestAgent}
     * does it when it starts.
     */
    public SharedGuestMemory guestMemory(long bytes) {
        SharedGuestMemory m = onHost(() -> bus.host().guestMemory(bytes));
        memory = m;
        return m;
    }

    /** Takes channel {@code relid} away from the guest, as a host rescinds an offer. */
    public void rescind(int relid) {
        onHost(() -> bus.host().rescind(relid));
    }

    /** Runs {@code task} on the host's context and waits for the future it returns. */
    private <T> T onHost(Supplier<Future<T>> task) {
        Promise<T> done = Promise.promise();
        context.runOnContext(v -> {
            try {
                task.get().onComplete(done);
            } catch (RuntimeException e) {
                done.fail(e);
            }
        });
        return await(done.future(), "the host");
    }

    /**
     * The kit's one way of waiting: blocks the calling thread until {@code future} completes, for at most
     * {@link #TIMEOUT}. On an event-loop thread it fails at once instead: blocking there would stop the very
     * loop that is to complete the future.
     */
    static <T> T await(Future<T> future, String what) {
        if (Context.isOnEventLoopThread()) {
            throw new IllegalStateException("a blocking test-kit call (waiting for " + what + ") was made on the "
                    + "event loop " + Thread.currentThread().getName() + ", which it would deadlock; call it from "
                    + "a test thread, or use the kit's Future variant");
        }
        CountDownLatch latch = new CountDownLatch(1);
        future.onComplete(ar -> latch.countDown());
        try {
            if (!latch.await(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError("timed out after " + TIMEOUT.toSeconds() + " s waiting for " + what);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted waiting for " + what, e);
        }
        if (future.failed()) {
            throw new AssertionError(what + " failed: " + future.cause(), future.cause());
        }
        return future.result();
    }

    /**
     * One offered channel as the host sees it. Threads: the listener methods run on the host's context; the rest
     * is for the test thread.
     */
    public final class Channel implements HostTransport.ChannelListener {
        private final Offer offer;
        private final LinkedBlockingQueue<Packet> received = new LinkedBlockingQueue<>();
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
            received.add(packet);
        }

        @Override
        public void closed(int relid, EndReason reason) {
            closed.tryComplete(reason.text());
        }

        /** Waits until the guest has opened the channel (its rings are initialised). */
        public Channel awaitOpen() {
            await(driver.future(), "the guest to open channel " + relid());
            return this;
        }

        /** Waits until the guest closes the channel (or goes away); returns the reason the transport gave. */
        public String awaitClosed() {
            return await(closed.future(), "the guest to close channel " + relid());
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
            requireFits(payload.length);
            ChannelDriver d = await(driver.future(), "the guest to open channel " + relid());
            Promise<Void> written = Promise.promise();
            context.runOnContext(v -> d.send(payload.clone(), transactionId, type, flags).onComplete(written));
            await(written.future(), "a packet to fit into channel " + relid() + "'s ring");
            return this;
        }

        /** Sends a completion ({@code VM_PKT_COMP}, flags 0, no payload) of the guest's {@code packet}. */
        public Channel complete(Packet packet) {
            return send(new byte[0], packet.transactionId(), PacketType.COMP, 0);
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
            requireFits(payload.length + 8 + 8 * messages.size()); // the page set's header and a range each
            ChannelDriver d = await(driver.future(), "the guest to open channel " + relid());
            List<byte[]> copies = messages.stream().map(byte[]::clone).toList();
            Promise<Long> sent = Promise.promise();
            context.runOnContext(v -> {
                try {
                    ReceiveSlots.Batch batch = receiveSlots().fill(copies, PAGE_SET_ID);
                    if (batch == null) {
                        throw new IllegalStateException("the guest holds " + slotsInUseHere() + " of channel "
                                + relid() + "'s receive-buffer slots, too many for " + copies.size()
                                + " more messages: it must complete its transfer-page packets first");
                    }
                    d.send(payload.clone(), batch.transactionId(), PacketType.DATA_USING_XFER_PAGES,
                            PacketLayout.FLAG_COMPLETION_REQUESTED, batch.ranges(), null)
                            .map(batch.transactionId()).onComplete(sent);
                } catch (RuntimeException e) {
                    sent.fail(e);
                }
            });
            return await(sent.future(), "a transfer-page packet to fit into channel " + relid() + "'s ring");
        }

        /** Receive-buffer slots the guest holds: sent in transfer-page packets it has not completed. */
        public int slotsInUse() {
            openLink();
            return onHost(() -> Future.succeededFuture(slotsInUseHere()));
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
            return openLink().buffer(kind).orElseThrow(() -> new IllegalStateException("channel " + relid()
                    + " shares no " + kind.prefix() + " buffer"));
        }

        private ChannelLink openLink() {
            await(driver.future(), "the guest to open channel " + relid());
            return link;
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
            int data = offer.ringSize() - bus.headerSize();
            int needed = PacketLayout.ringBytes(payloadLength);
            if (needed >= data) {
                throw new IllegalArgumentException("a " + payloadLength + "-byte payload takes " + needed
                        + " ring bytes, and channel " + relid() + "'s ring holds " + data + " bytes of data (ring size "
                        + offer.ringSize() + " less a " + bus.headerSize() + "-byte header): offer it with a larger"
                        + " ring, ScriptedHost.offer(new Offer(relid, classId, instanceId, 0, ringSize))");
            }
        }

        /** The next packet the guest put on this channel. */
        public Packet awaitPacket() {
            try {
                Packet p = received.poll(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                if (p == null) {
                    throw new AssertionError("no packet from the guest on channel " + relid() + " within "
                            + TIMEOUT.toSeconds() + " s");
                }
                return p;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
        }

        /** The next packet the guest puts on this channel within {@code wait}, if any. */
        public Optional<Packet> pollPacket(Duration wait) throws InterruptedException {
            return Optional.ofNullable(received.poll(wait.toMillis(), TimeUnit.MILLISECONDS));
        }

        /** Sends {@code payload} and returns the guest's next packet: its answer. */
        public Packet exchange(byte[] payload, long transactionId) {
            return send(payload, transactionId).awaitPacket();
        }

        /** Sends text and returns the guest's answer as text (padding removed). */
        public String exchange(String text, long transactionId) {
            return Packets.text(exchange(text.getBytes(StandardCharsets.UTF_8), transactionId));
        }
    }
}
