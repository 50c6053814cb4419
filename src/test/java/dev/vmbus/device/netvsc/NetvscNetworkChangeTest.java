package dev.vmbus.device.netvsc;

import dev.vmbus.channel.Packet;
import dev.vmbus.net.ForwardingPort;
import dev.vmbus.net.NullPort;
import dev.vmbus.net.Nvsp;
import dev.vmbus.net.NvspMessage;
import dev.vmbus.net.Rndis;
import dev.vmbus.net.RndisMessage;
import dev.vmbus.ring.PacketType;
import dev.vmbus.transport.ChannelBuffer;
import dev.vmbus.transport.HostTransport;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The host's RNDIS NETWORK_CHANGE, as Linux's {@code netvsc_link_change} answers it: while the link is up, the
 * backend's link goes down and, {@link NicReceive#NETWORK_CHANGE_MS} later, up again, so a DHCP client or router
 * discovery on it starts over; one bounce at a time; nothing while the link is down; a MEDIA_DISCONNECT during the
 * bounce keeps it down. And a MEDIA_CONNECT while the link is up (the host moved the VM), which Linux answers by
 * notifying its peers: the NIC announces its MAC.
 */
class NetvscNetworkChangeTest {

    /** A backend that records each link change the NIC gives it. */
    static final class LinkPort extends ForwardingPort implements Nic.LinkAware {
        final List<Boolean> links = new CopyOnWriteArrayList<>();

        LinkPort() {
            super(new NullPort());
        }

        @Override
        public void link(boolean up) {
            links.add(up);
        }
    }

    @Test
    void aConnectWhileTheLinkIsUpAnnouncesTheMacAsAfterAMigration() throws Exception {
        try (NicHost host = new NicHost(new JsonObject(), HostTransport.Buffers.UIO)) {
            assertTrue(host.bringUp(new NetvspAnswers() { }));
            host.awaitNic(n -> n.getString("phase").equals("up") && n.getString("link").equals("up"), "up");
            status(host, Rndis.STATUS_MEDIA_CONNECT);
            // a broadcast RARP request from the NIC's MAC, as QEMU announces a migrated guest, padded to 60 bytes
            byte[] expected = new byte[60];
            java.util.Arrays.fill(expected, 0, 6, (byte) 0xff);
            System.arraycopy(NicHost.MAC, 0, expected, 6, 6);
            byte[] rarp = {(byte) 0x80, 0x35, 0, 1, 8, 0, 6, 4, 0, 3};
            System.arraycopy(rarp, 0, expected, 12, rarp.length);
            System.arraycopy(NicHost.MAC, 0, expected, 22, 6);
            System.arraycopy(NicHost.MAC, 0, expected, 32, 6);
            assertArrayEquals(expected, nextFrameToHost(host));
            host.awaitNic(n -> n.getLong("announcements") == 1, "one announcement");

            // a connect that raises the link is no move: Linux only turns its carrier on; the next one announces
            status(host, Rndis.STATUS_MEDIA_DISCONNECT);
            host.awaitNic(n -> n.getString("link").equals("down"), "link down");
            status(host, Rndis.STATUS_MEDIA_CONNECT);
            status(host, Rndis.STATUS_LINK_SPEED_CHANGE); // counted once the connect before it was handled
            JsonObject nic = host.awaitNic(n -> n.getLong("statusIndications") == 4, "four indications");
            assertEquals("up", nic.getString("link"));
            assertEquals(1, nic.getLong("announcements"), nic.encode());
            status(host, Rndis.STATUS_MEDIA_CONNECT);
            assertArrayEquals(expected, nextFrameToHost(host));
            host.awaitNic(n -> n.getLong("announcements") == 2, "a second announcement");
        }
    }

    /** The next frame the guest sends the host, read from its send section. */
    private static byte[] nextFrameToHost(NicHost host) throws Exception {
        while (true) {
            Packet p = host.next();
            if (p.type() == PacketType.DATA_INBAND && NicHost.nvsp(p) instanceof NvspMessage.RndisPacket m
                    && m.channelType() == Nvsp.CHANNEL_DATA) {
                return ((RndisMessage.Packet) RndisMessage.decode(host.buffer(ChannelBuffer.Kind.SEND)
                        .read((long) m.sectionIndex() * NicHost.SECTION, m.sectionSize()))).frame();
            }
        }
    }

    private static void status(NicHost host, int status) throws Exception {
        host.deliver(List.of(new RndisMessage.IndicateStatus(status, new byte[0]).encode()), Nvsp.CHANNEL_CONTROL);
    }

    @Test
    void theLinkGoesDownAndUpAgainOncePerChange() throws Exception {
        LinkPort port = new LinkPort();
        try (NicHost host = new NicHost(new JsonObject(), HostTransport.Buffers.UIO,
                new NetvscHandler((vertx, name, mac, mtu, maxFrame, link) -> port))) {
            assertTrue(host.bringUp(new NetvspAnswers() { }));
            host.awaitNic(n -> n.getString("phase").equals("up"), "up");
            assertEquals(List.of(), port.links);

            status(host, Rndis.STATUS_NETWORK_CHANGE);
            status(host, Rndis.STATUS_NETWORK_CHANGE); // inside the bounce: counted, no second bounce
            host.awaitNic(n -> n.getLong("networkChanges") == 2, "two network changes");
            await("the link up again").atMost(10, TimeUnit.SECONDS).until(() -> port.links.size() >= 2);
            assertEquals(List.of(false, true), port.links);
            assertEquals("up", host.nic().getString("link"), "the host's link never went down");

            // down from the host during a bounce: the bounce's end leaves it down; the host's connect raises it
            status(host, Rndis.STATUS_NETWORK_CHANGE);
            status(host, Rndis.STATUS_MEDIA_DISCONNECT);
            host.awaitNic(n -> n.getString("link").equals("down"), "link down");
            // a change while the link is down: nothing to restart
            status(host, Rndis.STATUS_NETWORK_CHANGE);
            host.awaitNic(n -> n.getLong("networkChanges") == 4, "four network changes");
            await("the bounce's end").pollDelay(NicReceive.NETWORK_CHANGE_MS + 500, TimeUnit.MILLISECONDS)
                    .atMost(10, TimeUnit.SECONDS).until(() -> true);
            assertEquals(List.of(false, true, false, false), port.links);
            status(host, Rndis.STATUS_MEDIA_CONNECT);
            await("the link up").atMost(10, TimeUnit.SECONDS).until(() -> port.links.size() >= 5);
            assertEquals(List.of(false, true, false, false, true), port.links);
        }
    }
}
