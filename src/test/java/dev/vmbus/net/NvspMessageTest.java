package dev.vmbus.net;

import org.junit.jupiter.api.Test;

import java.util.HexFormat;
import java.util.List;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** NVSP messages byte for byte against the spec's table (netvsc-and-buffers.md §3.1), and each decoder check. */
class NvspMessageTest {
    private static byte[] hex(String s) {
        return HexFormat.of().parseHex(s.replace(" ", ""));
    }

    /** {@code bytes} padded with zeros to {@code size}. */
    private static byte[] padded(String s, int size) {
        byte[] b = hex(s);
        byte[] out = new byte[size];
        System.arraycopy(b, 0, out, 0, b.length);
        return out;
    }

    @Test
    void initIsTypeOneWithMinAndMaxAtFourAndEight() throws Exception {
        byte[] wire = new NvspMessage.Init(Nvsp.VERSION_61, Nvsp.VERSION_61).encode();
        assertArrayEquals(padded("01000000 01000600 01000600", 40), wire);
        assertEquals(new NvspMessage.Init(0x60001, 0x60001), NvspMessage.decode(wire, false));
    }

    @Test
    void initCompleteCarriesStatusAtTwelve() throws Exception {
        byte[] wire = padded("02000000 ffffffff 22000000 01000000", 28);
        assertEquals(new NvspMessage.InitComplete(-1, 34, Nvsp.STATUS_SUCCESS), NvspMessage.decode(wire, true));
        assertArrayEquals(wire, new NvspMessage.InitComplete(-1, 34, 1).encode(28));
    }

    @Test
    void receiveBufferNamesTheGpadlAndTheCafeId() {
        assertArrayEquals(padded("65000000 104e0e00 feca", 40),
                new NvspMessage.SendReceiveBuffer(0xE4E10, Nvsp.RECEIVE_BUFFER_ID).encode());
        assertArrayEquals(padded("68000000 114e0e00 cefa", 40),
                new NvspMessage.SendSendBuffer(0xE4E11, Nvsp.SEND_BUFFER_ID).encode());
    }

    @Test
    void receiveBufferCompleteHasOneSixteenByteSectionAtTwelve() throws Exception {
        // OpenVMM's reply for a 31 MiB buffer at MTU 1514: slots of 1806 bytes, 17998 of them.
        NvspMessage.ReceiveBufferComplete m = new NvspMessage.ReceiveBufferComplete(1,
                List.of(new NvspMessage.ReceiveSection(0, 1806, 17998, 1806 * 17998)));
        byte[] wire = m.encode(28);
        assertArrayEquals(hex("66000000 01000000 01000000 00000000 0e070000 4e460000 "
                + Integer.toHexString(Integer.reverseBytes(1806 * 17998))), wire);
        assertEquals(m, NvspMessage.decode(wire, true));
    }

    @Test
    void sendBufferCompleteAndRndisPacketAndItsCompletion() throws Exception {
        assertArrayEquals(padded("69000000 01000000 00180000", 40), new NvspMessage.SendBufferComplete(1, 6144).encode());
        assertArrayEquals(padded("6b000000 01000000 ffffffff 00000000", 40),
                new NvspMessage.RndisPacket(Nvsp.CHANNEL_CONTROL, Nvsp.NO_SECTION, 0).encode());
        assertArrayEquals(padded("6c000000 01000000", 40), new NvspMessage.RndisPacketComplete(1).encode());
        // Linux completes receives with just 8 bytes {108, status}.
        assertEquals(new NvspMessage.RndisPacketComplete(1), NvspMessage.decode(hex("6c000000 01000000"), true));
    }

    @Test
    void ndisConfigHasMtuAtFourAndCapabilitiesAtTwelve() throws Exception {
        byte[] wire = new NvspMessage.NdisConfig(1514, Nvsp.CAP_IEEE8021Q | Nvsp.CAP_SRIOV | Nvsp.CAP_TEAMING).encode();
        assertArrayEquals(padded("7d000000 ea050000 00000000 2c00000000000000", 40), wire);
        assertEquals(new NvspMessage.NdisVersion(6, 30), NvspMessage.decode(hex("64000000 06000000 1e000000"), false));
    }

