package dev.vmbus.net;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * decode(encode(x)) = x for every NVSP and RNDIS message, and random or mutated bytes never make a decoder throw
 * anything but its own {@link NetCodecException}.
 */
class NetCodecPropertyTest {
    private static final Arbitrary<Integer> ANY = Arbitraries.integers();

    private static Arbitrary<byte[]> words(int maxWords) {
        return Arbitraries.bytes().array(byte[].class).ofMaxSize(maxWords * 4).map(b -> java.util.Arrays.copyOf(b, b.length / 4 * 4));
    }

    private static Arbitrary<byte[]> bytes(int max) {
        return Arbitraries.bytes().array(byte[].class).ofMaxSize(max);
    }

    @Provide
    Arbitrary<NvspMessage> nvsp() {
        Arbitrary<Integer> u16 = Arbitraries.integers().between(0, 0xFFFF);
        Arbitrary<NvspMessage.ReceiveSection> section = Combinators.combine(ANY, ANY, ANY, ANY)
                .as(NvspMessage.ReceiveSection::new);
        return Arbitraries.oneOf(List.of(
                Combinators.combine(ANY, ANY).as(NvspMessage.Init::new),
                Combinators.combine(ANY, ANY, ANY).as(NvspMessage.InitComplete::new),
                Combinators.combine(ANY, ANY).as(NvspMessage.NdisVersion::new),
                Combinators.combine(ANY, u16).as(NvspMessage.SendReceiveBuffer::new),
                Combinators.combine(ANY, section.list().ofMaxSize(4)).as(NvspMessage.ReceiveBufferComplete::new),
                u16.map(NvspMessage.RevokeReceiveBuffer::new),
                Combinators.combine(ANY, u16).as(NvspMessage.SendSendBuffer::new),
                Combinators.combine(ANY, ANY).as(NvspMessage.SendBufferComplete::new),
                u16.map(NvspMessage.RevokeSendBuffer::new),
                Combinators.combine(ANY, ANY, ANY).as(NvspMessage.RndisPacket::new),
                ANY.map(NvspMessage.RndisPacketComplete::new),
                Combinators.combine(ANY, Arbitraries.longs()).as(NvspMessage.NdisConfig::new),
                Combinators.combine(ANY, ANY).as(NvspMessage.VfAssociation::new),
                ANY.map(NvspMessage.SwitchDataPath::new),
                Combinators.combine(ANY, ANY).as(NvspMessage.SubchannelRequest::new),
                Combinators.combine(ANY, ANY).as(NvspMessage.SubchannelComplete::new),
                ANY.list().ofSize(16).map(NvspMessage.IndirectionTable::new)));
    }

    @Provide
    Arbitrary<RndisMessage> rndis() {
        Arbitrary<PerPacketInfo> ppi = Combinators.combine(ANY, words(4)).as(PerPacketInfo::new);
        return Arbitraries.oneOf(List.of(
                Combinators.combine(ANY, ANY, ANY, ANY).as(RndisMessage.InitializeRequest::new),
                Combinators.combine(List.of(ANY, ANY, ANY, ANY, ANY, ANY, ANY, ANY, ANY, ANY, ANY))
                        .as(v -> new RndisMessage.InitializeComplete(v.get(0), v.get(1), v.get(2), v.get(3), v.get(4),
                                v.get(5), v.get(6), v.get(7), v.get(8), v.get(9), v.get(10))),
                ANY.map(RndisMessage.Halt::new),
                Combinators.combine(ANY, ANY, bytes(64)).as(RndisMessage.Query::new),
                Combinators.combine(ANY, ANY, bytes(64)).as(RndisMessage.Set::new),
                Combinators.combine(ANY, ANY, bytes(64)).as(RndisMessage.QueryComplete::new),
                Combinators.combine(ANY, ANY).as(RndisMessage.SetComplete::new),
                Combinators.combine(ANY, bytes(32)).as(RndisMessage.IndicateStatus::new),
                ANY.map(RndisMessage.KeepAlive::new),
                Combinators.combine(ANY, ANY).as(RndisMessage.KeepAliveComplete::new),
                Combinators.combine(bytes(1600), ppi.list().ofMaxSize(4)).as(RndisMessage.Packet::new)));
    }

    @Property(tries = 500)
    void nvspDecodesToWhatWasEncoded(@ForAll("nvsp") NvspMessage m) throws NetCodecException {
        assertEquals(m, NvspMessage.decode(m.encode(), m instanceof NvspMessage.SubchannelComplete));
    }

    @Property(tries = 500)
    void rndisDecodesToWhatWasEncoded(@ForAll("rndis") RndisMessage m) throws NetCodecException {
        assertEquals(m, RndisMessage.decode(m.encode()));
    }

    @Property(tries = 2000)
    void randomBytesOnlyEverFailWithTheCodecsError(@ForAll @Size(max = 200) byte[] bytes, @ForAll boolean completion) {
        try {
            NvspMessage.decode(bytes, completion);
        } catch (NetCodecException expected) {
            // the only failure allowed
        }
        try {
            RndisMessage.decode(bytes);
        } catch (NetCodecException expected) {
            // the only failure allowed
        }
        try {
            RndisMessage.decodeAll(java.lang.foreign.MemorySegment.ofArray(bytes), 0, bytes.length);
        } catch (NetCodecException expected) {
            // the only failure allowed
        }
    }

