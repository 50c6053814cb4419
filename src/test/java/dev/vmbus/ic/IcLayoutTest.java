package dev.vmbus.ic;

import dev.vmbus.ic.fcopy.FcopyMessage;
import dev.vmbus.ic.heartbeat.HeartbeatMessage;
import dev.vmbus.ic.kvp.KvpIpInfo;
import dev.vmbus.ic.kvp.KvpMessage;
import dev.vmbus.ic.kvp.KvpOperation;
import dev.vmbus.ic.kvp.KvpPool;
import dev.vmbus.ic.kvp.KvpValueType;
import dev.vmbus.ic.shutdown.ShutdownMessage;
import dev.vmbus.ic.timesync.TimesyncMessage;
import dev.vmbus.ic.vss.VssMessage;
import org.junit.jupiter.api.Test;

import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The offsets read from each message's declared layout are the ones spec ic-protocols.md gives (sections 1.3, 1.4,
 * 2.1, 3.1-3.6): a field added, dropped or resized in a layout shows up here as a wrong number.
 */
class IcLayoutTest {

    @Test
    void pipeHeaderAndIcmsgHdr() {
        assertEquals(0, IcMessage.PIPE_FLAGS);
        assertEquals(4, IcMessage.PIPE_MSGSIZE);
        assertEquals(8, IcMessage.FRAMEWORK_MAJOR);
        assertEquals(10, IcMessage.FRAMEWORK_MINOR);
        assertEquals(12, IcMessage.MSGTYPE);
        assertEquals(14, IcMessage.MESSAGE_MAJOR);
        assertEquals(16, IcMessage.MESSAGE_MINOR);
        assertEquals(18, IcMessage.MSGSIZE);
        assertEquals(20, IcMessage.STATUS);
        assertEquals(24, IcMessage.TRANSACTION_ID);
        assertEquals(25, IcMessage.FLAGS);
        assertEquals(28, IcMessage.HEADER_LENGTH);
        assertEquals(20, IcMessage.request(1, IcVersion.of(3, 0), IcVersion.of(3, 0), 0, 0).pipeMsgSize());
    }

    @Test
    void negotiationHeartbeatTimesyncShutdownVss() {
        assertEquals(28, IcNegotiation.FRAMEWORK_COUNT);
        assertEquals(30, IcNegotiation.MESSAGE_COUNT);
        assertEquals(36, IcNegotiation.VERSIONS);
        assertEquals(28, HeartbeatMessage.SEQUENCE);
        assertEquals(8, HeartbeatMessage.MIN_BODY);
        assertEquals(16, HeartbeatMessage.HOST_BODY);
        assertEquals(40, IcLayout.size(HeartbeatMessage.LAYOUT) - IcMessage.HEADER_LENGTH, "Linux's 8 + u32[8]");
        assertEquals(28, TimesyncMessage.PARENT_TIME);
        assertEquals(36, TimesyncMessage.LEGACY.at("childtime"));
        assertEquals(44, TimesyncMessage.LEGACY.at("roundtriptime"));
        assertEquals(52, TimesyncMessage.LEGACY_FLAGS);
        assertEquals(25, TimesyncMessage.LEGACY.minBody());
        assertEquals(28, TimesyncMessage.LEGACY.hostBody());
        assertEquals(36, TimesyncMessage.V4_REFERENCE_TIME);
        assertEquals(44, TimesyncMessage.V4_FLAGS);
        assertEquals(45, TimesyncMessage.V4_LEAP_FLAGS);
        assertEquals(46, TimesyncMessage.V4_STRATUM);
        assertEquals(22, TimesyncMessage.V4.minBody());
        assertEquals(24, TimesyncMessage.V4.hostBody());
        assertEquals(28, ShutdownMessage.REASON_CODE);
        assertEquals(32, ShutdownMessage.TIMEOUT_SECONDS);
        assertEquals(36, ShutdownMessage.FLAGS);
        assertEquals(40, ShutdownMessage.DISPLAY_MESSAGE);
        assertEquals(2048, ShutdownMessage.DISPLAY_MESSAGE_LENGTH);
        assertEquals(2060, ShutdownMessage.BODY_LENGTH);
        assertEquals(28, VssMessage.OPERATION);
        assertEquals(36, VssMessage.FLAGS);
        assertEquals(12, VssMessage.MIN_BODY);
        assertEquals(32, VssMessage.HOST_BODY);
    }