    @Test
    void subchannelTypeMeansARequestInBandAndAGrantInACompletion() throws Exception {
        byte[] wire = hex("85000000 01000000 03000000");
        assertEquals(new NvspMessage.SubchannelRequest(Nvsp.SUBCHANNEL_ALLOCATE, 3), NvspMessage.decode(wire, false));
        assertEquals(new NvspMessage.SubchannelComplete(1, 3), NvspMessage.decode(wire, true));
    }

    @Test
    void indirectionTableIsSixteenEntriesAtTheOffsetItNames() throws Exception {
        List<Integer> entries = IntStream.range(0, 16).map(i -> i % 3).boxed().toList();
        byte[] wire = new NvspMessage.IndirectionTable(entries).encode();
        assertEquals(12 + 64, wire.length);
        assertEquals("86000000" + "10000000" + "0c000000", HexFormat.of().formatHex(wire, 0, 12));
        assertEquals(new NvspMessage.IndirectionTable(entries), NvspMessage.decode(wire, false));
        // A table placed further out (as hosts with a larger header do) is read where the offset says.
        byte[] moved = new byte[40 + 64];
        System.arraycopy(wire, 0, moved, 0, 12);
        moved[8] = 40;
        System.arraycopy(wire, 12, moved, 40, 64);
        assertEquals(new NvspMessage.IndirectionTable(entries), NvspMessage.decode(moved, false));
    }

    /**
     * A host at NVSP 6 or older puts the table 40 bytes in and writes too small an offset (here 12, with the 28
     * bytes between zero): from such a host the guest takes the table from 40, as Linux's netvsc_send_table does.
     * From a host at 6.1 it believes the offset; a message too short to hold the table at 40 (OpenVMM's 76 bytes)
     * is read where its offset says at any version; and an offset the plain decoder refuses outright (4, inside the
     * fields) is no fault from an old host, whose table is at 40 anyway.
     */
    @Test
    void fromAHostAtNvsp6OrOlderTheSendTableIsTakenFromFortyAsLinuxDoes() throws Exception {
        List<Integer> entries = IntStream.range(0, 16).map(i -> 1 + i % 3).boxed().toList();
        byte[] wire = new NvspMessage.IndirectionTable(entries).encode();
        byte[] buggy = new byte[Nvsp.SEND_TABLE_OFFSET_UP_TO_V6 + 64];
        System.arraycopy(wire, 0, buggy, 0, 12); // offset field: 12
        System.arraycopy(wire, 12, buggy, Nvsp.SEND_TABLE_OFFSET_UP_TO_V6, 64);
        NvspMessage.IndirectionTable asWritten = new NvspMessage.IndirectionTable(
                IntStream.range(0, 16).map(i -> i < 7 ? 0 : 1 + (i - 7) % 3).boxed().toList());

        for (int old : new int[] {Nvsp.VERSION_6, Nvsp.VERSION_5}) {
            assertEquals(new NvspMessage.IndirectionTable(entries), NvspMessage.decodeInband(buggy, old));
        }
        assertEquals(asWritten, NvspMessage.decodeInband(buggy, Nvsp.VERSION_61));
        assertEquals(asWritten, NvspMessage.decode(buggy, false));
        assertEquals(new NvspMessage.IndirectionTable(entries), NvspMessage.decodeInband(wire, Nvsp.VERSION_6));

        buggy[8] = 4;
        assertEquals(NetCodecException.Malformation.INDIRECTION_OFFSET, failure(buggy, false));
        assertEquals(new NvspMessage.IndirectionTable(entries), NvspMessage.decodeInband(buggy, Nvsp.VERSION_6));
        // the count is still checked first, and any other in-band message decodes as it always does
        buggy[4] = 15;
        assertEquals(NetCodecException.Malformation.INDIRECTION_COUNT, assertThrows(NetCodecException.class,
                () -> NvspMessage.decodeInband(buggy, Nvsp.VERSION_6)).malformation());
        assertEquals(new NvspMessage.SwitchDataPath(1),
                NvspMessage.decodeInband(new NvspMessage.SwitchDataPath(1).encode(), Nvsp.VERSION_6));
    }