    /** Random bytes rarely get past the type check; flipping words of valid messages reaches the deeper checks. */
    @Property(tries = 2000)
    void mutatedMessagesOnlyEverFailWithTheCodecsError(@ForAll("rndis") RndisMessage r, @ForAll("nvsp") NvspMessage n,
                                                       @ForAll @IntRange(min = 0, max = 63) int word,
                                                       @ForAll int value, @ForAll @IntRange(min = 0, max = 80) int cut) {
        for (byte[] wire : List.of(r.encode(), n.encode())) {
            int at = (word * 4) % Math.max(4, wire.length - 3);
            if (at + 4 <= wire.length) {
                java.nio.ByteBuffer.wrap(wire).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(at, value);
            }
            byte[] shorter = java.util.Arrays.copyOf(wire, Math.max(0, wire.length - cut));
            for (byte[] b : List.of(wire, shorter)) {
                try {
                    RndisMessage.decode(b);
                } catch (NetCodecException expected) {
                    // the only failure allowed
                }
                try {
                    NvspMessage.decode(b, value % 2 == 0);
                } catch (NetCodecException expected) {
                    // the only failure allowed
                }
            }
        }
    }
    /**
     * A send section of PACKET_MSGs end to end, maybe with one word changed: {@link RndisMessage#forEachPacket}
     * (in place, what the host's data path uses) visits exactly the frames {@link RndisMessage#decodeAll} decodes,
     * with the same LSO verdict, or fails with the same malformation, visiting nothing.
     */
    @Property(tries = 1000)
    void framesInPlaceAreTheDecodedFrames(@ForAll("packets") List<RndisMessage.Packet> packets,
                                          @ForAll boolean mutate, @ForAll @IntRange(min = 0, max = 1000) int word,
                                          @ForAll int value) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (RndisMessage.Packet p : packets) {
            out.writeBytes(p.encode());
        }
        byte[] section = java.util.Arrays.copyOf(out.toByteArray(), out.size() + 16); // bytes past the length
        int length = out.size();
        if (mutate) {
            java.nio.ByteBuffer.wrap(section).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt((word * 4) % (length - 3),
                    value);
        }
        List<RndisMessage> decoded = null;
        NetCodecException decodeFailure = null;
        try {
            decoded = RndisMessage.decodeAll(java.lang.foreign.MemorySegment.ofArray(section), 0, length);
        } catch (NetCodecException e) {
            decodeFailure = e;
        }
        List<byte[]> visited = new java.util.ArrayList<>();
        List<Boolean> lsos = new java.util.ArrayList<>();
        List<Integer> vlans = new java.util.ArrayList<>();
        boolean allPackets;
        try {
            allPackets = RndisMessage.forEachPacket(section, length, (frame, offset, len, lso, vlan) -> {
                visited.add(java.util.Arrays.copyOfRange(frame, offset, offset + len));
                lsos.add(lso);
                vlans.add(vlan);
            });
        } catch (NetCodecException e) {
            assertEquals(0, visited.size(), "a malformed section hands over no frame");
            assertEquals(decodeFailure == null ? null : decodeFailure.malformation(), e.malformation());
            return;
        }
        if (!allPackets) {
            assertEquals(0, visited.size());
            return; // a message that is not a PACKET_MSG: the host decodes the section the general way
        }
        assertEquals(null, decodeFailure);
        assertEquals(decoded.size(), visited.size());
        for (int i = 0; i < visited.size(); i++) {
            RndisMessage.Packet p = (RndisMessage.Packet) decoded.get(i);
            org.junit.jupiter.api.Assertions.assertArrayEquals(p.frame(), visited.get(i));
            assertEquals(p.info().stream().anyMatch(x -> x.type() == PerPacketInfo.TYPE_LSO), lsos.get(i));
            // the last VLAN PPI with a u32 of data names the tag, as a TCI
            int tci = -1;
            for (PerPacketInfo x : p.info()) {
                if (x.type() == PerPacketInfo.TYPE_VLAN && x.data().length >= 4) {
                    tci = Vlan.tciOf(x.u32());
                }
            }
            assertEquals(tci, vlans.get(i));
        }
    }

    @Provide
    Arbitrary<List<RndisMessage.Packet>> packets() {
        Arbitrary<Integer> type = Arbitraries.oneOf(List.of(ANY, Arbitraries.of(PerPacketInfo.TYPE_LSO,
                PerPacketInfo.TYPE_CHECKSUM, PerPacketInfo.TYPE_VLAN)));
        Arbitrary<PerPacketInfo> ppi = Combinators.combine(type, words(4)).as(PerPacketInfo::new);
        return Combinators.combine(bytes(1600), ppi.list().ofMaxSize(3)).as(RndisMessage.Packet::new).list()
                .ofMinSize(1).ofMaxSize(4);
    }
}