    @Test
    void kvp() {
        assertEquals(28, KvpMessage.OPERATION);
        assertEquals(29, KvpMessage.POOL);
        assertEquals(new KvpMessage.Exchange(32, 36, 40, 44, 556), KvpMessage.GET_SET);
        assertEquals(2604, KvpMessage.EXCHANGE_END);
        assertEquals(32, KvpMessage.DELETE_KEY_SIZE);
        assertEquals(36, KvpMessage.DELETE_KEY);
        assertEquals(548, KvpMessage.DELETE_END);
        assertEquals(32, KvpMessage.ENUM_INDEX);
        assertEquals(new KvpMessage.Exchange(36, 40, 44, 48, 560), KvpMessage.ENUMERATED);
        assertEquals(2608, KvpMessage.ENUM_END);
        assertEquals(2580, KvpMessage.REQUEST_BODY_LENGTH);
        assertEquals(30, KvpIpInfo.ADAPTER_ID);
        assertEquals(286, KvpIpInfo.ADDR_FAMILY);
        assertEquals(287, KvpIpInfo.DHCP_ENABLED);
        assertEquals(288, KvpIpInfo.IP_ADDR);
        assertEquals(2336, KvpIpInfo.SUB_NET);
        assertEquals(4384, KvpIpInfo.GATE_WAY);
        assertEquals(5408, KvpIpInfo.DNS_ADDR);
        assertEquals(7456, KvpIpInfo.END);
        assertEquals(7428, KvpIpInfo.REQUEST_BODY_LENGTH, "OpenVMM's KvpMessage2");
    }

    @Test
    void fcopy() {
        assertEquals(28, FcopyMessage.OPERATION);
        assertEquals(32, FcopyMessage.SERVICE_ID);
        assertEquals(48, FcopyMessage.SESSION_ID);
        assertEquals(64, FcopyMessage.COMMON_END);
        assertEquals(64, FcopyMessage.FILE_NAME);
        assertEquals(584, FcopyMessage.PATH_NAME);
        assertEquals(1104, FcopyMessage.COPY_FLAGS);
        assertEquals(1108, FcopyMessage.FILE_SIZE);
        assertEquals(1116, FcopyMessage.START_END);
        assertEquals(1088, FcopyMessage.START_BODY_LENGTH);
        assertEquals(68, FcopyMessage.WRITE_OFFSET);
        assertEquals(76, FcopyMessage.WRITE_SIZE);
        assertEquals(80, FcopyMessage.WRITE_DATA);
        assertEquals(6224, FcopyMessage.WRITE_END);
    }

    @Test
    void kvpEnumsCarryTheWireCodes() {
        assertEquals(Optional.of(KvpOperation.ENUMERATE), KvpOperation.of(3));
        assertEquals(5, KvpOperation.SET_IP_INFO.code());
        assertEquals(Optional.empty(), KvpOperation.of(6));
        assertEquals(Optional.of(KvpPool.AUTO_EXTERNAL), KvpPool.of(3));
        assertEquals(Optional.empty(), KvpPool.of(5));
        assertEquals(Optional.empty(), KvpPool.of(-1));
        assertEquals("autoInternal", KvpPool.AUTO_INTERNAL.label());
        assertEquals(Optional.of(KvpValueType.QWORD), KvpValueType.of(11));
        assertEquals(Optional.of(KvpValueType.U64), KvpValueType.of(8));
        assertEquals(Optional.empty(), KvpValueType.of(3));
        assertEquals(4, KvpValueType.DWORD.numberSize());
        assertEquals(8, KvpValueType.QWORD.numberSize());
        assertEquals(KvpMessage.EXCHANGE_END, KvpOperation.SET.requiredLength());
    }

    @Test
    void statusPrintsAsHexAndNamesKnownValues() {
        assertEquals("0x80004005", IcStatus.E_FAIL.toString());
        assertEquals("0x0", IcStatus.S_OK.toString());
        assertEquals("0x80070103", IcStatus.of(0x80070103).toString());
        assertEquals(IcStatus.S_CONT, IcStatus.of(0x80070103));
        assertEquals("0x1234", IcStatus.of(0x1234).toString());
        assertEquals(IcStatus.of(0x1234), new IcStatus(0x1234));
        assertEquals(true, IcStatus.of(0).isOk());
        assertEquals(false, IcStatus.E_FAIL.isOk());
    }
}
