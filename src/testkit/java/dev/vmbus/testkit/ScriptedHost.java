package dev.vmbus.testkit;

import dev.vmbus.channel.EndReason;
import dev.vmbus.channel.Offer;
import dev.vmbus.channel.Packet;
import dev.vmbus.ring.PacketLayout;
import dev.vmbus.ring.PacketType;
import dev.vmbus.runtime.ChannelDriver;
import dev.vmbus.transport.ChannelLink;
import dev.vmbus.transport.HostTransport;
import dev.vmbus.transport.sim.SimBus;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
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
 * <p>Threads: call it from a test thread (every method blocks, for at most {@link #TIMEOUT}); the rings are
 * touched on the host's own context only, and the packets received are handed over through a concurrent queue.
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

    private final SimBus bus;
    private final Context context;

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
        Channel channel = new Channel(offer);
        onHost(() -> bus.host().offer(offer, channel));
        return channel;
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
            Promise<ChannelDriver> d = driver.future().isComplete() ? Promise.promise() : driver;
            d.complete(ChannelDriver.host(link, context, 0, received::add));
            driver = d;
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
