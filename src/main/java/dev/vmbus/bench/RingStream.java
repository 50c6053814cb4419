package dev.vmbus.bench;

import dev.vmbus.ring.PacketLayout;
import dev.vmbus.ring.PacketType;
import dev.vmbus.ring.Ring;
import dev.vmbus.ring.RingReader;
import dev.vmbus.ring.RingWriter;
import dev.vmbus.ring.TransferPageRanges;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The ring's own figure for {@code vmbus bench stream}, the work of the JMH benchmark's {@code vmbus-xfer} with no
 * runtime around it: a producer thread copies each message into a receive-buffer slot and stages a transfer-page
 * packet naming it (NVSP 107 in band, published every 16), a consumer thread decodes the range, copies the message
 * out, checks its sequence number and stages a completion on a second ring (published once per poll of up to 64);
 * a slot is reused only after its completion. Both threads busy-poll with interrupts masked.
 */
final class RingStream {
    private static final int HEADER = 4096;
    private static final int RING = 1 << 20;
    private static final int SLOTS = 1024;
    private static final int BURST = 16;
    private static final int POLL = 64;

    private RingStream() {
    }

    /** Messages per second of {@code payload} bytes over {@code seconds} (after {@code warmup}). */
    static double run(int payload, double warmup, double seconds) throws Exception {
        try (Arena arena = Arena.ofShared()) {
            Ring ring = new Ring(arena.allocate(HEADER + RING, 4096), HEADER);
            ring.initialize();
            Ring completions = new Ring(arena.allocate(HEADER + 128 * 1024, 4096), HEADER);
            completions.initialize();
            int slotSize = (payload + 63) & ~63;
            MemorySegment buffer = arena.allocate((long) slotSize * SLOTS, 4096);
            AtomicLong consumed = new AtomicLong();
            AtomicReference<Throwable> failed = new AtomicReference<>();
            Thread producer = Thread.ofPlatform().name("bench-ring-producer").unstarted(() ->
                    guard(failed, () -> produce(new RingWriter(ring), new RingReader(completions), buffer, slotSize,
                            payload)));
            Thread consumer = Thread.ofPlatform().name("bench-ring-consumer").unstarted(() ->
                    guard(failed, () -> consume(new RingReader(ring), new RingWriter(completions), buffer, payload,
                            consumed)));
            producer.start();
            consumer.start();
            try {
                Thread.sleep((long) (warmup * 1000));
                long from = consumed.get();
                long t0 = System.nanoTime();
                Thread.sleep((long) (seconds * 1000));
                long n = consumed.get() - from;
                double rate = n / ((System.nanoTime() - t0) / 1e9);
                if (failed.get() != null) {
                    throw new IllegalStateException("ring stream failed", failed.get());
                }
                return rate;
            } finally {
                producer.interrupt();
                consumer.interrupt();
                producer.join(5000);
                consumer.join(5000);
            }
        }
    }

    private static void guard(AtomicReference<Throwable> failed, Runnable body) {
        try {
            body.run();
        } catch (Throwable t) {
            failed.compareAndSet(null, t);
        }
    }

    private static void produce(RingWriter writer, RingReader completions, MemorySegment buffer, int slotSize,
                                int payload) {
        completions.mask();
        MemorySegment message = Arena.ofAuto().allocate(payload, 8);
        MemorySegment nvsp = MemorySegment.ofArray(StreamHost.NVSP_107);
        TransferPageRanges ranges = new TransferPageRanges(1);
        long seq = 0;
        long completed = 0;
        int staged = 0;
        while (!Thread.currentThread().isInterrupted()) {
            while (completions.peek() > 0) {
                if (!completions.checkDescriptor() || completions.type() != PacketType.COMP
                        || completions.transactionId() != completed) {
                    throw new IllegalStateException("completion " + completed + " expected, got "
                            + completions.transactionId());
                }
                completions.consume();
                completed++;
            }
            completions.commit();
            if (seq - completed >= SLOTS) {
                writer.publish();
                staged = 0;
                Thread.onSpinWait();
                continue;
            }
            long offset = (seq % SLOTS) * slotSize;
            message.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, seq);
            MemorySegment.copy(message, 0, buffer, offset, payload);
            ranges.reset(0xCAFE, false).add(payload, (int) offset);
            int rc = writer.stageTransferPages(PacketLayout.FLAG_COMPLETION_REQUESTED, seq, ranges, nvsp, 0,
                    nvsp.byteSize() > 0 ? (int) nvsp.byteSize() : 0);
            if (rc == RingWriter.FAULTED) {
                throw new IllegalStateException(String.valueOf(writer.fault()));
            }
            if (rc == RingWriter.FULL) {
                writer.publish();
                staged = 0;
                Thread.onSpinWait();
                continue;
            }
            seq++;
            if (++staged == BURST) {
                writer.publish();
                staged = 0;
            }
        }
    }

    private static void consume(RingReader reader, RingWriter completions, MemorySegment buffer, int payload,
                                AtomicLong consumed) {
        reader.mask();
        MemorySegment out = Arena.ofAuto().allocate(payload, 8);
        MemorySegment empty = MemorySegment.ofArray(new byte[0]);
        TransferPageRanges ranges = new TransferPageRanges(1);
        long expected = 0;
        while (!Thread.currentThread().isInterrupted()) {
            int n = 0;
            int packet;
            while (n < POLL && (packet = reader.peek()) != RingReader.EMPTY) {
                if (packet == RingReader.FAULTED || !reader.checkDescriptor() || !reader.readTransferPages(ranges)) {
                    throw new IllegalStateException(String.valueOf(reader.fault()));
                }
                long offset = Integer.toUnsignedLong(ranges.byteOffset(0));
                int count = ranges.byteCount(0);
                if (count != payload || offset + count > buffer.byteSize()) {
                    throw new IllegalStateException("range " + ranges + " outside the buffer");
                }
                MemorySegment.copy(buffer, offset, out, 0, count);
                if (out.get(ValueLayout.JAVA_LONG_UNALIGNED, 0) != expected) {
                    throw new IllegalStateException("message " + out.get(ValueLayout.JAVA_LONG_UNALIGNED, 0)
                            + " where " + expected + " was due");
                }
                expected++;
                if (completions.stage(PacketType.COMP, 0, reader.transactionId(), empty, 0, 0) != RingWriter.WRITTEN) {
                    throw new IllegalStateException("completion ring full: it holds more than every slot");
                }
                reader.consume();
                n++;
            }
            if (n > 0) {
                reader.commit();
                completions.publish();
                consumed.addAndGet(n);
            } else {
                Thread.onSpinWait();
            }
        }
    }
}
