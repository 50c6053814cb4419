package dev.vmbus.device.netvsc;

import dev.vmbus.net.ForwardingPort;
import dev.vmbus.net.NullPort;
import dev.vmbus.net.Readiness;
import dev.vmbus.net.Rndis;
import dev.vmbus.net.RndisMessage;
import dev.vmbus.transport.HostTransport;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Pipe;
import java.nio.channels.SelectionKey;
import java.util.List;
import java.util.function.IntConsumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A backend whose outside has a receive mode ({@link Nic.FilterAware}, as the {@code tap} backend's TAP): once the
 * NIC is up, each change it reports on the NIC's loop becomes one RNDIS SET of OID_GEN_CURRENT_PACKET_FILTER to the
 * host, and the NIC's state shows the filter the host took; a report of the filter already set sends nothing.
 */
class NetvscFilterTest {

    /** A backend whose mode the test sets: each byte written down a pipe wakes the NIC's loop, which reads it. */
    static final class ModalPort extends ForwardingPort implements Nic.FilterAware {
        private final Pipe pipe;

        ModalPort() throws IOException {
            super(new NullPort());
            pipe = Pipe.open();
            pipe.source().configureBlocking(false);
        }

        @Override
        public void watchFilter(Readiness loop, IntConsumer changed) throws IOException {
            loop.watch(pipe.source(), SelectionKey.OP_READ, () -> {
                ByteBuffer b = ByteBuffer.allocate(16);
                try {
                    while (pipe.source().read(b) > 0) {
                        b.flip();
                        while (b.hasRemaining()) {
                            changed.accept(b.get() & 0xff);
                        }
                        b.clear();
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }

        void modes(int... filters) throws IOException {
            ByteBuffer b = ByteBuffer.allocate(filters.length);
            for (int f : filters) {
                b.put((byte) f);
            }
            pipe.sink().write(b.flip());
        }

        @Override
        public void close() {
            super.close();
            try {
                pipe.sink().close();
                pipe.source().close();
            } catch (IOException ignored) {
                // a pipe's close does not fail
            }
        }
    }

    @Test
    void theFilterFollowsTheBackendsModeOnceUp() throws Exception {
        ModalPort port = new ModalPort();
        NetvspAnswers answers = new NetvspAnswers() { };
        try (NicHost host = new NicHost(new JsonObject(), HostTransport.Buffers.UIO,
                new NetvscHandler((vertx, name, mac, mtu, maxFrame, link) -> port))) {
            assertTrue(host.bringUp(answers));
            host.awaitNic(n -> n.getString("phase").equals("up"), "up");
            int usual = Rndis.FILTER_DIRECTED | Rndis.FILTER_ALL_MULTICAST | Rndis.FILTER_BROADCAST;
            assertEquals(usual, host.nic().getInteger("packetFilter"));
            assertEquals("directed, all-multicast, broadcast", host.nic().getString("receiveMode"));

            port.modes(Rndis.FILTER_PROMISCUOUS);
            assertTrue(host.bringUp(answers), "the NIC sent no packet filter"); // answers up to the next filter
            host.awaitNic(n -> n.getInteger("packetFilter") == Rndis.FILTER_PROMISCUOUS, "the filter 0x20");
            // the usual filter again, reported twice, then promiscuous: two sets, not three
            port.modes(usual, usual);
            assertTrue(host.bringUp(answers));
            host.awaitNic(n -> n.getInteger("packetFilter") == usual, "the filter 0x0d");
            port.modes(usual, Rndis.FILTER_PROMISCUOUS);
            assertTrue(host.bringUp(answers));
            host.awaitNic(n -> n.getInteger("packetFilter") == Rndis.FILTER_PROMISCUOUS, "the filter 0x20 again");
            assertEquals("promiscuous", host.nic().getString("receiveMode"));
            // the interface down, then up: none (the host delivers nothing), then the usual filter
            port.modes(Rndis.FILTER_NONE);
            assertTrue(host.nextFilter(answers), "the NIC sent no packet filter");
            host.awaitNic(n -> n.getInteger("packetFilter") == Rndis.FILTER_NONE, "the filter 0 (down)");
            assertEquals("none", host.nic().getString("receiveMode"));
            port.modes(usual);
            assertTrue(host.bringUp(answers));
            host.awaitNic(n -> n.getInteger("packetFilter") == usual, "the filter 0x0d (up again)");
            assertEquals(List.of(0, usual, Rndis.FILTER_PROMISCUOUS, usual, Rndis.FILTER_PROMISCUOUS,
                            Rndis.FILTER_NONE, usual),
                    host.rndisSeen.stream().filter(m -> m instanceof RndisMessage.Set s
                            && s.oid() == Rndis.OID_GEN_CURRENT_PACKET_FILTER)
                            .map(m -> ByteBuffer.wrap(((RndisMessage.Set) m).info()).order(ByteOrder.LITTLE_ENDIAN)
                                    .getInt(0)).toList());
        }
    }

    /** Linux's rule: {@code rndis_set_multicast} while up, {@code rndis_filter_close_device}'s 0 while down. */
    @Test
    void linuxsRule() {
        assertEquals(0x20, NicBringUp.linuxFilter(true, true, true, true, true));
        assertEquals(0x0d, NicBringUp.linuxFilter(true, false, false, true, true));
        assertEquals(0x0d, NicBringUp.linuxFilter(true, false, true, true, false));
        assertEquals(0x09, NicBringUp.linuxFilter(true, false, false, true, false));
        assertEquals(0x01, NicBringUp.linuxFilter(true, false, false, false, false));
        assertEquals(0x00, NicBringUp.linuxFilter(false, true, true, true, true));
        assertEquals(0x00, NicBringUp.linuxFilter(false, false, false, true, true));
    }

    @Test
    void theFilterInWords() {
        assertEquals("none", Rndis.filterWords(0));
        assertEquals("directed, all-multicast, broadcast", Rndis.filterWords(0x0d));
        assertEquals("promiscuous", Rndis.filterWords(0x20));
        assertEquals("directed, multicast, 0x40000", Rndis.filterWords(0x40003));
        assertEquals("0x80000000", Rndis.filterWords(0x80000000));
    }
}