    private static NetCodecException.Malformation failure(byte[] wire, boolean completion) {
        return assertThrows(NetCodecException.class, () -> NvspMessage.decode(wire, completion)).malformation();
    }

    @Test
    void everyMalformationIsItsOwnErrorWithTheValues() {
        NetCodecException e = assertThrows(NetCodecException.class,
                () -> NvspMessage.decode(hex("65000000 104e0e00"), false));
        assertEquals(NetCodecException.Malformation.TRUNCATED, e.malformation());
        assertTrue(e.getMessage().contains("needs 12 bytes, the message has 8"), e.getMessage());
        assertEquals(NetCodecException.Malformation.TRUNCATED, failure(hex("0100"), false));
        NetCodecException unknown = assertThrows(NetCodecException.class,
                () -> NvspMessage.decode(hex("ffffffff 00000000"), false));
        assertTrue(unknown.getMessage().contains("4294967295"), unknown.getMessage());
        assertEquals(NetCodecException.Malformation.UNKNOWN_NVSP_TYPE, unknown.malformation());
        // Two sections claimed, room for one.
        assertEquals(NetCodecException.Malformation.SECTION_COUNT,
                failure(padded("66000000 01000000 02000000", 28), true));
        // num_sections near 2^32 must not overflow into a small number.
        assertEquals(NetCodecException.Malformation.SECTION_COUNT,
                failure(padded("66000000 01000000 00000010", 40), true));
        assertEquals(NetCodecException.Malformation.INDIRECTION_COUNT,
                failure(padded("86000000 11000000 0c000000", 80), false));
        assertEquals(NetCodecException.Malformation.INDIRECTION_OFFSET,
                failure(padded("86000000 10000000 10000000", 76), false));
        assertEquals(NetCodecException.Malformation.INDIRECTION_OFFSET,
                failure(padded("86000000 10000000 04000000", 76), false));
        assertEquals(NetCodecException.Malformation.INDIRECTION_OFFSET,
                failure(padded("86000000 10000000 fcffffff", 76), false));
    }

    @Test
    void decodingSharedMemoryChecksTheRangeAndCopiesFirst() throws Exception {
        byte[] shared = new byte[64];
        System.arraycopy(new NvspMessage.RndisPacketComplete(1).encode(), 0, shared, 16, 40);
        var segment = java.lang.foreign.MemorySegment.ofArray(shared);
        assertEquals(new NvspMessage.RndisPacketComplete(1), NvspMessage.decode(segment, 16, 40, true));
        NetCodecException e = assertThrows(NetCodecException.class, () -> NvspMessage.decode(segment, 32, 40, true));
        assertEquals(NetCodecException.Malformation.SOURCE_RANGE, e.malformation());
        assertEquals(NetCodecException.Malformation.SOURCE_RANGE,
                assertThrows(NetCodecException.class, () -> NvspMessage.decode(segment, -1, 8, true)).malformation());
        assertEquals(NetCodecException.Malformation.SOURCE_RANGE, assertThrows(NetCodecException.class,
                () -> NvspMessage.decode(segment, Long.MAX_VALUE, 8, true)).malformation());
    }

    @Test
    void versionsAndSizes() {
        assertEquals("6.1", Nvsp.versionName(Nvsp.GUEST_VERSIONS[0]));
        assertEquals("2", Nvsp.versionName(Nvsp.GUEST_VERSIONS[Nvsp.GUEST_VERSIONS.length - 1]));
        assertEquals(1, Nvsp.ndisMinorFor(Nvsp.VERSION_4));
        assertEquals(30, Nvsp.ndisMinorFor(Nvsp.VERSION_5));
        assertEquals(28, Nvsp.messageSize(Nvsp.VERSION_6));
        assertEquals(40, Nvsp.messageSize(Nvsp.VERSION_61));
    }
}
