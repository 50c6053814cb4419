package dev.vmbus.host.nic;

import dev.vmbus.channel.Packet;
import dev.vmbus.config.VmbusConfig;
import dev.vmbus.net.NetCodecException;
import dev.vmbus.net.Nvsp;
import dev.vmbus.net.NvspMessage;
import dev.vmbus.net.Rndis;
import dev.vmbus.net.RndisMessage;
import dev.vmbus.ring.PacketType;
import dev.vmbus.ring.TransferPageRanges;
import dev.vmbus.transport.ChannelBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;

import static dev.vmbus.host.nic.NicGuest.RECEIVE_BYTES;
import static dev.vmbus.host.nic.NicGuest.assertNvsp;
import static dev.vmbus.host.nic.NicGuest.config;
import static dev.vmbus.host.nic.NicGuest.frame;
import static dev.vmbus.host.nic.NicGuest.words;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The simulated host's NIC fault knobs ({@code host.nic.faults}) each break what a guest checks, seen from the guest
 * ({@link NicGuest}) byte by byte: each answer is broken the way the knob says.
 */
class HostNicFaultKnobsTest {
    private NicGuest g;

    @AfterEach
    void close() throws Exception {
        if (g != null) {
            g.close();
        }
    }

    @Test
    void theInitKnobsBreakWhatTheGuestChecks() throws Exception {
        g = NicGuest.open(config().withFaults(VmbusConfig.NicFaults.NONE.with("failInit", true)));
        long id = g.nvsp(new NvspMessage.Init(Nvsp.VERSION_61, Nvsp.VERSION_61), true);
        assertNvsp(words(40, Nvsp.TYPE_INIT_COMPLETE, 0xFFFFFFFF, 34, Nvsp.STATUS_FAIL), g.completion(id));
        g.hostContext.runOnContext(v -> g.nic.faults(VmbusConfig.NicFaults.NONE.with("nvspGarbage", true)));
        id = g.nvsp(new NvspMessage.Init(Nvsp.VERSION_6, Nvsp.VERSION_6), true);
        byte[] garbage = g.completion(id);
        assertEquals(HostNic.GARBAGE_NVSP_TYPE, ByteBuffer.wrap(garbage).order(ByteOrder.LITTLE_ENDIAN).getInt(0));
    }

    @Test
    void theBufferKnobsBreakWhatTheGuestChecks() throws Exception {
        g = NicGuest.open(config().withFaults(VmbusConfig.NicFaults.NONE.with("twoReceiveSections", true)
                .with("zeroSectionSize", true)));
        long id = g.nvsp(new NvspMessage.Init(Nvsp.VERSION_61, Nvsp.VERSION_61), true);
        g.completion(id);
        g.nvsp(new NvspMessage.NdisConfig(1514, 0), false);
        g.nvsp(new NvspMessage.NdisVersion(6, 30), false);
        id = g.nvsp(new NvspMessage.SendReceiveBuffer(g.guestLink.buffer(ChannelBuffer.Kind.RECEIVE).orElseThrow().gpadl(),
                Nvsp.RECEIVE_BUFFER_ID), true);
        NvspMessage.ReceiveBufferComplete r = assertInstanceOf(NvspMessage.ReceiveBufferComplete.class,
                NvspMessage.decode(g.completion(id), true));
        assertEquals(2, r.sections().size(), "nsect != 1");
        id = g.nvsp(new NvspMessage.SendSendBuffer(g.guestLink.buffer(ChannelBuffer.Kind.SEND).orElseThrow().gpadl(), 0),
                true);
        assertNvsp(words(40, Nvsp.TYPE_SEND_SEND_BUF_COMPLETE, Nvsp.STATUS_SUCCESS, 0), g.completion(id));
    }

    @Test
    void theReceiveKnobsBreakWhatTheGuestChecks() throws Exception {
        g = NicGuest.open(config());
        g.initialise();
        g.rndisUp(Rndis.FILTER_DIRECTED);
        g.hostContext.runOnContext(v -> g.nic.faults(VmbusConfig.NicFaults.NONE.with("wrongPageSetId", true)
                .with("rangePastBuffer", true).with("transactionIdPastSlots", true)
                .with("withholdCompletions", true)));
        g.sendFrame(0, frame(5));
        Packet p = g.next(); // no completion for the guest's packet: the looped frame is what comes
        assertEquals(PacketType.DATA_USING_XFER_PAGES, p.type());
        assertEquals(Nvsp.RECEIVE_BUFFER_ID ^ 0x5A5A, p.transferPages().pageSetId());
        assertEquals(RECEIVE_BYTES, Integer.toUnsignedLong(p.transferPages().byteOffset(0)));
        assertEquals(73, p.transactionId(), "past the 72 slots");
        await("no completion of the guest's packet (it must not be completed after all)")
                .during(200, TimeUnit.MILLISECONDS).atMost(5, TimeUnit.SECONDS).until(g.received::isEmpty);
    }

    @Test
    void theRndisGarbageKnobSendsAnInitializeAnswerThatRunsPastItsRange() throws Exception {
        g = NicGuest.open(config().withFaults(VmbusConfig.NicFaults.NONE.with("rndisGarbage", true)));
        g.initialise();
        long id = g.control(new RndisMessage.InitializeRequest(7, 1, 0, 0x4000));
        g.completion(id);
        Packet p = g.next();
        TransferPageRanges ranges = p.transferPages();
        byte[] bytes = g.guestLink.buffer(ChannelBuffer.Kind.RECEIVE).orElseThrow()
                .read(Integer.toUnsignedLong(ranges.byteOffset(0)), ranges.byteCount(0));
        NetCodecException e = assertThrows(NetCodecException.class, () -> RndisMessage.decode(bytes));
        assertEquals(NetCodecException.Malformation.RNDIS_LENGTH, e.malformation());
    }

    @Test
    void theSmallerGrantKnobGrantsOneSubchannelFewer() throws Exception {
        g = NicGuest.open(config().withQueues(4).withFaults(VmbusConfig.NicFaults.NONE.with("smallerGrant", true)));
        g.initialise();
        g.rndisUp(Rndis.FILTER_DIRECTED);
        long id = g.nvsp(new NvspMessage.SubchannelRequest(Nvsp.SUBCHANNEL_ALLOCATE, 3), true);
        assertNvsp(words(40, Nvsp.TYPE_SUBCHANNEL, Nvsp.STATUS_SUCCESS, 2), g.completion(id));
    }
}
