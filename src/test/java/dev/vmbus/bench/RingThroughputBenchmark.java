package dev.vmbus.bench;

import dev.vmbus.ring.PacketLayout;
import dev.vmbus.ring.PacketType;
import dev.vmbus.ring.Ring;
import dev.vmbus.ring.RingReader;
import dev.vmbus.ring.RingWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.concurrent.TimeUnit;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;
import org.openjdk.jmh.annotations.*;
import org.openjdk.jmh.infra.Control;

/**
 * One producer thread copies {@code payloadBytes}-byte messages from its private source segment into 1 MiB of
 * shared memory, one consumer thread copies them out to its private destination segment: {@code vmbus} (this
 * project's ring, 4 KiB header), {@code agrona} ({@link OneToOneRingBuffer}) or {@code memcpy} (the copy bound:
 * the same two copies through power-of-two slots with the least handoff an SPSC queue needs, one release-stored
 * sequence per side on its own cache line), or {@code vmbus-xfer} (netvsc's receive path on this project's rings: the
 * producer copies each message into a slot of a receive buffer and sends a transfer-page packet naming it with a
 * 16-byte NVSP-sized payload; the consumer decodes the range from its private copy of the header, copies the
 * message out of the buffer and completes the packet on a second ring, one completion per packet published once
 * per poll; the producer reuses a slot only after its completion). Run with {@code scripts/bench.sh ring}; see docs/benchmarks/ring.md.
 *
 * <p>The throughput is the consumer's {@link Delivered} aux counters, {@code messages} and payload {@code bytes}
 * per second. A {@code produce} op is one message written; a {@code consume} op is one poll of up to
 * {@code batch} messages (possibly none), so JMH's group score is not a throughput. Every message carries its
 * sequence number in its first 8 bytes, checked after the copy out: a lost, reordered or torn message fails the run.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@State(Scope.Group)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
        "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED", // Agrona 2.x uses jdk.internal.misc.Unsafe
        "-Xms1g", "-Xmx1g"})
public class RingThroughputBenchmark {
    /** Data area of every transport (a power of two, as Agrona requires). */
    static final int CAPACITY = 1 << 20;
    static final int HEADER = 4096;
    /** {@code -Dbench.vmbus.masked=false} (via -jvmArgsAppend): the vmbus consumer leaves interrupts unmasked. */
    static final boolean MASKED = Boolean.parseBoolean(System.getProperty("bench.vmbus.masked", "true"));
    static final ValueLayout.OfLong SEQ = ValueLayout.JAVA_LONG;
    static final VarHandle COUNTER = ValueLayout.JAVA_LONG.varHandle();

    @Param({"vmbus", "agrona", "memcpy", "vmbus-xfer"}) public String impl;
    @Param({"32", "256", "4096", "65536"}) public int payloadBytes;

    private Arena arena;
    private MemorySegment src, dst;
    private int batch;
    private Sender sender;
    private Receiver receiver;
    /** Allocated between the sender and the receiver so that their hot fields never share a cache line. */
    private Object[] padding;

    @Setup(Level.Trial)
    public void setup() {
        arena = Arena.ofShared();
        src = arena.allocate(payloadBytes, 4096);
        dst = arena.allocate(payloadBytes, 4096);
        for (int i = 0; i < payloadBytes; i++) {
            src.set(ValueLayout.JAVA_BYTE, i, (byte) i);
        }
        // The same rule for every impl: a poll takes at most 64 messages and at most a quarter of the ring, so a
        // large-payload consumer hands space back while the producer can still use it.
        batch = Math.max(1, Math.min(64, CAPACITY / 4 / PacketLayout.ringBytes(payloadBytes)));
        MemorySegment shared = arena.allocate(CAPACITY + HEADER, 4096);
        padding = new Object[] {null, new long[32]};
        switch (impl) {
            case "vmbus" -> {
                Ring ring = new Ring(shared, HEADER);
                ring.initialize();
                sender = new VmbusSender(new RingWriter(ring));
                padding[0] = new long[32];
                RingReader reader = new RingReader(ring);
                if (MASKED) {
                    reader.mask(); // a busy-polling consumer never wants an interrupt
                }
                receiver = new VmbusReceiver(reader);
            }
            case "vmbus-xfer" -> {
                RingStream.Rings rings = RingStream.Rings.allocate(arena, CAPACITY, payloadBytes);
                sender = new XferSender(rings.producer());
                padding[0] = new long[32];
                receiver = new XferReceiver(rings.consumer());
            }
            case "agrona" -> {
                var ring = new OneToOneRingBuffer(
                        new UnsafeBuffer(shared.address(), CAPACITY + RingBufferDescriptor.TRAILER_LENGTH));
                sender = new AgronaSender(ring, new UnsafeBuffer(src.address(), payloadBytes));
                padding[0] = new long[32];
                receiver = new AgronaReceiver(ring, new UnsafeBuffer(dst.address(), payloadBytes));
            }
            case "memcpy" -> {
                MemorySegment control = arena.allocate(256, 128);
                int slot = Math.max(64, Integer.highestOneBit(payloadBytes * 2 - 1)); // power of two: index by mask
                sender = new CopySender(shared.asSlice(0, CAPACITY), control, slot);
                padding[0] = new long[32];
                receiver = new CopyReceiver(shared.asSlice(0, CAPACITY), control, slot);
            }
            default -> throw new IllegalArgumentException("impl " + impl);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close(); // no thread touches the segments any more: JMH tears down after both have stopped
    }

    /** One op = one message written (or the wait given up because the iteration is over). */
    @Benchmark
    @Group("ring")
    @GroupThreads(1)
    public void produce(Control control) {
        src.set(SEQ, 0, sender.seq);
        while (!sender.offer(src, payloadBytes)) {
            if (control.stopMeasurement) {
                return; // the consumer may already have stopped: never wait past the end of the iteration
            }
            Thread.onSpinWait();
        }
        sender.seq++;
    }

    /** One op = one poll of up to {@code batch} messages; it never waits, so it cannot hang an iteration. */
    @Benchmark
    @Group("ring")
    @GroupThreads(1)
    public void consume(Delivered delivered) {
        int n = receiver.poll(dst, payloadBytes, batch);
        if (n == 0) {
            Thread.onSpinWait();
            return;
        }
        delivered.messages += n;
        delivered.bytes += (long) n * payloadBytes;
    }

    /** Messages and payload bytes copied out by the consumer; JMH reports them per second. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Delivered {
        public long messages, bytes;

        @Setup(Level.Iteration)
        public void reset() {
            messages = 0;
            bytes = 0;
        }
    }

    /** The producer's side of a transport: {@link #offer} copies {@code len} bytes in, false if full now. */
    abstract static class Sender {
        long seq;

        abstract boolean offer(MemorySegment src, int len);
    }

    /** The consumer's side: {@link #poll} copies up to {@code max} messages out to {@code dst} at 0. */
    abstract static class Receiver {
        long expected;

        abstract int poll(MemorySegment dst, int len, int max);

        final void check(MemorySegment dst) {
            if (dst.get(SEQ, 0) != expected++) {
                throw new IllegalStateException("message " + (expected - 1) + " arrived as " + dst.get(SEQ, 0));
            }
        }
    }

    /** Packets per published burst on the vmbus producer (smaller than the consumer's batch of 64). */
    static final int BURST = 16;

    static final class VmbusSender extends Sender {
        private final RingWriter writer;

        VmbusSender(RingWriter writer) {
            this.writer = writer;
        }

        /** Packets staged since the last publish: a burst publishes write_index once (RingWriter.stage). */
        private int staged;

        @Override
        boolean offer(MemorySegment src, int len) {
            int rc = writer.stage(PacketType.DATA_INBAND, 0, seq, src, 0, len);
            if (rc == RingWriter.FAULTED) {
                throw new IllegalStateException(writer.fault().toString());
            }
            if (rc == RingWriter.FULL) {
                writer.publish(); // let the consumer see everything before waiting for space
                staged = 0;
                return false;
            }
            if (++staged == BURST) {
                writer.publish(); // WRITTEN_SIGNAL: nobody to signal, the consumer polls
                staged = 0;
            }
            return true;
        }
    }

    static final class VmbusReceiver extends Receiver {
        private final RingReader reader;

        VmbusReceiver(RingReader reader) {
            this.reader = reader;
        }

        @Override
        int poll(MemorySegment dst, int len, int max) {
            int n = 0;
            int packet;
            while (n < max && (packet = reader.peek()) != RingReader.EMPTY) {
                if (packet == RingReader.FAULTED) {
                    throw new IllegalStateException(reader.fault().toString());
                }
                reader.copyOut(PacketLayout.DESCRIPTOR_LENGTH, dst, 0, len);
                reader.consume();
                check(dst);
                n++;
            }
            if (n > 0) {
                reader.commit(); // read_index once per poll; the producer never arms pending_send_sz here
            }
            return n;
        }
    }

    /** {@code vmbus-xfer}'s host side: {@link RingStream.Producer}, what {@code vmbus bench stream}'s ring row runs. */
    static final class XferSender extends Sender {
        private final RingStream.Producer producer;

        XferSender(RingStream.Producer producer) {
            this.producer = producer;
        }

        @Override
        boolean offer(MemorySegment src, int len) {
            return producer.offer(src, len);
        }
    }

    /** {@code vmbus-xfer}'s guest side: {@link RingStream.Consumer}, which checks each sequence number itself. */
    static final class XferReceiver extends Receiver {
        private final RingStream.Consumer consumer;

        XferReceiver(RingStream.Consumer consumer) {
            this.consumer = consumer;
        }

        @Override
        int poll(MemorySegment dst, int len, int max) {
            return consumer.poll(dst, len, max);
        }
    }

    static final class AgronaSender extends Sender {
        private final OneToOneRingBuffer ring;
        private final UnsafeBuffer src; // the producer's source segment, as an Agrona buffer

        AgronaSender(OneToOneRingBuffer ring, UnsafeBuffer src) {
            this.ring = ring;
            this.src = src;
        }

        @Override
        boolean offer(MemorySegment ignored, int len) {
            return ring.write(1, src, 0, len);
        }
    }

    static final class AgronaReceiver extends Receiver implements MessageHandler {
        private final OneToOneRingBuffer ring;
        private final UnsafeBuffer dstBuffer; // the consumer's destination segment, as an Agrona buffer
        private MemorySegment dst;

        AgronaReceiver(OneToOneRingBuffer ring, UnsafeBuffer dstBuffer) {
            this.ring = ring;
            this.dstBuffer = dstBuffer;
        }

        @Override
        int poll(MemorySegment dst, int len, int max) {
            this.dst = dst;
            return ring.read(this, max);
        }

        @Override
        public void onMessage(int msgTypeId, MutableDirectBuffer buffer, int index, int length) {
            dstBuffer.putBytes(0, buffer, index, length);
            check(dst);
        }
    }

    /** The copy bound: the producer's sequence at {@code control} + 0, the consumer's at + 128. */
    static final class CopySender extends Sender {
        private final MemorySegment area, control;
        private final long slot, mask;
        private long consumedCache;

        CopySender(MemorySegment area, MemorySegment control, long slot) {
            this.area = area;
            this.control = control;
            this.slot = slot;
            this.mask = area.byteSize() / slot - 1;
        }

        @Override
        boolean offer(MemorySegment src, int len) {
            long head = seq;
            if (head - consumedCache > mask) {
                consumedCache = (long) COUNTER.getAcquire(control, 128L);
                if (head - consumedCache > mask) {
                    return false;
                }
            }
            MemorySegment.copy(src, 0, area, (head & mask) * slot, len);
            COUNTER.setRelease(control, 0L, head + 1);
            return true;
        }
    }

    static final class CopyReceiver extends Receiver {
        private final MemorySegment area, control;
        private final long slot, mask;
        private long producedCache;

        CopyReceiver(MemorySegment area, MemorySegment control, long slot) {
            this.area = area;
            this.control = control;
            this.slot = slot;
            this.mask = area.byteSize() / slot - 1;
        }

        @Override
        int poll(MemorySegment dst, int len, int max) {
            long tail = expected;
            if (producedCache == tail && (producedCache = (long) COUNTER.getAcquire(control, 0L)) == tail) {
                return 0;
            }
            int n = (int) Math.min(max, producedCache - tail);
            for (int i = 0; i < n; i++) {
                MemorySegment.copy(area, ((tail + i) & mask) * slot, dst, 0, len);
                check(dst);
            }
            COUNTER.setRelease(control, 128L, tail + n);
            return n;
        }
    }
}
