package dev.vmbus.device.heartbeat;

import dev.vmbus.channel.DeviceClass;
import dev.vmbus.channel.Packet;
import dev.vmbus.testkit.Packets;
import dev.vmbus.testkit.ScriptedHost;
import dev.vmbus.testkit.TestAgent;
import dev.vmbus.ic.IcConstants;
import dev.vmbus.ic.IcMessage;
import dev.vmbus.ic.IcNegotiation;
import dev.vmbus.ic.IcVersion;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The heartbeat device over a real sim channel, driven through the test kit with IC messages: negotiation picks
 * Linux's versions, each heartbeat is answered with its sequence number plus one and flags 0x05, a message
 * without the sequence number and one shorter than the IC header get no reply, another type gets HV_E_FAIL.
 */
class HeartbeatDeviceTest {

    private static byte[] heartbeat(long sequence) {
        IcMessage m = Packets.ic(IcConstants.MSGTYPE_HEARTBEAT, IcVersion.of(3, 0), IcVersion.of(3, 0), 16);
        m.putU64(HeartbeatDevice.SEQUENCE, sequence);
        return m.bytes();
    }

    @Test
    void negotiatesAndAnswersEachHeartbeatAsLinux() throws Exception {
        try (TestAgent agent = TestAgent.start(new HeartbeatHandler())) {
            ScriptedHost.Channel channel = agent.open(3, DeviceClass.HEARTBEAT.classId());
            IcMessage chosen = new IcMessage(channel.exchange(
                    Packets.negotiation(List.of(IcVersion.of(1, 0), IcVersion.of(3, 0))), 1).payload());
            assertEquals(IcConstants.FLAGS_GUEST_RESPONSE, chosen.flags());
            assertEquals(IcVersion.of(3, 0), IcVersion.of(chosen.u16(IcNegotiation.VERSIONS + 4),
                    chosen.u16(IcNegotiation.VERSIONS + 6)), "the service version Linux prefers");

            byte[] request = heartbeat(41);
            Packet reply = channel.exchange(request, 2);
            byte[] expected = Packets.icEcho(Packets.padded(request)); // the ring pads to 8 bytes; Linux echoes it all
            new IcMessage(expected).putU64(HeartbeatDevice.SEQUENCE, 42);
            assertArrayEquals(expected, reply.payload());
            assertEquals(2, reply.transactionId());

            // Neither of these gets an answer: the next packet on the ring is the answer to the heartbeat after them.
            channel.send(Arrays.copyOf(request, IcMessage.HEADER_LENGTH + 4), 3).send(new byte[16], 4);
            assertEquals(5, channel.exchange(heartbeat(7), 5).transactionId());

            byte[] other = heartbeat(9);
            other[IcMessage.MSGTYPE] = IcConstants.MSGTYPE_TIMESYNC;
            assertArrayEquals(Packets.icReply(Packets.padded(other), IcConstants.E_FAIL), channel.exchange(other, 6).payload());

            JsonObject state = agent.state("heartbeat").getJsonArray("channels").getJsonObject(0);
            assertEquals(2, state.getInteger("heartbeats"));
            assertEquals("8", state.getString("lastSequence"));
            assertEquals(2, state.getInteger("dropped"));
            assertEquals("3.0", state.getString("serviceVersion"));
        }
    }
}
