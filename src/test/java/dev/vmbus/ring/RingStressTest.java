package dev.vmbus.ring;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * One producer and one consumer thread on a two-page ring (4096 header + 4096 data) moving ten million packets,
 * using only the protocol's own wakeups (spec 2.3, 2.4, 2.6, 2.7):
 * <ul>
 *   <li>the producer, on FULL, arms pending_send_sz, re-checks, and sleeps until the consumer's commit() says
 *       the crossing happened and "interrupts" it;</li>
 *   <li>the consumer, on empty, commits, unmasks, re-checks, and sleeps until a write returns WRITTEN_SIGNAL.</li>
 * </ul>
 * Sleeps are bounded only as a safety net: a sleeper woken by its timeout although what it waited for had
 * already happened is a lost wakeup, and the test fails if there was even one. If the run does not finish by
 * the deadline it fails too, so a broken protocol never hangs the build.
 */
@Tag("slow") // ten million packets across two threads: run by mvn verify, not by mvn test
class RingStressTest {
    static final long PACKETS = 10_000_000L;
    static final int MAX_PAYLOAD = 200;
    static final int COMMIT_BATCH = 8;
    static final long SAFETY_NET_MILLIS = 2_000;
    static final long DEADLINE_MILLIS = 120_000;

    static long mix(long x) {
        x = (x ^ (x >>> 33)) * 0xFF51AFD7ED558CCDL;
        x = (x ^ (x >>> 33)) * 0xC4CEB9FE1A85EC53L;
        return x ^ (x >>> 33);
    }

    static int sizeOf(long seq) {
        return (int) Long.remainderUnsigned(mix(seq), MAX_PAYLOAD + 1);
    }

    /** The payload of packet {@code seq}: its sequence number first (if it fits), then bytes derived from it. */
    static void fill(long seq, byte[] buf, int size) {
        long h = mix(~seq);
        for (int i = 0; i < size; i++) {
            buf[i] = i < 8 ? (byte) (seq >>> (8 * i)) : (byte) (h + i * 0x9D);
        }
    }

    static long checksum(long acc, long seq, byte[] buf, int size) {
        acc = acc * 31 + seq;
        for (int i = 0; i < size; i++) {
            acc = acc * 31 + buf[i];
        }
        return acc;
    }

    private final Semaphore producerWake = new Semaphore(0);
    private final Semaphore consumerWake = new Semaphore(0);
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private volatile boolean stop;

    // producer-owned
    private long produced;
    private long producerSum;
    private long producerSleeps;
    private long producerLostWakeups;
    private long producerRecheckHits;
    private long signalsToConsumer;
    // consumer-owned
    private long consumed;
    private long consumerSum;
    private long consumerSleeps;
    private long consumerLostWakeups;
    private long unmaskRecheckHits;
    private long signalsToProducer;

    @Test
    void tenMillionPacketsArriveOnceInOrderIntactWithNoLostWakeup() throws InterruptedException {
        try (Arena arena = Arena.ofShared()) {
            Ring ring = TestRings.fresh(arena, 4096);
            RingWriter writer = new RingWriter(ring);
            RingReader reader = new RingReader(ring);
            Thread producer = Thread.ofPlatform().name("ring-producer").daemon().unstarted(guard(() -> produce(writer)));
            Thread consumer = Thread.ofPlatform().name("ring-consumer").daemon().unstarted(guard(() -> consume(reader)));
            long t0 = System.nanoTime();
            producer.start();
            consumer.start();
            producer.join(DEADLINE_MILLIS);
            consumer.join(Math.max(1, DEADLINE_MILLIS - (System.nanoTime() - t0) / 1_000_000));
            long millis = (System.nanoTime() - t0) / 1_000_000;
            boolean hung = producer.isAlive() || consumer.isAlive();
            if (hung) {
                stop = true;
                producer.interrupt();
                consumer.interrupt();
                producer.join(5_000);
                consumer.join(5_000);
            }
            String report = String.format("%d packets in %d ms; producer: %d sleeps, %d re-check hits, %d signals "
                    + "sent, %d lost wakeups; consumer: %d sleeps, %d unmask re-check hits, %d signals sent, "
                    + "%d lost wakeups; ring %s", consumed, millis, producerSleeps, producerRecheckHits,
                    signalsToConsumer, producerLostWakeups, consumerSleeps, unmaskRecheckHits, signalsToProducer,
                    consumerLostWakeups, ring.snapshot());
            System.out.println("RingStressTest: " + report);
            if (failure.get() != null) {
                fail("stress run failed: " + report, failure.get());
            }
            assertEquals(0, producerLostWakeups, "producer woken only by its safety-net timeout: " + report);
            assertEquals(0, consumerLostWakeups, "consumer woken only by its safety-net timeout: " + report);
            assertFalse(hung, "no progress by the deadline (a lost wakeup?): " + report);
            assertEquals(PACKETS, produced);
            assertEquals(PACKETS, consumed, "nothing lost or duplicated");
            assertEquals(producerSum, consumerSum, "checksums");
            assertEquals(PACKETS, writer.packets());
            assertEquals(PACKETS, reader.packets());
            assertEquals(writer.writeIndex(), TestRings.readIndex(ring), "everything consumed and published");
            assertEquals(RingReader.EMPTY, reader.peek(), "no extra packet");
            assertTrue(producerSleeps > 0 && consumerSleeps > 0, "both wait paths were exercised: " + report);
        }
    }

