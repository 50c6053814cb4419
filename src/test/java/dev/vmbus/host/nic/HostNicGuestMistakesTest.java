package dev.vmbus.host.nic;

import dev.vmbus.channel.EndReason;
import dev.vmbus.channel.Packet;
import dev.vmbus.net.Nvsp;
import dev.vmbus.net.NvspMessage;
import dev.vmbus.net.Rndis;
import dev.vmbus.net.RndisMessage;
import dev.vmbus.ring.PacketLayout;
import dev.vmbus.ring.PacketType;
import dev.vmbus.transport.ChannelBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

import static dev.vmbus.host.nic.NicGuest.NIC_RELID;
import static dev.vmbus.host.nic.NicGuest.TIMEOUT_S;
import static dev.vmbus.host.nic.NicGuest.assertNvsp;
import static dev.vmbus.host.nic.NicGuest.config;
import static dev.vmbus.host.nic.NicGuest.frame;
import static dev.vmbus.host.nic.NicGuest.words;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each guest mistake the simulated host's NIC checks ends only the NIC's channel, with the reason: the echo channel
 * beside it keeps answering ({@link NicGuest} plays the guest).
 */
class HostNicGuestMistakesTest {
    private NicGuest g;

    @AfterEach
    void close() throws Exception {
        if (g != null) {
            g.close();
        }
    }

    /** Checks the NIC's channel ended with {@code reason} and the echo channel still answers. */
    private void endsOnlyTheNicChannel(String reason) throws Exception {
        EndReason ended = g.guestEnded.future().await(TIMEOUT_S, TimeUnit.SECONDS);
        assertEquals(EndReason.Kind.HOST_RESCINDED, ended.kind());
        String fault = g.onHost(() -> g.nic.fault());
        assertEquals("queue 0 (relid " + NIC_RELID + "): " + reason, fault);
        assertEquals(HostNic.Phase.FAULTED, g.onHost(() -> g.nic.phase()));
        g.send(g.echo, new byte[] {1, 2, 3, 4, 5, 6, 7, 8}, 99, PacketType.DATA_INBAND, 0, null);
        Packet p = await("the echo channel's answer").atMost(TIMEOUT_S, TimeUnit.SECONDS)
                .until(g.echoed::poll, Objects::nonNull);
        assertEquals(99, p.transactionId());
    }

    /**
     * OID_QUERY_EX (NVSP 131) is an active NIC's message, answered NOT_SUPPORTED as netvsp answers it (spec §5.1
     * H4); before INIT the host accepts only INIT (H2), so there it ends the NIC's channel like any other message.
     */
    @Test
    void oidQueryExIsAnsweredNotSupportedOnceActiveAndEndsOnlyTheNicChannelBeforeInit() throws Exception {
        g = NicGuest.open(config());
        g.initialise();
        g.rndisUp(Rndis.FILTER_DIRECTED);
        g.send(g.guest, words(40, 131, Rndis.OID_GEN_LINK_SPEED), 600, PacketType.DATA_INBAND,
                PacketLayout.FLAG_COMPLETION_REQUESTED, null);
        assertNvsp(words(40, 132, Rndis.STATUS_NOT_SUPPORTED, 0), g.completion(600));
        g.close();

        g = NicGuest.open(config());
        g.send(g.guest, words(40, 131, Rndis.OID_GEN_LINK_SPEED), 601, PacketType.DATA_INBAND,
                PacketLayout.FLAG_COMPLETION_REQUESTED, null);
        endsOnlyTheNicChannel("OID_QUERY_EX while the NIC is wait init");
    }

    @Test
    void aSecondNdisConfigEndsOnlyTheNicChannel() throws Exception {
        g = NicGuest.open(config());
        g.initialise();
        g.nvsp(new NvspMessage.NdisConfig(1514, 0), false);
        endsOnlyTheNicChannel("a second NDIS_CONFIG (it is accepted once)");
    }

    @Test
    void theReceiveBufferBeforeNdisConfigEndsOnlyTheNicChannel() throws Exception {
        g = NicGuest.open(config());
        long id = g.nvsp(new NvspMessage.Init(Nvsp.VERSION_5, Nvsp.VERSION_5), true);
        assertNvsp(words(28, Nvsp.TYPE_INIT_COMPLETE, 0xFFFFFFFF, 34, Nvsp.STATUS_SUCCESS), g.completion(id));
        int gpadl = g.guestLink.buffer(ChannelBuffer.Kind.RECEIVE).orElseThrow().gpadl();
        g.nvsp(new NvspMessage.SendReceiveBuffer(gpadl, Nvsp.RECEIVE_BUFFER_ID), true);
        endsOnlyTheNicChannel("SEND_RECV_BUF before NDIS_CONFIG: the slot size needs the MTU");
    }

    @Test
    void aSectionIndexPastTheSendBufferEndsOnlyTheNicChannel() throws Exception {
        g = NicGuest.open(config());
        g.initialise();
        g.rndisUp(Rndis.FILTER_DIRECTED);
        g.send(g.guest, new NvspMessage.RndisPacket(Nvsp.CHANNEL_DATA, 10, 64).encode(), 500, PacketType.DATA_INBAND,
                PacketLayout.FLAG_COMPLETION_REQUESTED, null);
        endsOnlyTheNicChannel("NVSP 107 names send section 10; the send buffer has 10");
    }

    @Test
    void aPacketMessageWhoseFrameRunsPastItEndsOnlyTheNicChannel() throws Exception {
        g = NicGuest.open(config());
        g.initialise();
        g.rndisUp(Rndis.FILTER_DIRECTED);
        byte[] message = new RndisMessage.Packet(frame(3), List.of()).encode();
        ByteBuffer.wrap(message).order(ByteOrder.LITTLE_ENDIAN).putInt(12, 4000); // data_len past msg_len
        g.guestLink.buffer(ChannelBuffer.Kind.SEND).orElseThrow().write(0, message);
        g.send(g.guest, new NvspMessage.RndisPacket(Nvsp.CHANNEL_DATA, 0, message.length).encode(), 501,
                PacketType.DATA_INBAND, PacketLayout.FLAG_COMPLETION_REQUESTED, null);
        EndReason ended = g.guestEnded.future().await(TIMEOUT_S, TimeUnit.SECONDS);
        assertEquals(EndReason.Kind.HOST_RESCINDED, ended.kind());
        String fault = g.onHost(() -> g.nic.fault());
        assertTrue(fault.startsWith("queue 0 (relid " + NIC_RELID + "): PACKET_DATA_RANGE: PACKET_MSG data_len 4000"),
                fault);
        assertTrue(g.onHost(() -> g.nic.drivers().isEmpty()), "the faulted queue is gone");
    }

    @Test
    void anRndisPacketWithoutATransactionIdEndsOnlyTheNicChannel() throws Exception {
        g = NicGuest.open(config());
        g.initialise();
        g.rndisUp(Rndis.FILTER_DIRECTED);
        byte[] message = new RndisMessage.Packet(frame(4), List.of()).encode();
        g.guestLink.buffer(ChannelBuffer.Kind.SEND).orElseThrow().write(0, message);
        g.send(g.guest, new NvspMessage.RndisPacket(Nvsp.CHANNEL_DATA, 0, message.length).encode(), 0,
                PacketType.DATA_INBAND, 0, null);
        endsOnlyTheNicChannel("NVSP 107 without a transaction id (completion not requested)");
    }
}
