package dev.vmbus.net;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** RNDIS messages byte for byte against the spec's table (netvsc-and-buffers.md §3.5), and each decoder check. */
class RndisMessageTest {
    private static byte[] hex(String s) {
        return HexFormat.of().parseHex(s.replace(" ", ""));
    }

    private static NetCodecException failure(String wire) {
        return assertThrows(NetCodecException.class, () -> RndisMessage.decode(hex(wire)));
    }

    @Test
    void initializeIsTwentyFourBytes() throws Exception {
        byte[] wire = new RndisMessage.InitializeRequest(1, 1, 0, 0x4000).encode();
        assertArrayEquals(hex("02000000 18000000 01000000 01000000 00000000 00400000"), wire);
        assertEquals(new RndisMessage.InitializeRequest(1, 1, 0, 0x4000), RndisMessage.decode(wire));
    }

    @Test
    void initializeCompleteIsFiftyTwoBytesWithTheAlignmentAtForty() throws Exception {
        // OpenVMM's reply: {rid, SUCCESS, 1, 0, CONNECTIONLESS, 802.3, 8, 0xEFFFFFFF, 3, 0, 0}.
        RndisMessage.InitializeComplete m = new RndisMessage.InitializeComplete(7, 0, 1, 0, 1, 0, 8, 0xEFFFFFFF, 3, 0, 0);
        byte[] wire = m.encode();
        assertArrayEquals(hex("02000080 34000000 07000000 00000000 01000000 00000000 01000000 00000000"
                + " 08000000 ffffffef 03000000 00000000 00000000"), wire);
        assertEquals(m, RndisMessage.decode(wire));
    }

    @Test
    void queryPutsItsInformationAtTwentyEight() throws Exception {
        byte[] wire = new RndisMessage.Query(2, Rndis.OID_802_3_PERMANENT_ADDRESS, new byte[0]).encode();
        assertArrayEquals(hex("04000000 1c000000 02000000 01010101 00000000 14000000 00000000"), wire);
        byte[] set = new RndisMessage.Set(3, Rndis.OID_GEN_CURRENT_PACKET_FILTER, hex("0d000000")).encode();
        assertArrayEquals(hex("05000000 20000000 03000000 0e010100 04000000 14000000 00000000 0d000000"), set);
        assertEquals(new RndisMessage.Set(3, Rndis.OID_GEN_CURRENT_PACKET_FILTER, hex("0d000000")),
                RndisMessage.decode(set));
    }

    @Test
    void queryCompletePutsItsInformationAtTwentyFour() throws Exception {
        byte[] mac = hex("00155d010203");
        byte[] wire = new RndisMessage.QueryComplete(2, 0, mac).encode();
        assertArrayEquals(hex("04000080 1e000000 02000000 00000000 06000000 10000000 00155d010203"), wire);
        assertEquals(new RndisMessage.QueryComplete(2, 0, mac), RndisMessage.decode(wire));
        // A host may say offset 0 when there is nothing: the offset of an empty buffer is not looked at.
        assertEquals(new RndisMessage.QueryComplete(2, Rndis.STATUS_NOT_SUPPORTED, new byte[0]),
                RndisMessage.decode(hex("04000080 18000000 02000000 bb0000c0 00000000 00000000")));
    }

    @Test
    void setCompleteKeepAliveIndicateStatusAndHalt() throws Exception {
        assertArrayEquals(hex("05000080 10000000 03000000 00000000"), new RndisMessage.SetComplete(3, 0).encode());
        assertArrayEquals(hex("08000000 0c000000 09000000"), new RndisMessage.KeepAlive(9).encode());
        assertArrayEquals(hex("08000080 10000000 09000000 00000000"), new RndisMessage.KeepAliveComplete(9, 0).encode());
        assertArrayEquals(hex("03000000 0c000000 0a000000"), new RndisMessage.Halt(10).encode());
        byte[] link = new RndisMessage.IndicateStatus(Rndis.STATUS_MEDIA_CONNECT, new byte[0]).encode();
        assertArrayEquals(hex("07000000 14000000 0b000140 00000000 0c000000"), link);
        assertEquals(new RndisMessage.IndicateStatus(Rndis.STATUS_MEDIA_CONNECT, new byte[0]),
                RndisMessage.decode(link));
    }

