package dev.vmbus.net;

import dev.vmbus.os.Posix;
import dev.vmbus.os.TapTest;
import dev.vmbus.bench.Netns;
import dev.vmbus.runtime.LoopReadiness;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.InetAddress;
import java.util.Arrays;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A {@link TapPort} on a TAP in a network namespace this test creates and deletes, its address fe80::1: frames
 * sent through the port reach the kernel's IPv6 stack, and the kernel's answers come back through the port's
 * reader on the executor it was given, or read on a Vert.x event loop given as {@link Readiness} and handed over in
 * its context, one fresh array per frame; paused, the port hands over nothing until
 * resumed; frames the kernel cannot take (the link down) and frames too long are dropped and counted; close ends
 * the reader. Needs root.
 */
class TapPortTest {
    private static final byte[] TAP_MAC = {0x02, 0x00, 0x5e, 0x10, 0x01, 0x01};
    private static final byte[] PEER_MAC = {0x02, 0x00, 0x5e, 0x10, 0x01, 0x02};
    private static final int ETH_IPV6 = 14 + 40;

    @ParameterizedTest(name = "read on the NIC''s event loop: {0}")
    @ValueSource(booleans = {false, true})
    void framesFlowBothWaysThroughThePort(boolean onLoop) throws Exception {
        Assumptions.assumeTrue(Posix.geteuid() == 0, "skipped: creating a network namespace and a TAP needs root");
        ExecutorService nic = Executors.newSingleThreadExecutor(r -> new Thread(r, "test-nic"));
        Vertx vertx = onLoop ? Vertx.vertx() : null;
        Context loop = onLoop ? vertx.getOrCreateContext() : null;
        AtomicReference<Thread> deliveredOn = new AtomicReference<>();
        AtomicReference<Context> deliveredIn = new AtomicReference<>();
        Queue<byte[]> received = new ConcurrentLinkedQueue<>();
        try (Netns ns = Netns.create("tapport")) {
            TapPort port = TapPort.open(ns.path(), "vmbport0", TapPort.largestFrame(1500));
            try {
                port.tap().mac(TAP_MAC);
                port.tap().mtu(1500);
                ns.ip("addr", "add", "fe80::1/64", "dev", "vmbport0", "nodad");
                port.tap().up(true);
                FramePort.Receiver toNic = (frame, length, more) -> {
                    deliveredOn.set(Thread.currentThread());
                    deliveredIn.set(Vertx.currentContext());
                    received.add(java.util.Arrays.copyOf(frame, length)); // the port's array only for the call
                };
                port.startBursts(nic, onLoop ? LoopReadiness.of(loop) : null, toNic);
                assertEquals(onLoop, port.readsOnLoop());
                assertThrows(IllegalStateException.class, () -> port.start(nic, f -> { }), "start is called once");

                byte[] tapIp = InetAddress.getByName("fe80::1").getAddress();
                byte[] peerIp = InetAddress.getByName("fe80::2").getAddress();
                // Neighbour solicitation for fe80::1 from PEER_MAC: the kernel answers with an advertisement.
                byte[] solicitation = new byte[32];
                solicitation[0] = (byte) 135;
                System.arraycopy(tapIp, 0, solicitation, 8, 16);
                solicitation[24] = 1;
                solicitation[25] = 1;
                System.arraycopy(PEER_MAC, 0, solicitation, 26, 6);
                byte[] nsFrame = TapTest.frame(TAP_MAC, PEER_MAC, peerIp, tapIp, 255, solicitation);
                // sent from the middle of a larger array: only offset..offset+length goes out
                byte[] padded = new byte[nsFrame.length + 20];
                System.arraycopy(nsFrame, 0, padded, 7, nsFrame.length);
                // The kernel finishes bringing the link up from a workqueue, late on a loaded machine, and answers
                // nothing meanwhile: solicit again each second, as neighbour discovery does, at most ten times.
                byte[] na = null;
                int solicitations = 0;
                for (; solicitations < 10 && na == null; solicitations++) {
                    assertTrue(port.send(padded, 7, nsFrame.length));
                    na = awaitIcmp(received, 136, 1);
                }
                assertNotNull(na, "no neighbour advertisement through the port after 10 solicitations");
                assertArrayEquals(tapIp, Arrays.copyOfRange(na, ETH_IPV6 + 8, ETH_IPV6 + 24));
                assertArrayEquals(PEER_MAC, Arrays.copyOfRange(na, 0, 6));
                if (onLoop) {
                    assertSame(loop, deliveredIn.get(), "frames are read and handed over in the NIC's context");
                    assertNull(threadNamed("tap-reader-vmbport0"), "no reader thread on the loop");
                } else {
                    assertEquals("test-nic", deliveredOn.get().getName(), "frames reach the NIC through its executor");
                }

                // Paused: the kernel's echo reply waits in the TAP's queue until resume.
                port.pause();
                Thread.sleep(2 * TapPort.POLL_MILLIS); // pacing: let a poll in progress end (nothing shows it)
                received.clear();
                byte[] echo = {(byte) 128, 0, 0, 0, 0x43, 0x21, 0, 1, 't', 'a', 'p', 'p', 'o', 'r', 't', '!'};
                byte[] request = TapTest.frame(TAP_MAC, PEER_MAC, peerIp, tapIp, 64, echo);
                assertTrue(port.send(request, 0, request.length));
                await("nothing while paused").during(3 * TapPort.POLL_MILLIS, TimeUnit.MILLISECONDS)
                        .atMost(5, TimeUnit.SECONDS).until(received::isEmpty);
                long inWhilePaused = port.stats().framesIn();
                port.resume();
                byte[] reply = awaitIcmp(received, 129, 10);
                assertNotNull(reply, "no echo reply through the port");
                assertArrayEquals(Arrays.copyOfRange(echo, 4, echo.length),
                        Arrays.copyOfRange(reply, ETH_IPV6 + 4, ETH_IPV6 + echo.length));
                assertTrue(port.stats().framesIn() > inWhilePaused);

                // Too long for the port, and the link down (the kernel refuses with EIO): dropped and counted.
                FramePort.Stats before = port.stats();
                assertFalse(port.send(new byte[port.maxFrame() + 1], 0, port.maxFrame() + 1));
                // untagged, the MTU's frame is 4 bytes shorter: the last 4 bytes are an 802.1Q tag's only
                assertFalse(port.send(new byte[port.maxFrame() - 3], 0, port.maxFrame() - 3));
                port.tap().up(false);
                assertFalse(port.send(request, 0, request.length));
                FramePort.Stats after = port.stats();
                assertEquals(before.dropsTooLong() + 2, after.dropsTooLong());
                assertEquals(before.dropsOutsideFull() + 1, after.dropsOutsideFull());
                assertEquals(solicitations + 1, after.framesOut());
                assertEquals((long) solicitations * nsFrame.length + request.length, after.bytesOut());
                assertTrue(after.framesIn() >= 2 && after.bytesIn() >= na.length + reply.length, after.toString());

                Thread reader = threadNamed("tap-reader-vmbport0");
                assertEquals(!onLoop, reader != null && reader.isAlive());
                port.close();
                assertFalse(reader != null && reader.isAlive(), "close joins the reader");
                assertNull(port.readFailure());
                assertFalse(port.send(request, 0, request.length), "nothing goes out after close");
                port.close(); // idempotent
                // the TAP is released at once (the loop's copy of its descriptor too): it opens again, not busy
                TapPort.open(ns.path(), "vmbport0", TapPort.largestFrame(1500)).close();
            } finally {
                port.close();
            }
        } finally {
            nic.shutdownNow();
            if (vertx != null) {
                vertx.close().await(10, TimeUnit.SECONDS);
            }
        }
    }