    private Runnable guard(ThrowingRunnable body) {
        return () -> {
            try {
                body.run();
            } catch (InterruptedException e) {
                // the test gave up on us
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
                stop = true;
            }
        };
    }

    private interface ThrowingRunnable {
        void run() throws Exception;
    }

    private void produce(RingWriter writer) throws InterruptedException {
        byte[] buf = new byte[MAX_PAYLOAD];
        for (long seq = 0; seq < PACKETS && !stop; seq++) {
            int size = sizeOf(seq);
            fill(seq, buf, size);
            producerSum = checksum(producerSum, seq, buf, size);
            boolean armed = false;
            while (true) {
                int rc = writer.write(PacketType.DATA_INBAND, 0, seq, buf, 0, size);
                if (rc == RingWriter.WRITTEN_SIGNAL) {
                    signalsToConsumer++;
                    consumerWake.release();
                    break;
                }
                if (rc == RingWriter.WRITTEN) {
                    break;
                }
                assertEquals(RingWriter.FULL, rc, "writer fault: " + writer.fault());
                int needed = RingWriter.requiredSpace(size);
                armed = true;
                if (writer.armPendingSend(needed)) {
                    producerRecheckHits++; // space appeared before the consumer could see pending_send_sz
                    continue;
                }
                producerSleeps++;
                if (!producerWake.tryAcquire(SAFETY_NET_MILLIS, TimeUnit.MILLISECONDS)) {
                    if (writer.bytesFree() > needed) {
                        producerLostWakeups++; // the space was there, but nobody told us
                        stop = true; // one is enough to fail: do not wait for the deadline
                    }
                    if (stop) {
                        return;
                    }
                }
            }
            if (armed) {
                writer.clearPendingSend();
            }
            produced++;
        }
    }

    private void consume(RingReader reader) throws InterruptedException {
        byte[] got = new byte[MAX_PAYLOAD + 8];
        byte[] want = new byte[MAX_PAYLOAD];
        int sinceCommit = 0;
        reader.mask();
        while (consumed < PACKETS && !stop) {
            int len = reader.peek();
            if (len > 0) {
                long seq = consumed;
                int size = sizeOf(seq);
                assertEquals(seq, reader.transactionId(), "sequence (trans_id): lost, duplicated or reordered");
                assertEquals(RingLayout.align8(16 + size), len, "length of packet " + seq);
                int area = reader.payloadLength();
                reader.copyPayload(got, 0);
                fill(seq, want, size);
                if (!Arrays.equals(got, 0, size, want, 0, size)) {
                    fail("payload of packet " + seq + " corrupted");
                }
                for (int i = size; i < area; i++) {
                    assertEquals(0, got[i], "padding of packet " + seq);
                }
                consumerSum = checksum(consumerSum, seq, got, size);
                reader.consume();
                consumed++;
                if (++sinceCommit == COMMIT_BATCH) {
                    sinceCommit = 0;
                    commit(reader);
                }
                continue;
            }
            assertEquals(RingReader.EMPTY, len, "reader fault: " + reader.fault());
            sinceCommit = 0;
            commit(reader);
            if (reader.unmask() != 0) {
                unmaskRecheckHits++; // written while we were masked: the producer will not signal for it
                reader.mask();
                continue;
            }
            consumerSleeps++;
            if (!consumerWake.tryAcquire(SAFETY_NET_MILLIS, TimeUnit.MILLISECONDS) && reader.bytesAvailable() > 0) {
                consumerLostWakeups++; // data was there, but nobody told us
                stop = true;
            }
            reader.mask();
        }
        commit(reader);
    }

    private void commit(RingReader reader) {
        if (reader.commit()) {
            signalsToProducer++;
            producerWake.release();
        }
    }
}
