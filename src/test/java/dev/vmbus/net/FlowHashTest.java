package dev.vmbus.net;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** A frame's flow hash, of a whole array and of the frame at the start of a longer (reused) one. */
class FlowHashTest {
    /** An IPv6 TCP frame from fe80::a port 5201 to fe80::b port 40000 (Ethernet, IPv6 and the ports). */
    private static byte[] tcp6(int sourcePort) {
        return HexFormat.of().parseHex("0000000000bb 0000000000aa 86dd 60000000 0014 06 40".replace(" ", "")
                + "fe80000000000000000000000000000a" + "fe80000000000000000000000000000b"
                + String.format("%04x", sourcePort) + "9c40" + "00".repeat(16));
    }

    @Test
    void aFrameAtTheStartOfALongerArrayHashesAsTheFrameAlone() {
        for (byte[] frame : new byte[][] {tcp6(5201), tcp6(5202), new byte[10], new byte[14], new byte[60]}) {
            byte[] reused = Arrays.copyOf(frame, frame.length + 100);
            Arrays.fill(reused, frame.length, reused.length, (byte) 0x5A); // what the array held before
            assertEquals(FlowHash.of(frame), FlowHash.of(reused, frame.length), "a frame of " + frame.length);
        }
        assertThrows(IndexOutOfBoundsException.class, () -> FlowHash.of(new byte[10], 11));
    }

    @Test
    void theFlowsPortsAndAddressesAreWhatIsHashed() {
        assertEquals(FlowHash.of(tcp6(5201)), FlowHash.of(tcp6(5201)));
        assertNotEquals(FlowHash.of(tcp6(5201)), FlowHash.of(tcp6(5202)), "another source port, another flow");
        byte[] payload = tcp6(5201);
        payload[payload.length - 1] = 1;
        assertEquals(FlowHash.of(tcp6(5201)), FlowHash.of(payload), "the payload is not the flow");
    }

    /** A frame through a VLAN interface hashes as its flow: the tag's VLAN and priority are not the flow. */
    @Test
    void aTaggedFrameHashesAsTheFlowItCarries() {
        byte[] plain = tcp6(5201);
        byte[] tagged = VlanTest.tagged(plain, 0x2064); // priority 1, VLAN 100
        assertEquals(FlowHash.of(plain), FlowHash.of(tagged));
        assertEquals(FlowHash.of(tagged), FlowHash.of(VlanTest.tagged(plain, 0x0065)));
        assertNotEquals(FlowHash.of(tagged), FlowHash.of(VlanTest.tagged(tcp6(5202), 0x2064)));
    }
}