    /**
     * An administrator deletes the TAP under the port ({@code ip link delete}), one the port made or a persistent one:
     * the kernel detaches the port's descriptor, which from then on polls as an error and reads and writes as
     * {@code EBADFD}. Reading stops with a reason that says the TAP is gone, the port's owner is told once, the reader
     * thread ends (it polled the error in a loop, at full speed, and never stopped), frames sent are dropped and
     * counted, and close releases what is left.
     */
    @ParameterizedTest(name = "read on the NIC''s event loop: {0}, persistent TAP: {1}")
    @CsvSource({"false, false", "true, false", "false, true", "true, true"})
    void aTapDeletedUnderThePortEndsItsReadingWithTheReason(boolean onLoop, boolean persistent) throws Exception {
        Assumptions.assumeTrue(Posix.geteuid() == 0, "skipped: creating a network namespace and a TAP needs root");
        ExecutorService nic = Executors.newSingleThreadExecutor(r -> new Thread(r, "test-nic"));
        Vertx vertx = onLoop ? Vertx.vertx() : null;
        Queue<String> failures = new ConcurrentLinkedQueue<>();
        try (Netns ns = Netns.create("tapgone")) {
            if (persistent) {
                ns.ip("tuntap", "add", "dev", "vmbgone0", "mode", "tap");
            }
            TapPort port = TapPort.open(ns.path(), "vmbgone0", TapPort.largestFrame(1500));
            try {
                port.tap().up(true);
                port.whenFailed(failures::add);
                port.startBursts(nic, onLoop ? LoopReadiness.of(vertx.getOrCreateContext()) : null, (f, n, m) -> { });
                assertEquals(onLoop, port.readsOnLoop());
                ns.ip("link", "delete", "dev", "vmbgone0");

                await("the port to see its TAP gone").atMost(10, TimeUnit.SECONDS).until(() -> !failures.isEmpty());
                assertNotNull(port.readFailure());
                String reason = failures.peek();
                assertTrue(reason.contains("TAP vmbgone0 is gone") && reason.contains("deleted"), reason);
                Thread reader = threadNamed("tap-reader-vmbgone0");
                if (reader != null) {
                    reader.join(TimeUnit.SECONDS.toMillis(10));
                    assertFalse(reader.isAlive(), "the reader thread goes on after its TAP went");
                }
                long before = port.stats().dropsOutsideFull();
                assertFalse(port.send(new byte[60], 0, 60));
                assertEquals(before + 1, port.stats().dropsOutsideFull());
                assertEquals(1, failures.size(), "the owner is told once: " + failures);
            } finally {
                port.close();
            }
            assertFalse(ns.ip("link", "show").contains("vmbgone0"), "the TAP came back");
        } finally {
            nic.shutdownNow();
            if (vertx != null) {
                vertx.close().await(10, TimeUnit.SECONDS);
            }
        }
    }

