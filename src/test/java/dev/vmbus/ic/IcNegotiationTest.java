package dev.vmbus.ic;

import org.junit.jupiter.api.Test;

import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Version negotiation bytes against spec ic-protocols.md section 2 (Linux's vmbus_prep_negotiate_resp). */
class IcNegotiationTest {
    private static final HexFormat HEX = HexFormat.of();
    private static final List<IcVersion> LINUX_FW = List.of(IcVersion.of(3, 0), IcVersion.of(1, 0));
    private static final List<IcVersion> LINUX_TIMESYNC = List.of(IcVersion.of(4, 0), IcVersion.of(3, 0), IcVersion.of(1, 0));

    /** The spec's OpenVMM timesync request: pipe {1,40}, header versions 0, flags 3, fw [1.0, 3.0], service [4.0]. */
    private static final String SPEC_REQUEST = "01000000" + "28000000"
            + "00000000" + "0000" + "00000000" + "1400" + "00000000" + "00" + "03" + "0000"
            + "0200" + "0100" + "00000000" + "01000000" + "03000000" + "04000000";
    /** The spec's Linux reply to it (the last four bytes are stale leftovers of the host's list). */
    private static final String SPEC_REPLY = "01000000" + "28000000"
            + "00000000" + "0000" + "00000000" + "1000" + "00000000" + "00" + "05" + "0000"
            + "0100" + "0100" + "00000000" + "03000000" + "04000000" + "04000000";

    @Test
    void theHostRequestIsTheSpecExampleByteForByte() {
        IcMessage request = IcNegotiation.request(List.of(IcVersion.of(1, 0), IcVersion.of(3, 0)), List.of(IcVersion.of(4, 0)));
        assertEquals(SPEC_REQUEST, HEX.formatHex(request.bytes()));
        assertEquals(48, request.length(), "16-byte descriptor + 48 = len8 8");
    }

    @Test
    void theGuestReplyIsLinuxsByteForByte() {
        IcMessage m = new IcMessage(HEX.parseHex(SPEC_REQUEST));
        Optional<IcNegotiation.Negotiated> chosen = IcNegotiation.answer(m, LINUX_FW, LINUX_TIMESYNC);
        m.flags(IcConstants.FLAGS_GUEST_RESPONSE);
        assertEquals(SPEC_REPLY, HEX.formatHex(m.bytes()));
        assertEquals(new IcNegotiation.Negotiated(IcVersion.of(3, 0), IcVersion.of(4, 0)), chosen.orElseThrow());
        assertEquals(chosen, IcNegotiation.parseReply(m), "the host reads back what the guest chose");
    }

    @Test
    void noCommonFrameworkWritesCountsZeroAndLinuxsPlaceholders() {
        IcMessage m = IcNegotiation.request(List.of(IcVersion.of(2, 0)), List.of(IcVersion.of(4, 0), IcVersion.of(5, 0)));
        m.status(IcStatus.of(0x1234));
        assertTrue(IcNegotiation.answer(m, LINUX_FW, LINUX_TIMESYNC).isEmpty());
        assertEquals(0, m.u16(IcNegotiation.FRAMEWORK_COUNT));
        assertEquals(0, m.u16(IcNegotiation.MESSAGE_COUNT));
        assertEquals(IcVersion.of(1, 0), IcNegotiation.version(m, IcNegotiation.VERSIONS), "{N,0}");
        assertEquals(IcVersion.of(2, 0), IcNegotiation.version(m, IcNegotiation.VERSIONS + 4), "{M,0}");
        assertEquals(16, m.msgSize());
        assertEquals(0x1234, m.status().value(), "status is never touched");
        assertTrue(IcNegotiation.parseReply(m).isEmpty());
    }

    @Test
    void noCommonServiceVersionKeepsTheChosenFramework() {
        IcMessage m = IcNegotiation.request(List.of(IcVersion.of(1, 0), IcVersion.of(3, 0)), List.of(IcVersion.of(9, 9)));
        assertTrue(IcNegotiation.answer(m, LINUX_FW, LINUX_TIMESYNC).isEmpty());
        assertEquals(IcVersion.of(3, 0), IcNegotiation.version(m, IcNegotiation.VERSIONS));
        assertEquals(IcVersion.of(1, 0), IcNegotiation.version(m, IcNegotiation.VERSIONS + 4), "{M,0} with M = 1");
    }

    @Test
    void aMessageShorterThanThirtyTwoBytesIsLeftUntouched() {
        byte[] bytes = HEX.parseHex(SPEC_REQUEST.substring(0, 2 * 30));
        byte[] before = bytes.clone();
        assertTrue(IcNegotiation.answer(new IcMessage(bytes), LINUX_FW, LINUX_TIMESYNC).isEmpty());
        assertArrayEquals(before, bytes);
    }

    @Test
    void countsOverOneHundredAreNoMatch() {
        IcMessage m = new IcMessage(HEX.parseHex(SPEC_REQUEST));
        m.putU16(IcNegotiation.FRAMEWORK_COUNT, 101);
        assertTrue(IcNegotiation.answer(m, LINUX_FW, LINUX_TIMESYNC).isEmpty());
        assertEquals(0, m.u16(IcNegotiation.FRAMEWORK_COUNT));
        assertEquals(IcVersion.of(101, 0), IcNegotiation.version(m, IcNegotiation.VERSIONS));

        IcMessage m2 = new IcMessage(HEX.parseHex(SPEC_REQUEST));
        m2.putU16(IcNegotiation.MESSAGE_COUNT, 200);
        assertTrue(IcNegotiation.answer(m2, LINUX_FW, LINUX_TIMESYNC).isEmpty());
        assertEquals(IcVersion.of(200, 0), IcNegotiation.version(m2, IcNegotiation.VERSIONS + 4));
    }

    @Test
    void listsLongerThanTheMessageAreNoMatchAndNothingIsReadPastIt() {
        IcMessage m = new IcMessage(HEX.parseHex(SPEC_REQUEST));
        m.putU16(IcNegotiation.MESSAGE_COUNT, 3); // 36 + 4 * 5 = 56 > 48
        assertTrue(IcNegotiation.answer(m, LINUX_FW, LINUX_TIMESYNC).isEmpty());
        assertEquals(0, m.u16(IcNegotiation.MESSAGE_COUNT));
    }

    @Test
    void theGuestsPreferenceOrderWinsOverTheHostsOrder() {
        IcMessage m = IcNegotiation.request(List.of(IcVersion.of(1, 0), IcVersion.of(3, 0)),
                List.of(IcVersion.of(1, 0), IcVersion.of(3, 0), IcVersion.of(4, 0)));
        assertEquals(IcVersion.of(4, 0), IcNegotiation.answer(m, LINUX_FW, LINUX_TIMESYNC).orElseThrow().message());
    }
}
