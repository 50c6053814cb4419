package dev.vmbus.device.netvsc;

import dev.vmbus.net.FramePort;
import dev.vmbus.net.Nvsp;
import dev.vmbus.net.RndisMessage;
import dev.vmbus.transport.HostTransport;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A NIC closes on its primary channel's context, where its backend's frames arrive and its bring-up installs the
 * backend, not on the device's, which learns of the channel's end (or stops) on its own thread. The tests below
 * hold the NIC's context at the one place where a close from the device's thread went wrong: between bring-up's
 * check that the NIC is not closed and its installing the backend ({@link GatedPort#startBursts}). A close on the
 * device's thread then found no backend to close, and bring-up installed it afterwards: the backend (a TAP) stayed
 * open after the agent stopped.
 */
class NetvscCloseTest {

    /** A backend that notes the threads it starts, gets frames and closes on; its start may wait for a gate. */
    static final class GatedPort implements FramePort {
        final Promise<String> starting = Promise.promise();
        final Promise<String> fromHost = Promise.promise();
        final Promise<String> closed = Promise.promise();
        final Future<Void> gate;

        GatedPort(Future<Void> gate) {
            this.gate = gate;
        }

        @Override
        public void startBursts(Executor deliver, Receiver toNic) throws java.io.IOException {
            starting.tryComplete(Thread.currentThread().getName());
            try {
                // holds the NIC's context (this is its thread) until the gate opens
                await("the test's gate").atMost(10, TimeUnit.SECONDS).until(gate::isComplete);
            } catch (ConditionTimeoutException e) {
                throw new java.io.IOException("the test's gate stayed shut for 10 s", e);
            }
        }

        @Override
        public boolean send(byte[] frame, int offset, int length) {
            fromHost.tryComplete(Thread.currentThread().getName());
            return true;
        }

        @Override
        public void pause() {
        }

        @Override
        public void resume() {
        }

        @Override
        public Stats stats() {
            return new Stats(0, 0, 0, 0, 0, 0);
        }

        @Override
        public void close() {
            closed.tryComplete(Thread.currentThread().getName());
        }
    }

    /**
     * The guest closes the NIC's channel in order (the agent stops): first, as Linux's netvsc before its close
     * ({@code rndis_filter_device_remove}, {@code netvsc_device_remove}), RNDIS HALT, then NVSP REVOKE_RECV_BUF
     * (0xCAFE) and REVOKE_SEND_BUF (0xFACE), in-band and asking no completion; then the channel closes.
     */
    @Test
    void anOrderlyCloseHaltsRndisAndRevokesBothBuffersFirst() throws Exception {
        try (NicHost host = NicHost.start()) {
            assertTrue(host.bringUp(new NetvspAnswers() { }));
            host.awaitNic(n -> n.getString("phase").equals("up"), "up");
            Future<Void> closed = host.guest.closeChannels();
            dev.vmbus.channel.Packet halt = nextRequest(host);
            assertEquals(dev.vmbus.ring.PacketType.DATA_USING_GPA_DIRECT, halt.type());
            assertEquals(new RndisMessage.Halt(7), host.rndisOf(halt), "the request after bring-up's 6");
            dev.vmbus.channel.Packet revokeReceive = nextRequest(host);
            assertEquals(new dev.vmbus.net.NvspMessage.RevokeReceiveBuffer(0xCAFE), NicHost.nvsp(revokeReceive));
            assertEquals(0, revokeReceive.flags(), "no completion asked");
            dev.vmbus.channel.Packet revokeSend = nextRequest(host);
            assertEquals(new dev.vmbus.net.NvspMessage.RevokeSendBuffer(0xFACE), NicHost.nvsp(revokeSend));
            assertEquals(0, revokeSend.flags(), "no completion asked");
            closed.await(10, TimeUnit.SECONDS);
            dev.vmbus.bus.ChannelEvent end = await("the channel's end").atMost(10, TimeUnit.SECONDS)
                    .until(host::ended, java.util.Objects::nonNull);
            assertEquals(dev.vmbus.channel.ChannelState.CLOSED, end.state(), end.toString());
        }
    }

    /** The guest's next packet that is not a receive completion. */
    private static dev.vmbus.channel.Packet nextRequest(NicHost host) {
        while (true) {
            dev.vmbus.channel.Packet p = host.next();
            if (!p.isCompletion()) {
                return p;
            }
        }
    }

    /** The host rescinds the NIC's channel: the backend is closed on the thread that handed it the host's frames. */
    @Test
    void aRescindedNicClosesItsBackendOnItsChannelsThread() throws Exception {
        GatedPort port = new GatedPort(Future.succeededFuture());
        Promise<String> deviceThread = Promise.promise();
        NetvscHandler netvsc = new NetvscHandler((vertx, name, mac, mtu, maxFrame, link) -> port);
        try (NicHost host = new NicHost(new JsonObject(), HostTransport.Buffers.UIO, new WrappedNetvsc(netvsc, p -> {
            deviceThread.tryComplete(Thread.currentThread().getName());
            return p;
        }, () -> { }))) {
            assertTrue(host.bringUp(new NetvspAnswers() { }));
            host.awaitNic(n -> n.getString("phase").equals("up"), "up");
            host.deliver(List.of(new RndisMessage.Packet(NetvscDataTest.frame(60, 1), List.of()).encode()),
                    Nvsp.CHANNEL_DATA);
            String channelThread = port.fromHost.future().await(10, TimeUnit.SECONDS);
            assertNotEquals(deviceThread.future().await(10, TimeUnit.SECONDS), channelThread,
                    "the device and the NIC's channel share a thread: this test would show nothing");

            host.rescind(NicHost.RELID);
            assertEquals(channelThread, port.closed.future().await(10, TimeUnit.SECONDS),
                    "the backend was closed off the thread that hands it the host's frames");
        }
    }

    /**
     * The agent stops while the NIC's backend is starting: the device's stop returns while bring-up is still to
     * install the backend; the close comes after that on the NIC's context, and closes it.
     */
    @Test
    void aBackendStillStartingWhenTheAgentStopsIsClosed() throws Exception {
        Promise<Void> stopped = Promise.promise();
        GatedPort port = new GatedPort(stopped.future());
        Promise<String> deviceThread = Promise.promise();
        NetvscHandler netvsc = new NetvscHandler((vertx, name, mac, mtu, maxFrame, link) -> port);
        NicHost host = new NicHost(new JsonObject(), HostTransport.Buffers.UIO, new WrappedNetvsc(netvsc, p -> {
            deviceThread.tryComplete(Thread.currentThread().getName());
            return p;
        }, stopped::tryComplete));
        String channelThread;
        try {
            // the gate holds the NIC's thread from the backend's start on, so the guest's completion of the last
            // answer may wait behind it: not waited for here (waiting for it failed 2 runs in 5)
            assertTrue(host.bringUpUnsettled(new NetvspAnswers() { }));
            channelThread = port.starting.future().await(10, TimeUnit.SECONDS);
            assertNotEquals(deviceThread.future().await(10, TimeUnit.SECONDS), channelThread,
                    "the device and the NIC's channel share a thread: this test would show nothing");
        } finally {
            host.close(); // the device stops (and opens the gate) while the backend's start waits at it
        }
        assertTrue(stopped.future().isComplete(), "the device did not stop");
        assertEquals(channelThread, port.closed.future().await(10, TimeUnit.SECONDS),
                "the backend installed after the device stopped was not closed on the NIC's thread");
    }
}
