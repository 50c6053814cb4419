package dev.vmbus.ring;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.RandomDistribution;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.statistics.Statistics;

import java.lang.foreign.Arena;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.List;

import static dev.vmbus.ring.TestRings.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Random interleavings of sends and receives on a 4 KiB data area, checked against a reference model: a queue
 * of expected packets, the producer's write index, the consumer's private and published read indices, and the
 * free-space formula of spec 1.3 (a send succeeds iff free > total; signal iff the ring was empty, mask clear).
 */
class RingModelPropertyTest {
    static final int DSIZE = 4096;

    sealed interface Op permits Send, Recv {
    }

    record Send(int size, long seed, int type, int flags) implements Op {
    }

    /** Takes one packet; {@code commit} publishes read_index now (false: keep batching). */
    record Recv(boolean commit) implements Op {
    }

    record Expected(byte[] payload, long transId, int type, int flags) {
    }

    @Provide
    Arbitrary<List<Op>> operations() {
        // Uniform sizes: jqwik's default bias towards small values would rarely fill or wrap the ring.
        Arbitrary<Op> send = Combinators.combine(
                Arbitraries.integers().between(0, 600).withDistribution(RandomDistribution.uniform()),
                Arbitraries.longs(),
                Arbitraries.integers().between(0, 0xD), Arbitraries.integers().between(0, 1))
                .as((size, seed, type, flags) -> new Send(size, seed, type, flags));
        Arbitrary<Op> recv = Arbitraries.of(true, true, false).map(Recv::new);
        return Arbitraries.frequencyOf(Tuple.of(3, send), Tuple.of(2, recv)).list().ofMinSize(1).ofMaxSize(300)
                .withSizeDistribution(RandomDistribution.uniform());
    }

    static int free(int w, int r) {
        return w >= r ? DSIZE - (w - r) : r - w;
    }

    @Property(tries = 200)
    void ringBehavesLikeTheModel(@ForAll("operations") List<Op> ops,
                                 @ForAll @IntRange(min = 0, max = DSIZE / 8 - 1) int startSlot) {
        try (Arena arena = Arena.ofConfined()) {
            Ring ring = fresh(arena, DSIZE);
            fillData(ring, (byte) 0xFF);
            int start = startSlot * 8;
            position(ring, start);
            RingWriter writer = new RingWriter(ring);
            RingReader reader = new RingReader(ring);
            ArrayDeque<Expected> queue = new ArrayDeque<>();
            int w = start;
            int readPos = start;
            int published = start;
            int step = 0;
            boolean sawFull = false;
            boolean wrapped = false;
            for (Op op : ops) {
                String where = "op " + step++ + " " + op;
                if (op instanceof Send s) {
                    byte[] p = payload(s.size(), s.seed());
                    int total = RingLayout.align8(16 + s.size()) + 8;
                    boolean fits = free(w, published) > total;
                    boolean wasEmpty = w == published;
                    int rc = writer.write(s.type(), s.flags(), s.seed(), p, 0, p.length);
                    if (fits) {
                        assertEquals(wasEmpty ? RingWriter.WRITTEN_SIGNAL : RingWriter.WRITTEN, rc, where);
                        queue.addLast(new Expected(p, s.seed(), s.type(), s.flags()));
                        wrapped |= w + total > DSIZE;
                        w = (w + total) % DSIZE;
                    } else {
                        assertEquals(RingWriter.FULL, rc, where);
                        sawFull = true;
                    }
                } else if (op instanceof Recv r) {
                    int len = reader.peek();
                    Expected head = queue.pollFirst();
                    if (head == null) {
                        assertEquals(RingReader.EMPTY, len, where);
                    } else {
                        assertEquals(RingLayout.align8(16 + head.payload().length), len, where);
                        assertEquals(head.transId(), reader.transactionId(), where);
                        assertEquals(head.type(), reader.type(), where);
                        assertEquals(head.flags(), reader.flags(), where);
                        byte[] got = new byte[reader.payloadLength()];
                        reader.copyPayload(got, 0);
                        assertArrayEquals(Arrays.copyOf(head.payload(), got.length), got, where + ": payload + zero pad");
                        reader.consume();
                        readPos = (readPos + len + 8) % DSIZE;
                    }
                    if (r.commit()) {
                        assertFalse(reader.commit(), "no pending_send_sz armed: never a signal");
                        published = readPos;
                    }
                }
                assertEquals(w, writeIndex(ring), where);
                assertEquals(published, readIndex(ring), where);
                assertEquals(w, writer.writeIndex(), where);
                assertEquals(readPos, reader.readPosition(), where);
                assertEquals(free(w, published), writer.bytesFree(), where);
                assertEquals(DSIZE - free(w, readPos), reader.bytesAvailable(), where);
                assertTrue(writer.bytesFree() >= 8, "never exactly full");
            }
            assertNull(reader.fault());
            assertNull(writer.fault());
            Statistics.label("ring refused a send").collect(sawFull);
            Statistics.label("a packet crossed the wrap point").collect(wrapped);
            // The generator must keep producing the interesting cases, or this property proves little.
            Statistics.label("ring refused a send").coverage(c -> c.check(true).percentage(pct -> pct >= 20));
            Statistics.label("a packet crossed the wrap point").coverage(c -> c.check(true).percentage(pct -> pct >= 20));
        }
    }
}
