package dev.vmbus.transport.shm;

import dev.vmbus.channel.HostComplaints;
import dev.vmbus.channel.Offer;
import dev.vmbus.channel.Packet;
import dev.vmbus.ring.PacketType;
import dev.vmbus.runtime.ChannelDriver;
import dev.vmbus.transport.OnContext;
import dev.vmbus.transport.RecordedOffers;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
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
import java.util.Objects;
import java.util.Queue;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static org.awaitility.Awaitility.await;
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
        guest = new ShmGuest(vertx, new ShmOptions(dir), new HostComplaints());
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

    private record Channel(ChannelDriver driver, Context context, Queue<Packet> received) {
    }

    private Channel open(Offer offer) throws Exception {
        Context context = vertx.getOrCreateContext();
        Queue<Packet> received = new ConcurrentLinkedQueue<>();
        ChannelDriver driver = OnContext.call(context, () -> guest.open(offer)
                .map(link -> ChannelDriver.guest(link, context, 16, received::add))).await(10, TimeUnit.SECONDS);
        return new Channel(driver, context, received);
    }

    /** A payload of {@code size} bytes (at least 4) that names its packet. */
    private static byte[] payload(int seq, int size) {
        return ByteBuffer.allocate(Math.max(4, size)).order(ByteOrder.LITTLE_ENDIAN).putInt(0, seq).array();
    }

    /** Sends the packets of one channel in random bursts with random pauses and checks every echo, in order. */
    private static void drive(Channel channel, long seed) throws Exception {
        SplittableRandom random = new SplittableRandom(seed);
        int relid = channel.driver.offer().relid();
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
            Future<Void> sent = OnContext.call(channel.context, () -> {
                List<Future<Void>> sends = new ArrayList<>();
                for (int i = 0; i < burst; i++) {
                    sends.add(channel.driver.send(payload(first + i, sizes[i]), first + i, PacketType.DATA_INBAND, 0));
                }
                return Future.all(sends).mapEmpty();
            });
            for (int i = 0; i < burst; i++) {
                if (pauses[i] > 0) {
                    // Pauses on this thread interleave the echo reads below with the host's writes in varying phases.
                    LockSupport.parkNanos(pauses[i]); // pacing: the random pauses of the load
                }
                // polled on this thread: 3 000 waits a channel, no poller thread each
                Packet echo = await("relid " + relid + ": the echo of packet " + (first + i) + " of "
                        + PACKETS_PER_CHANNEL + " (a lost wake-up leaves it unread)").pollInSameThread()
                        .atMost(LOST_AFTER_S, TimeUnit.SECONDS).until(channel.received::poll, Objects::nonNull);
                assertEquals(first + i, echo.transactionId(), "relid " + relid + ": echoes out of order");
                assertEquals(first + i, ByteBuffer.wrap(echo.payload()).order(ByteOrder.LITTLE_ENDIAN).getInt(0));
                assertTrue(echo.payload().length >= Math.max(4, sizes[i]), "relid " + relid + ": echo too short");
            }
            sent.await(LOST_AFTER_S, TimeUnit.SECONDS);
            seq += burst;
        }
    }

    @Test
    void everyPacketOfRandomBurstsOnSeveralChannelsIsEchoedAndRead() throws Exception {
        List<Channel> channels = new ArrayList<>();
        for (int i = 0; i < CHANNELS; i++) {
            channels.add(open(offers.next()));
        }
        List<Future<Void>> runs = new ArrayList<>();
        for (int i = 0; i < channels.size(); i++) {
            Channel channel = channels.get(i);
            long seed = 0x5eed_0000L + i;
            Promise<Void> run = Promise.promise();
            Thread.ofPlatform().name("drive-" + channel.driver.offer().relid()).start(() -> {
                try {
                    drive(channel, seed);
                    run.complete();
                } catch (Throwable e) {
                    run.fail(e);
                }
            });
            runs.add(run.future());
        }
        for (Future<Void> run : runs) {
            run.await((LOST_AFTER_S + 5) * PACKETS_PER_CHANNEL, TimeUnit.SECONDS);
        }
        for (Channel channel : channels) {
            assertTrue(channel.received.isEmpty(), "relid " + channel.driver.offer().relid() + " got an echo nobody sent");
        }
    }
}