    @Test
    void packetHasAFortyFourByteHeaderThenPerPacketInfoThenTheFrame() throws Exception {
        byte[] frame = hex("ffffffffffff 00155d000001 86dd 6000");
        PerPacketInfo csum = PerPacketInfo.u32(PerPacketInfo.TYPE_CHECKSUM, PerPacketInfo.RX_CSUM_TCP_OK);
        RndisMessage.Packet p = new RndisMessage.Packet(frame, List.of(csum));
        byte[] wire = p.encode();
        // msg_len 44 + 16 + 16 = 76; data at 36 + 16 = 52 (+8); ppi at 36 (+8), 16 bytes.
        assertArrayEquals(hex("01000000 4c000000 34000000 10000000 00000000 00000000 00000000 24000000 10000000"
                + " 00000000 00000000" + " 10000000 00000000 0c000000 08000000"
                + " ffffffffffff 00155d000001 86dd 6000"), wire);
        assertEquals(p, RndisMessage.decode(wire));
        assertEquals(PerPacketInfo.RX_CSUM_TCP_OK, ((RndisMessage.Packet) RndisMessage.decode(wire)).info().get(0).u32());
    }

    @Test
    void aHeaderMadeOnceWritesWhatWriteHeaderWritesForEveryFrameLength() {
        List<List<PerPacketInfo>> infos = List.of(List.of(),
                List.of(PerPacketInfo.u32(PerPacketInfo.TYPE_CHECKSUM, 0)),
                List.of(PerPacketInfo.u32(PerPacketInfo.TYPE_CHECKSUM, PerPacketInfo.RX_CSUM_TCP_OK),
                        PerPacketInfo.u32(PerPacketInfo.TYPE_HASH_VALUE, 0x12345678)));
        for (List<PerPacketInfo> info : infos) {
            RndisMessage.Header header = RndisMessage.Packet.header(info);
            for (int length : new int[] {0, 1, 60, 1514, 6000}) {
                byte[] expected = new byte[128];
                byte[] actual = new byte[128];
                java.util.Arrays.fill(expected, (byte) 0x77); // bytes around the header must stay as they were
                java.util.Arrays.fill(actual, (byte) 0x77);
                int e = RndisMessage.Packet.writeHeader(MemorySegment.ofArray(expected), 8, length, info);
                int a = header.write(MemorySegment.ofArray(actual), 8, length);
                assertEquals(e, a, info + ", frame of " + length);
                assertEquals(e, header.length());
                assertArrayEquals(expected, actual, info + ", frame of " + length);
            }
        }
    }

