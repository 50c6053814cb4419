package dev.vmbus.transport.shm;

import dev.vmbus.transport.OnContext;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link SignalSocket} against a raw peer socket: frames however the bytes arrive, a peer that stops reading, a
 * peer that floods, a peer that closes. Every wait is bounded; nothing here depends on how fast a thing happens.
 */
class SignalSocketTest {
    @TempDir
    Path dir;
    private Vertx vertx;
    private Context context;
    private ServerSocketChannel server;
    private SocketChannel peer;
    private SignalSocket socket;
    /** {@link SignalSocket#framesRead()} each time the frames handler ran. */
    private final List<Long> wakeups = new CopyOnWriteArrayList<>();
    private final Promise<String> peerClosed = Promise.promise();

    @BeforeEach
    void connect() throws Exception {
        vertx = Vertx.vertx();
        context = vertx.getOrCreateContext();
        Path path = dir.resolve("1.sock");
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX).bind(UnixDomainSocketAddress.of(path));
        Future<SignalSocket> connected = OnContext.call(context, () -> SignalSocket.connect(path, context,
                () -> wakeups.add(socket.framesRead()), peerClosed::tryComplete).onSuccess(s -> socket = s));
        peer = server.accept();
        connected.await(10, TimeUnit.SECONDS);
    }

    @AfterEach
    void close() throws Exception {
        if (peer != null) {
            peer.close();
        }
        if (server != null) {
            server.close();
        }
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    private static ByteBuffer frame(int value) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, value);
    }

    /** Runs {@code task} on the socket's context and waits (bounded) for it to finish. */
    private void onLoop(Runnable task) throws Exception {
        OnContext.run(context, task).await(20, TimeUnit.SECONDS);
    }

    @Test
    void aFrameWrittenOneByteAtATimeWakesTheOwnerOnlyOnceWhole() throws Exception {
        ByteBuffer bytes = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putInt(7).putInt(8).putInt(9).flip();
        for (int i = 0; i < 12; i++) {
            peer.write(bytes.slice(i, 1));
        }
        await("three frames read").atMost(20, TimeUnit.SECONDS).until(() -> !wakeups.isEmpty() && wakeups.getLast() == 3);
        long previous = 0;
        for (long frames : wakeups) {
            assertTrue(frames > previous, "a wake-up without a new whole frame: " + wakeups);
            previous = frames;
        }
        assertFalse(peerClosed.future().isComplete());
    }

    @Test
    void aPeerThatStopsReadingNeitherBlocksTheLoopNorLosesTheLastWakeUp() throws Exception {
        // Far more than an AF_UNIX socket holds: send must never block the loop, and must not queue without bound.
        int signals = 200_000;
        onLoop(() -> {
            for (int i = 1; i <= signals; i++) {
                socket.send(i);
            }
        });
        boolean[] pending = new boolean[1];
        long[] sent = new long[1];
        onLoop(() -> {
            pending[0] = socket.writePending();
            sent[0] = socket.framesSent();
        });
        assertTrue(pending[0], "the socket never filled up, so this test showed nothing");
        assertTrue(sent[0] < signals, "every signal was written although the peer reads nothing");

        // The peer reads again: the frame that waited arrives whole and carries the newest signal.
        long[] read = new long[2]; // bytes, the last whole frame's value
        Promise<Void> drained = Promise.promise();
        Thread.ofVirtual().start(() -> { // blocking reads, off the test's thread so that the wait is bounded
            ByteBuffer in = ByteBuffer.allocate(64 * 1024).order(ByteOrder.LITTLE_ENDIAN);
            try {
                while (read[1] != signals) {
                    in.clear();
                    int n = peer.read(in);
                    if (n < 0) {
                        throw new AssertionError("the signal socket closed");
                    }
                    read[0] += n;
                    if (read[0] % 4 == 0) {
                        read[1] = in.getInt(n - 4);
                    }
                }
                drained.complete();
            } catch (Throwable e) {
                drained.fail(e);
            }
        });
        try {
            drained.future().await(20, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError("the last signal, sent while the socket was full, never reached the peer"
                    + " (last frame read " + read[1] + ")");
        }
        long bytes = read[0];
        int last = (int) read[1];
        assertEquals(signals, last, "the last signal, sent while the socket was full, never reached the peer");
        onLoop(() -> {
            pending[0] = socket.writePending();
            sent[0] = socket.framesSent();
        });
        assertFalse(pending[0]);
        assertEquals(sent[0] * 4, bytes, "frames arrived torn or twice");
    }

    @Test
    void aFloodingPeerDoesNotHoldTheLoop() throws Exception {
        AtomicBoolean loopRan = new AtomicBoolean();
        AtomicLong written = new AtomicLong();
        long cap = 1L << 30;
        Thread flooder = Thread.ofPlatform().start(() -> {
            ByteBuffer junk = ByteBuffer.allocate(64 * 1024);
            try {
                while (!loopRan.get() && written.get() < cap) {
                    junk.clear();
                    written.addAndGet(peer.write(junk));
                }
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        await("the flood reached the signal socket").atMost(20, TimeUnit.SECONDS).until(() -> written.get() > 1 << 20);
        // A task for the same loop runs while the peer keeps writing: the reads gave the loop back.
        context.runOnContext(v -> loopRan.set(true));
        await("the flooder stops writing").atMost(60, TimeUnit.SECONDS).until(() -> !flooder.isAlive());
        assertTrue(loopRan.get(), "the loop ran nothing else during the flood (the peer wrote " + written.get() + " bytes)");
        assertTrue(written.get() < cap);
        assertFalse(wakeups.isEmpty());
        assertFalse(peerClosed.future().isComplete());
    }

    @Test
    void aPeerThatClosesIsReportedOnceAndAClosedSocketSendsNothing() throws Exception {
        peer.write(frame(1));
        await("the frame read").atMost(20, TimeUnit.SECONDS).until(() -> !wakeups.isEmpty());
        peer.close();
        assertEquals(SignalSocket.CLOSED_BY_PEER, peerClosed.future().await(20, TimeUnit.SECONDS));
        onLoop(() -> {
            assertTrue(socket.isClosed());
            socket.send(2); // dropped: no exception, nothing written
            socket.close();
        });
    }

    @Test
    void closingFromThisEndDoesNotReportThePeerAndThePeerSeesTheEnd() throws Exception {
        socket.close(); // off the loop: hops onto it
        Promise<Integer> end = Promise.promise();
        Thread.ofVirtual().start(() -> { // a blocking read, off the test's thread so that the wait is bounded
            try {
                end.complete(peer.read(ByteBuffer.allocate(4)));
            } catch (java.io.IOException e) {
                end.fail(e);
            }
        });
        assertEquals(-1, end.future().await(20, TimeUnit.SECONDS), "the peer still sees an open socket");
        onLoop(() -> assertTrue(socket.isClosed()));
        assertFalse(peerClosed.future().isComplete(), "our own close was reported as the peer's");
    }
}
