package dev.vmbus.net;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The 802.1Q tag inline and out of band (the VLAN PPI's u32), as Linux's netvsc and OpenVMM's netvsp lay it out. */
public class VlanTest {

    /** {@code plain} with an 802.1Q tag of {@code tci} after its addresses. */
    public static byte[] tagged(byte[] plain, int tci) {
        byte[] f = new byte[plain.length + 4];
        System.arraycopy(plain, 0, f, 0, 12);
        f[12] = (byte) 0x81;
        f[14] = (byte) (tci >>> 8);
        f[15] = (byte) tci;
        System.arraycopy(plain, 12, f, 16, plain.length - 12);
        return f;
    }

    /**
     * Linux's {@code struct ndis_pkt_8021q_info} (pri:3, cfi:1, vlanid:12, low bits first) and its receive path's
     * {@code vlan_tci = vlanid | pri << VLAN_PRIO_SHIFT (13) | (cfi ? VLAN_CFI_MASK (0x1000) : 0)}.
     */
    @Test
    void theOutOfBandWordIsLinuxsBitfield() {
        for (int pri = 0; pri < 8; pri++) {
            for (int cfi = 0; cfi < 2; cfi++) {
                for (int vid : new int[] {0, 1, 100, 4094, 4095}) {
                    int word = pri | cfi << 3 | vid << 4;
                    int tci = vid | pri << 13 | (cfi == 1 ? 0x1000 : 0);
                    assertEquals(word, Vlan.ndisInfo(tci), "pri " + pri + " cfi " + cfi + " vid " + vid);
                    assertEquals(tci, Vlan.tciOf(word));
                    assertEquals(tci, Vlan.tciOf(word | 0xABCD0000), "the reserved high half is not the tag");
                }
            }
        }
    }

    @Test
    void aTagIsSeenAfterTheAddressesOnly() {
        byte[] plain = HexFormat.of().parseHex("0000000000bb0000000000aa86dd" + "60".repeat(40));
        byte[] f = tagged(plain, 0x2064);
        assertTrue(Vlan.tagged(f, 0, f.length));
        assertEquals(0x2064, Vlan.tci(f, 0));
        assertFalse(Vlan.tagged(plain, 0, plain.length));
        assertFalse(Vlan.tagged(f, 0, 17), "a tag with no type after it is a runt");
        byte[] qinq = f.clone();
        qinq[12] = (byte) 0x88;
        qinq[13] = (byte) 0xa8;
        assertFalse(Vlan.tagged(qinq, 0, qinq.length), "802.1ad (QinQ) goes as it is");
        byte[] at = new byte[f.length + 3];
        System.arraycopy(f, 0, at, 3, f.length);
        assertTrue(Vlan.tagged(at, 3, f.length));
        assertEquals(0x2064, Vlan.tci(at, 3));
    }

    @Test
    void anUntaggedFrameMayTakeFourBytesLessThanATaggedOne() {
        byte[] plain = HexFormat.of().parseHex("0000000000bb0000000000aa86dd" + "60".repeat(1500));
        byte[] tagged = tagged(plain, 100);
        assertFalse(Vlan.tooLong(plain, 0, 1514, 1518));
        assertTrue(Vlan.tooLong(plain, 0, 1515, 1518));
        assertFalse(Vlan.tooLong(tagged, 0, 1518, 1518));
        assertTrue(Vlan.tooLong(tagged, 0, 1519, 1518));
    }

    @Test
    void taggingInPlaceUsesTheFourBytesBefore() {
        byte[] plain = HexFormat.of().parseHex("0000000000bb0000000000aa86dd" + "60".repeat(40));
        byte[] room = new byte[20 + plain.length];
        Arrays.fill(room, (byte) 0x5A);
        System.arraycopy(plain, 0, room, 20, plain.length);
        int start = Vlan.tagInPlace(room, 20, plain.length, 0xE00A);
        assertEquals(16, start);
        assertArrayEquals(tagged(plain, 0xE00A), Arrays.copyOfRange(room, start, start + plain.length + 4));
        byte[] runt = new byte[16];
        assertEquals(8, Vlan.tagInPlace(runt, 8, 8, 1), "a frame without its addresses stays as it is");
    }
}
