package dev.vmbus.ring;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

import static dev.vmbus.ring.TestRings.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * decode(encode(x)) = x for transfer-page and GPA-direct headers written anywhere on the ring (wrap included),
 * and random bytes never make a decoder read outside the packet: the decoders run over a segment exactly as long
 * as the header, so any stray read would throw instead of returning a fault.
 */
class RangedPacketPropertyTest {
    static final int DSIZE = 16384;

    record XferRange(int byteCount, int byteOffset) {
    }

    record GpaRange(int byteCount, int byteOffset, long firstPfn) {
    }

    @Provide
    Arbitrary<XferRange> xferRange() {
        return Combinators.combine(Arbitraries.integers().filter(i -> i != 0), Arbitraries.integers())
                .as(XferRange::new);
    }

    @Provide
    Arbitrary<GpaRange> gpaRange() {
        return Combinators.combine(Arbitraries.integers().between(1, 5 * 4096), Arbitraries.integers().between(0, 0xFFF),
                Arbitraries.longs()).as(GpaRange::new);
    }

    @Property(tries = 300)
    void transferPagesRoundTrip(@ForAll @Size(min = 1, max = 40) List<@net.jqwik.api.From("xferRange") XferRange> ranges,
                                @ForAll @IntRange(max = 0xFFFF) int pageSetId, @ForAll boolean senderOwns,
                                @ForAll @IntRange(max = 1) int flags, @ForAll long transId,
                                @ForAll @IntRange(max = 300) int payloadLength,
                                @ForAll @IntRange(max = DSIZE / 8 - 1) int start8) {
        TransferPageRanges in = new TransferPageRanges(2).reset(pageSetId, senderOwns);
        ranges.forEach(r -> in.add(r.byteCount(), r.byteOffset()));
        byte[] payload = payload(payloadLength, transId);
        try (Arena arena = Arena.ofConfined()) {
            Ring ring = fresh(arena, DSIZE);
            position(ring, start8 * 8);
            assertTrue(new RingWriter(ring).writeTransferPages(flags, transId, in, payload, 0, payloadLength) >= 0);
            RingReader reader = new RingReader(ring);
            int length = reader.peek();
            assertEquals(RingLayout.align8(in.headerLength() + payloadLength), length);
            assertTrue(reader.checkDescriptor());
            assertEquals(PacketType.DATA_USING_XFER_PAGES, reader.type());
            assertEquals(flags, reader.flags());
            assertEquals(transId, reader.transactionId());
            TransferPageRanges out = new TransferPageRanges(1);
            assertTrue(reader.readTransferPages(out), () -> String.valueOf(reader.fault()));
            assertEquals(in, out);
            assertEquals(in.headerLength(), reader.dataOffset());
            byte[] got = new byte[reader.payloadLength()];
            reader.copyPayload(got, 0);
            for (int i = 0; i < payloadLength; i++) {
                assertEquals(payload[i], got[i]);
            }
            for (int i = payloadLength; i < got.length; i++) {
                assertEquals(0, got[i], "padding");
            }
        }
    }

    @Property(tries = 300)
    void gpaDirectRoundTrip(@ForAll @Size(min = 1, max = 12) List<@net.jqwik.api.From("gpaRange") GpaRange> ranges,
                            @ForAll long transId, @ForAll @IntRange(max = 300) int payloadLength,
                            @ForAll @IntRange(max = DSIZE / 8 - 1) int start8) {
        GpaRanges in = new GpaRanges(1, 2);
        for (GpaRange r : ranges) {
            long[] pfns = new long[(int) PacketLayout.pfnCount(r.byteOffset(), r.byteCount())];
            for (int j = 0; j < pfns.length; j++) {
                pfns[j] = r.firstPfn() * 31 + j;
            }
            in.add(r.byteCount(), r.byteOffset(), pfns, 0);
        }
        byte[] payload = payload(payloadLength, transId);
        try (Arena arena = Arena.ofConfined()) {
            Ring ring = fresh(arena, DSIZE);
            position(ring, start8 * 8);
            assertTrue(new RingWriter(ring).writeGpaDirect(1, transId, in, payload, 0, payloadLength) >= 0);
            RingReader reader = new RingReader(ring);
            assertEquals(RingLayout.align8(in.headerLength() + payloadLength), reader.peek());
            assertTrue(reader.checkDescriptor());
            GpaRanges out = new GpaRanges(1, 1);
            assertTrue(reader.readGpaDirect(out), () -> String.valueOf(reader.fault()));
            assertEquals(in, out);
            for (int i = 0; i < in.count(); i++) {
                assertEquals(ranges.get(i).byteCount(), out.byteCount(i));
                assertEquals(ranges.get(i).byteOffset(), out.byteOffset(i));
                assertEquals(ranges.get(i).firstPfn() * 31 + out.pfnCount(i) - 1, out.pfn(i, out.pfnCount(i) - 1));
            }
        }
    }