    @Test
    void aPacketInAReceiveSlotIsReadAtItsOffsetAndTheSlotTailIsIgnored() throws Exception {
        // OpenVMM: msg_len = the whole slot, the frame at slot offset 256 (data_offset 248).
        byte[] slot = new byte[400];
        byte[] frame = hex("0102030405060708");
        var b = java.nio.ByteBuffer.wrap(slot).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, 1).putInt(4, 400).putInt(8, 248).putInt(12, frame.length);
        System.arraycopy(frame, 0, slot, 256, frame.length);
        assertEquals(new RndisMessage.Packet(frame, List.of()), RndisMessage.decode(slot));
    }

    @Test
    void severalPacketsEndToEndInASendSection() throws Exception {
        byte[] a = new RndisMessage.Packet(hex("aa"), List.of()).encode();
        byte[] c = new RndisMessage.Packet(hex("cccc"), List.of()).encode();
        byte[] section = new byte[a.length + c.length + 4];
        System.arraycopy(a, 0, section, 0, a.length);
        System.arraycopy(c, 0, section, a.length, c.length);
        MemorySegment s = MemorySegment.ofArray(section);
        assertEquals(List.of(new RndisMessage.Packet(hex("aa"), List.of()), new RndisMessage.Packet(hex("cccc"), List.of())),
                RndisMessage.decodeAll(s, 0, a.length + c.length));
        assertEquals(NetCodecException.Malformation.TRUNCATED, assertThrows(NetCodecException.class,
                () -> RndisMessage.decodeAll(s, 0, section.length)).malformation());
    }

    @Test
    void lengthsOffsetsAndSizesAreCheckedWithTheirValues() {
        NetCodecException e = failure("02000000 40000000 01000000 01000000 00000000 00400000");
        assertEquals(NetCodecException.Malformation.RNDIS_LENGTH, e.malformation());
        assertTrue(e.getMessage().contains("msg_len 64 outside [8, 24]"), e.getMessage());
        assertEquals(NetCodecException.Malformation.RNDIS_LENGTH, failure("02000000 04000000").malformation());
        assertEquals(NetCodecException.Malformation.TRUNCATED, failure("02000000 10000000 01000000 01000000").malformation());
        assertEquals(NetCodecException.Malformation.UNKNOWN_RNDIS_TYPE, failure("06000000 0c000000 00000000").malformation());
        // info_len past msg_len; info_offset pointing into the fixed fields.
        assertEquals(NetCodecException.Malformation.INFO_RANGE,
                failure("04000080 1c000000 02000000 00000000 08000000 10000000 00000000").malformation());
        assertEquals(NetCodecException.Malformation.INFO_RANGE,
                failure("04000080 1c000000 02000000 00000000 04000000 04000000 00000000").malformation());
        assertEquals(NetCodecException.Malformation.INFO_RANGE,
                failure("04000080 1c000000 02000000 00000000 04000000 fcffffff 00000000").malformation());
        String header = "01000000 30000000 %s %s %s %s %s %s %s %s 00000000 00000000";
        assertEquals(NetCodecException.Malformation.PACKET_DATA_RANGE, failure(header.formatted("24000000", "08000000",
                "00000000", "00000000", "00000000", "00000000", "00000000", "00000000")).malformation());
        assertEquals(NetCodecException.Malformation.PACKET_DATA_RANGE, failure(header.formatted("00000000", "04000000",
                "00000000", "00000000", "00000000", "00000000", "00000000", "00000000")).malformation());
        assertEquals(NetCodecException.Malformation.PACKET_OOB, failure(header.formatted("24000000", "04000000",
                "00000000", "00000000", "01000000", "00000000", "00000000", "00000000")).malformation());
        assertEquals(NetCodecException.Malformation.PACKET_VC_HANDLE, failure(header.formatted("24000000", "04000000",
                "00000000", "00000000", "00000000", "00000000", "00000000", "05000000")).malformation());
        assertEquals(NetCodecException.Malformation.PPI_RANGE, failure(header.formatted("24000000", "04000000",
                "00000000", "00000000", "00000000", "24000000", "08000000", "00000000")).malformation());
        String withPpi = "01000000 40000000 34000000 04000000 00000000 00000000 00000000 %s %s 00000000 00000000"
                + " %s %s %s 11223344 55667788";
        assertEquals(NetCodecException.Malformation.PACKET_OVERLAP, failure(withPpi.formatted("24000000", "14000000",
                "10000000", "00000000", "0c000000")).malformation());
        assertEquals(NetCodecException.Malformation.PPI_SIZE, failure(withPpi.formatted("24000000", "10000000",
                "14000000", "00000000", "0c000000")).malformation());
        assertEquals(NetCodecException.Malformation.PPI_SIZE, failure(withPpi.formatted("24000000", "10000000",
                "08000000", "00000000", "0c000000")).malformation());
        assertEquals(NetCodecException.Malformation.PPI_SIZE, failure(withPpi.formatted("24000000", "10000000",
                "0e000000", "00000000", "0c000000")).malformation());
        assertEquals(NetCodecException.Malformation.PPI_SIZE, failure(withPpi.formatted("24000000", "08000000",
                "08000000", "00000000", "0c000000")).malformation());
        assertEquals(NetCodecException.Malformation.PPI_OFFSET, failure(withPpi.formatted("24000000", "10000000",
                "10000000", "00000000", "14000000")).malformation());
        assertEquals(NetCodecException.Malformation.PPI_OFFSET, failure(withPpi.formatted("24000000", "10000000",
                "10000000", "00000000", "08000000")).malformation());
        assertEquals(NetCodecException.Malformation.PPI_OFFSET, failure(withPpi.formatted("24000000", "10000000",
                "10000000", "00000000", "0d000000")).malformation());
    }
}