    /**
     * An administrator takes the TAP down ({@code ip link set down}) and up again: the frames sent meanwhile are
     * dropped and counted (the kernel refuses them, EIO), the log says so once, not once a frame, and says once
     * that frames go through again when the first one does. Needs root.
     */
    @Test
    void aTapTakenDownAndUpOutsideIsLoggedOnceEachWay() throws Exception {
        Assumptions.assumeTrue(Posix.geteuid() == 0, "skipped: creating a network namespace and a TAP needs root");
        java.util.List<String> lines = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.logging.Logger log = java.util.logging.Logger.getLogger(TapPort.class.getName());
        java.util.logging.Handler record = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                lines.add(r.getMessage());
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        log.addHandler(record);
        try (Netns ns = Netns.create("tapdown");
             TapPort port = TapPort.open(ns.path(), "vmbdown0", TapPort.largestFrame(1500))) {
            byte[] frame = TapTest.frame(PEER_MAC, TAP_MAC, InetAddress.getByName("fe80::2").getAddress(),
                    InetAddress.getByName("fe80::1").getAddress(), 64, new byte[] {(byte) 128, 0, 0, 0, 0, 1, 0, 1});
            port.tap().up(true);
            assertTrue(port.send(frame, 0, frame.length));
            ns.ip("link", "set", "dev", "vmbdown0", "down");
            for (int i = 0; i < 3; i++) {
                assertFalse(port.send(frame, 0, frame.length));
            }
            assertEquals(3, port.stats().dropsOutsideFull());
            ns.ip("link", "set", "dev", "vmbdown0", "up");
            assertTrue(port.send(frame, 0, frame.length));
            assertTrue(port.send(frame, 0, frame.length));
            assertEquals(java.util.List.of("TAP vmbdown0 is down: frames to it are dropped and counted until it is up",
                    "TAP vmbdown0 is up again: frames go through"), lines);
        } finally {
            log.removeHandler(record);
        }
    }

    @Test
    void aFrameSizeOutsideEthernetIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new TapPort(null, 59));
        assertThrows(IllegalArgumentException.class, () -> new TapPort(null, 1 << 20));
    }

    private static Thread threadNamed(String name) {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals(name)).findFirst()
                .orElse(null);
    }

    /**
     * The first ICMPv6 message of {@code type} among the frames that come within {@code seconds} (the others are
     * taken and dropped), or null when none does: the caller may ask again.
     */
    private static byte[] awaitIcmp(Queue<byte[]> received, int type, int seconds) {
        try {
            return await("an ICMPv6 message of type " + type).atMost(seconds, TimeUnit.SECONDS).until(() -> {
                for (byte[] f; (f = received.poll()) != null; ) {
                    if (f.length >= ETH_IPV6 + 4 && f[12] == (byte) 0x86 && f[13] == (byte) 0xdd && f[14 + 6] == 58
                            && (f[ETH_IPV6] & 0xFF) == type) {
                        return f;
                    }
                }
                return null;
            }, Objects::nonNull);
        } catch (ConditionTimeoutException none) {
            return null;
        }
    }
}