    /** Random header bytes, decoded from a buffer exactly {@code dataOffset} long: a fault or ranges, never a throw. */
    @Property(tries = 2000)
    void randomHeadersNeverReadPastTheHeader(@ForAll @Size(min = 2, max = 40) List<Long> words,
                                             @ForAll @IntRange(max = 3) int bias) {
        MemorySegment header = MemorySegment.ofArray(new byte[words.size() * 8]);
        for (int i = 0; i < words.size(); i++) {
            long w = words.get(i);
            if (i == 2 && bias > 0) {
                w = (w & 0xFFFF_FFFFL) | (long) (bias * (words.size() / 4)) << 32; // plausible range counts too
            }
            if (i >= 3 && bias > 1) {
                w = (w & 0x0000_0FFF_0000_FFFFL); // plausible ranges: small counts, offsets within the page
            }
            header.set(U64, 8L * i, w);
        }
        int dataOffset = (int) header.byteSize();
        ByteBuffer copy = header.asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        RingFault t = assertDoesNotThrow(() -> PacketCodec.decodeTransferPages(copy, dataOffset, new TransferPageRanges()));
        RingFault g = assertDoesNotThrow(() -> PacketCodec.decodeGpaDirect(copy, dataOffset, new GpaRanges()));
        if (t == null) {
            assertTrue(24 + 8L * header.get(TestRings.U32, 20) <= dataOffset);
        }
        if (g == null) {
            assertTrue(header.get(TestRings.U32, 20) != 0);
        }
    }

    /** Random packets on a ring (framing valid, everything else random) fault or decode; nothing throws. */
    @Property(tries = 1000)
    void randomPacketsOnTheRingFaultOrDecode(@ForAll @Size(min = 3, max = 64) List<Long> body,
                                             @ForAll @IntRange(min = 2, max = 64) int offset8,
                                             @ForAll @IntRange(max = 3) int typeChoice, @ForAll @IntRange(max = 3) int flags,
                                             @ForAll @IntRange(max = DSIZE / 8 - 1) int start8) {
        int[] types = {6, 7, 9, 0xB};
        int len8 = body.size();
        int off8 = Math.min(offset8, len8);
        MemorySegment raw = MemorySegment.ofArray(new byte[len8 * 8]);
        for (int i = 0; i < len8; i++) {
            raw.set(U64, 8L * i, body.get(i));
        }
        raw.set(U64, 0, PacketLayout.word0(types[typeChoice], off8, len8, flags));
        try (Arena arena = Arena.ofConfined()) {
            Ring ring = fresh(arena, DSIZE);
            position(ring, start8 * 8);
            assertTrue(new RingWriter(ring).writeRaw(raw, 0, len8 * 8) >= 0);
            RingReader reader = new RingReader(ring);
            assertEquals(len8 * 8, reader.peek());
            boolean ok = assertDoesNotThrow(() -> {
                if (!reader.checkDescriptor()) {
                    return false;
                }
                return switch (reader.type()) {
                    case 7 -> reader.readTransferPages(new TransferPageRanges());
                    case 9 -> reader.readGpaDirect(new GpaRanges());
                    default -> true;
                };
            });
            assertEquals(ok, reader.fault() == null);
            assertEquals(flags > 1, reader.fault() != null && reader.fault().kind() == RingFault.Kind.INVALID_FLAGS);
        }
    }
}
