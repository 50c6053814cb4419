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
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * netvsc's receive path on bare rings, with no runtime around it: the ring's own figure for {@code vmbus bench
 * stream} ({@link #run}) and the JMH benchmark's {@code vmbus-xfer} (RingThroughputBenchmark), both driving the same
 * two sides. A {@link Producer} copies each message into a receive-buffer slot and stages a transfer-page packet
 * naming it (NVSP 107 in band, published every {@value #BURST}); a {@link Consumer} decodes the range, copies the
 * message out, checks its sequence number and stages a completion on a second ring (published once per poll); a
 * slot is reused only after its completion.
 */
final class RingStream {
    /** Receive-buffer slots: messages the producer may have outstanding before completions. */
    static final int SLOTS = 1024;
    /** Packets per published burst (smaller than a poll). */
    static final int BURST = 16;
    /** Data area of the completion ring: {@link #SLOTS} completions take a quarter of it. */
    static final int COMPLETION_RING = 128 * 1024;
    private static final int HEADER = 4096;
    private static final int RING = 1 << 20;
    private static final int POLL = 64;

    private RingStream() {
    }

    /** The receive-buffer slot a message of {@code payload} bytes takes: rounded up to a 64-byte cache line. */
    static int slotSize(int payload) {
        return (payload + 63) & ~63;
    }

    /** The host's side: data into a buffer slot, a type 7 packet naming it. */
    static final class Producer {
        private final RingWriter writer;
        private final RingReader completions;
        private final MemorySegment buffer;
        private final int slotSize;
        private final TransferPageRanges ranges = new TransferPageRanges(1);
        private final MemorySegment nvsp = MemorySegment.ofArray(StreamHost.NVSP_107);
        private long seq;
        private long completed;
        private int staged;

        /** Writes the stream's ring and polls its completion ring (masked here). */
        Producer(Rings rings) {
            writer = new RingWriter(rings.ring());
            completions = new RingReader(rings.completions());
            buffer = rings.buffer();
            slotSize = rings.slotSize();
            completions.mask();
        }

        /**
         * Stages the next message ({@code len} bytes of {@code src}, whose first 8 bytes the caller has set to
         * {@link #sequence()}); false, with everything staged published, when every slot is out or the ring is full.
         */
        boolean offer(MemorySegment src, int len) {
            if (seq - completed >= SLOTS && reapCompletions() == 0) {
                publish();
                return false; // every slot is out with the consumer
            }
            long offset = (seq % SLOTS) * slotSize;
            MemorySegment.copy(src, 0, buffer, offset, len);
            ranges.reset(0xCAFE, false).add(len, (int) offset);
            int rc = writer.stageTransferPages(PacketLayout.FLAG_COMPLETION_REQUESTED, seq, ranges, nvsp, 0,
                    (int) nvsp.byteSize());
            if (rc == RingWriter.FAULTED) {
                throw new IllegalStateException(String.valueOf(writer.fault()));
            }
            if (rc == RingWriter.FULL) {
                publish();
                return false;
            }
            seq++;
            if (++staged == BURST) {
                publish();
            }
            return true;
        }

        /** The sequence number (and transaction id) of the next message. */
        long sequence() {
            return seq;
        }

        private void publish() {
            writer.publish();
            staged = 0;
        }

        /** Takes every completion waiting; each must complete the oldest slot still out. */
        private int reapCompletions() {
            int n = 0;
            int packet;
            while ((packet = completions.peek()) != RingReader.EMPTY) {
                if (packet == RingReader.FAULTED || !completions.checkDescriptor()
                        || completions.type() != PacketType.COMP || completions.transactionId() != completed) {
                    throw new IllegalStateException("completion " + completed + ": " + completions.fault()
                            + " type " + completions.type() + " id " + completions.transactionId());
                }
                completions.consume();
                completed++;
                n++;
            }
            if (n > 0) {
                completions.commit();
            }
            return n;
        }
    }

    /** The guest's side: decode the range, copy the message out of the buffer, check it, complete the packet. */
    static final class Consumer {
        private final RingReader reader;
        private final RingWriter completions;
        private final MemorySegment buffer;
        private final TransferPageRanges ranges = new TransferPageRanges(1);
        private final MemorySegment empty = MemorySegment.ofArray(new byte[8]);
        private long expected;

        /** Polls the stream's ring (masked here) and writes its completion ring. */
        Consumer(Rings rings) {
            reader = new RingReader(rings.ring());
            completions = new RingWriter(rings.completions());
            buffer = rings.buffer();
            reader.mask();
        }

        /** Takes up to {@code max} packets, each message of {@code len} bytes copied to {@code dst} at 0; how many. */
        int poll(MemorySegment dst, int len, int max) {
            int n = 0;
            int packet;
            while (n < max && (packet = reader.peek()) != RingReader.EMPTY) {
                if (packet == RingReader.FAULTED || !reader.checkDescriptor() || !reader.readTransferPages(ranges)) {
                    throw new IllegalStateException(String.valueOf(reader.fault()));
                }
                long offset = Integer.toUnsignedLong(ranges.byteOffset(0));
                int count = ranges.byteCount(0);
                if (count != len || offset + count > buffer.byteSize()) {
                    throw new IllegalStateException("range " + ranges + " outside the buffer");
                }
                MemorySegment.copy(buffer, offset, dst, 0, count);
                long seq = dst.get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
                if (seq != expected) { // before completing: the slot is the producer's again once completed
                    throw new IllegalStateException("message " + seq + " where " + expected + " was due");
                }
                expected++;
                if (completions.stage(PacketType.COMP, 0, reader.transactionId(), empty, 0, 8) != RingWriter.WRITTEN) {
                    throw new IllegalStateException("completion ring full: it holds more than every slot");
                }
                reader.consume();
                n++;
            }
            if (n > 0) {
                reader.commit();
                completions.publish();
            }
            return n;
        }
    }

    /** The two rings and the receive buffer of one stream, in {@code arena}. */
    record Rings(Ring ring, Ring completions, MemorySegment buffer, int slotSize) {
        static Rings allocate(Arena arena, int ringBytes, int payload) {
            Ring ring = new Ring(arena.allocate(HEADER + ringBytes, 4096), HEADER);
            ring.initialize();
            Ring completions = new Ring(arena.allocate(HEADER + COMPLETION_RING, 4096), HEADER);
            completions.initialize();
            int slotSize = RingStream.slotSize(payload);
            return new Rings(ring, completions, arena.allocate((long) slotSize * SLOTS, 4096), slotSize);
        }

        Producer producer() {
            return new Producer(this);
        }

        Consumer consumer() {
            return new Consumer(this);
        }
    }

    /**
     * Messages per second of {@code payload} bytes over {@code seconds} (after {@code warmup}), two busy threads,
     * and the process's CPU nanoseconds per message over the same window.
     */
    static double[] run(int payload, double warmup, double seconds) throws Exception {
        try (Arena arena = Arena.ofShared()) {
            Rings rings = Rings.allocate(arena, RING, payload);
            AtomicLong consumed = new AtomicLong();
            AtomicReference<Throwable> failed = new AtomicReference<>();
            Thread producer = Thread.ofPlatform().name("bench-ring-producer").unstarted(() ->
                    guard(failed, () -> produce(rings.producer(), payload)));
            Thread consumer = Thread.ofPlatform().name("bench-ring-consumer").unstarted(() ->
                    guard(failed, () -> consume(rings.consumer(), payload, consumed)));
            producer.start();
            consumer.start();
            try {
                Thread.sleep((long) (warmup * 1000));
                long from = consumed.get();
                long t0 = System.nanoTime();
                long cpu0 = StreamCommand.processCpuNanos();
                Thread.sleep((long) (seconds * 1000));
                long n = consumed.get() - from;
                long cpu = StreamCommand.processCpuNanos() - cpu0;
                double rate = n / ((System.nanoTime() - t0) / 1e9);
                if (failed.get() != null) {
                    throw new IllegalStateException("ring stream failed", failed.get());
                }
                return new double[] {rate, (double) cpu / n};
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

    private static void produce(Producer producer, int payload) {
        MemorySegment message = Arena.ofAuto().allocate(payload, 8);
        ByteBuffer sequence = message.asByteBuffer().order(ByteOrder.nativeOrder()); // as StreamHost writes it
        while (!Thread.currentThread().isInterrupted()) {
            sequence.putLong(0, producer.sequence());
            if (!producer.offer(message, payload)) {
                Thread.onSpinWait();
            }
        }
    }

    private static void consume(Consumer consumer, int payload, AtomicLong consumed) {
        MemorySegment out = Arena.ofAuto().allocate(payload, 8);
        while (!Thread.currentThread().isInterrupted()) {
            int n = consumer.poll(out, payload, POLL);
            if (n > 0) {
                consumed.addAndGet(n);
            } else {
                Thread.onSpinWait();
            }
        }
    }
}
