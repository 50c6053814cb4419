package dev.vmbus.transport.shm;

import dev.vmbus.channel.HostComplaints;
import dev.vmbus.channel.Offer;
import dev.vmbus.channel.Packet;
import dev.vmbus.ring.PacketType;
import dev.vmbus.runtime.ChannelDriver;
import dev.vmbus.transport.RecordedOffers;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Lost wake-ups across two processes: the guest here and an echo host in its own JVM, on rings small enough that
 * both ends keep filling them (so both arm {@code pending_send_sz}) and keep emptying them (so both mask and unmask
 * interrupts), with bursts of random sizes and random pauses between packets so that signals land in every phase
 * of the other side's drain. Each echo must arrive; a signal lost anywhere (a coalesced frame that never went
 * out, a read that swallowed a wake-up, a mask left set) leaves a packet unread, and the bounded wait for it fails
 * naming the channel and the packet. Several channels, each on its own event loop, run at once.
 */
@org.junit.jupiter.api.Tag("slow") // a host process per test: run by mvn verify, not by mvn test
class ShmWakeupStressTest {
    private static final int RING_SIZE = 2 * 4096; // 4 KiB of data a direction: a burst of a few packets fills it
    private static final int CHANNELS = 3;
    private static final int PACKETS_PER_CHANNEL = 3_000;
    /** How long one missing echo may take before it counts as lost: a wait, not a measurement. */
    private static final long LOST_AFTER_S = 20;

    @TempDir
    Path dir;
    private HostProcess host;
    private Vertx vertx;
    private ShmGuest guest;
    private final RecordedOffers offers = new RecordedOffers();

    @BeforeEach
    void startHost() throws Exception {
        host = HostProcess.start(EchoHostMain.class, dir.toString(), Integer.toString(RING_SIZE), Integer.toString(CHANNELS));
        vertx = Vertx.vertx();
        guest = new ShmGuest(vertx, dir, new HostComplaints());
        guest.start(vertx.getOrCreateContext(), offers).await(10, TimeUnit.SECONDS);
    }

    @AfterEach
    void stop() throws Exception {
        if (vertx != null) {
            vertx.close().await(10, TimeUnit.SECONDS);
        }
        if (host != null) {
            host.close();
        }
    }

    private record Channel(ChannelDriver driver, Context context, LinkedBlockingQueue<Packet> received) {
    }

    private Channel open(Offer offer) throws Exception {
        Context context = vertx.getOrCreateContext();
        LinkedBlockingQueue<Packet> received = new LinkedBlockingQueue<>();
        CompletableFuture<ChannelDriver> driver = new CompletableFuture<>();
        context.runOnContext(v -> guest.open(offer).onComplete(ar -> {
            if (ar.failed()) {
                driver.completeExceptionally(ar.cause());
            } else {
                driver.complete(ChannelDriver.guest(ar.result(), context, 16, received::add));
            }
        }));
        return new Channel(driver.get(10, TimeUnit.SECONDS), context, received);
    }

    /** A payload of {@code size} bytes (at least 4) that names its packet. */
    private static byte[] payload(int seq, int size) {
        return ByteBuffer.allocate(Math.max(4, size)).order(ByteOrder.LITTLE_ENDIAN).putInt(0, seq).array();
    }

    /** Sends the packets of one channel in random bursts with random pauses and checks every echo, in order. */
    private static void drive(Channel channel, long seed) throws Exception {
        SplittableRandom random = new SplittableRandom(seed);
        int relid = channel.driver.relid();
        int seq = 0;
        while (seq < PACKETS_PER_CHANNEL) {
            int burst = Math.min(1 + random.nextInt(24), PACKETS_PER_CHANNEL - seq);
            int first = seq;
            int[] sizes = new int[burst];
            long[] pauses = new long[burst];
            for (int i = 0; i < burst; i++) {
                sizes[i] = random.nextInt(4) == 0 ? 1_000 + random.nextInt(700) : 4 + random.nextInt(120);
                pauses[i] = random.nextInt(3) == 0 ? random.nextLong(50_000) : 0;
            }
            CompletableFuture<Void> sent = new CompletableFuture<>();
            channel.context.runOnContext(v -> {
                List<Future<Void>> sends = new ArrayList<>();
                for (int i = 0; i < burst; i++) {
                    sends.add(channel.driver.send(payload(first + i, sizes[i]), first + i, PacketType.DATA_INBAND, 0));
                }
                Future.all(sends).onComplete(ar -> {
                    if (ar.succeeded()) {
                        sent.complete(null);
                    } else {
                        sent.completeExceptionally(ar.cause());
                    }
                });
            });
            // Pauses on this thread interleave the echo reads below with the host's writes in varying phases.
            for (int i = 0; i < burst; i++) {
                if (pauses[i] > 0) {
                    LockSupport.parkNanos(pauses[i]);
                }
                Packet echo = channel.received.poll(LOST_AFTER_S, TimeUnit.SECONDS);
                if (echo == null) {
                    throw new AssertionError("relid " + relid + ": the echo of packet " + (first + i) + " of "
                            + PACKETS_PER_CHANNEL + " never arrived within " + LOST_AFTER_S
                            + " s: a lost wake-up left it unread");
                }
                assertEquals(first + i, echo.transactionId(), "relid " + relid + ": echoes out of order");
                assertEquals(first + i, ByteBuffer.wrap(echo.payload()).order(ByteOrder.LITTLE_ENDIAN).getInt(0));
                assertTrue(echo.payload().length >= Math.max(4, sizes[i]), "relid " + relid + ": echo too short");
            }
            sent.get(LOST_AFTER_S, TimeUnit.SECONDS);
            seq += burst;
        }
    }

    @Test
    void everyPacketOfRandomBurstsOnSeveralChannelsIsEchoedAndRead() throws Exception {
        List<Channel> channels = new ArrayList<>();
        for (int i = 0; i < CHANNELS; i++) {
            channels.add(open(offers.next()));
        }
        List<CompletableFuture<Void>> runs = new ArrayList<>();
        for (int i = 0; i < channels.size(); i++) {
            Channel channel = channels.get(i);
            long seed = 0x5eed_0000L + i;
            runs.add(CompletableFuture.runAsync(() -> {
                try {
                    drive(channel, seed);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, r -> Thread.ofPlatform().name("drive-" + channel.driver.relid()).start(r)));
        }
        for (CompletableFuture<Void> run : runs) {
            run.get((LOST_AFTER_S + 5) * PACKETS_PER_CHANNEL, TimeUnit.SECONDS);
        }
        for (Channel channel : channels) {
            assertTrue(channel.received.isEmpty(), "relid " + channel.driver.relid() + " got an echo nobody sent");
        }
    }
}
