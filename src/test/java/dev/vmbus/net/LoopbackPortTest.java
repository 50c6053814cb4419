package dev.vmbus.net;

import org.junit.jupiter.api.Test;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The loopback and null frame ports, driven by hand: tasks run only when the test runs them. */
class LoopbackPortTest {
    /** An executor whose tasks wait until {@link #runAll} (bounded). */
    private static final class ByHand implements Executor {
        final ArrayDeque<Runnable> tasks = new ArrayDeque<>();

        @Override
        public void execute(Runnable task) {
            tasks.add(task);
        }

        int runAll() {
            int n = 0;
            while (!tasks.isEmpty() && n < 10_000) {
                tasks.poll().run();
                n++;
            }
            return n;
        }
    }

    private static byte[] frame(int n, int length) {
        byte[] f = new byte[length];
        for (int i = 0; i < length; i++) {
            f[i] = (byte) (n * 31 + i);
        }
        return f;
    }

    @Test
    void framesSentComeBackInOrderThroughTheExecutorOnly() throws Exception {
        ByHand executor = new ByHand();
        List<byte[]> in = new ArrayList<>();
        LoopbackPort port = new LoopbackPort(1000, 1514);
        port.start(executor, in::add);
        byte[] buffer = new byte[2000];
        for (int i = 0; i < 150; i++) {
            byte[] f = frame(i, 60 + i);
            System.arraycopy(f, 0, buffer, 7, f.length);
            assertTrue(port.send(buffer, 7, f.length));
        }
        assertEquals(0, in.size(), "nothing arrives before the executor runs");
        buffer[7] = 99; // the port copied: reusing the caller's array changes nothing
        assertEquals(3, executor.runAll(), "150 frames in batches of " + LoopbackPort.DELIVERY_BATCH);
        assertEquals(150, in.size());
        for (int i = 0; i < 150; i++) {
            assertArrayEquals(frame(i, 60 + i), in.get(i));
        }
        long bytes = 0;
        for (int i = 0; i < 150; i++) {
            bytes += 60 + i;
        }
        assertEquals(new FramePort.Stats(150, bytes, 150, bytes, 0, 0), port.stats());
    }

    @Test
    void pauseHoldsFramesInTheLoopAndResumeDeliversThem() {
        ByHand executor = new ByHand();
        List<byte[]> in = new ArrayList<>();
        LoopbackPort port = new LoopbackPort(1000, 1514);
        // the NIC pauses the port from inside its handler after the third frame, as it does when it runs out of room
        port.start(executor, f -> {
            in.add(f);
            if (in.size() == 3) {
                port.pause();
            }
        });
        for (int i = 0; i < 10; i++) {
            port.send(frame(i, 64), 0, 64);
        }
        executor.runAll();
        assertEquals(3, in.size());
        assertEquals(7, port.queued());
        assertEquals(3, port.stats().framesIn());
        port.send(frame(10, 64), 0, 64);
        assertEquals(0, executor.runAll(), "nothing is scheduled while paused");
        port.resume();
        executor.runAll();
        assertEquals(11, in.size());
        for (int i = 0; i < 11; i++) {
            assertArrayEquals(frame(i, 64), in.get(i));
        }
        assertEquals(11, port.stats().framesIn());
    }

    @Test
    void aFullLoopAndAnOverlongFrameAreDroppedAndCounted() {
        ByHand executor = new ByHand();
        List<byte[]> in = new ArrayList<>();
        LoopbackPort port = new LoopbackPort(4, 100);
        port.start(executor, in::add);
        for (int i = 0; i < 4; i++) {
            assertTrue(port.send(frame(i, 100), 0, 100));
        }
        assertFalse(port.send(frame(4, 10), 0, 10));
        assertFalse(port.send(frame(5, 101), 0, 101));
        FramePort.Stats s = port.stats();
        assertEquals(1, s.dropsOutsideFull());
        assertEquals(1, s.dropsTooLong());
        assertEquals(4, s.framesOut());
        executor.runAll();
        assertEquals(4, in.size());
        assertTrue(port.send(frame(6, 10), 0, 10), "room again once delivered");
    }

    @Test
    void closeDropsWhatWaitsAndRefusesMore() {
        ByHand executor = new ByHand();
        List<byte[]> in = new ArrayList<>();
        LoopbackPort port = new LoopbackPort(10, 100);
        port.start(executor, in::add);
        port.send(frame(0, 10), 0, 10);
        port.close();
        port.close();
        executor.runAll();
        assertEquals(0, in.size());
        assertFalse(port.send(frame(1, 10), 0, 10));
        assertThrows(IllegalStateException.class, () -> port.start(executor, in::add));
        assertThrows(IllegalArgumentException.class, () -> new LoopbackPort(0, 100));
        assertThrows(IndexOutOfBoundsException.class, () -> new LoopbackPort(1, 100).send(new byte[4], 2, 3));
    }

    @Test
    void theNullPortTakesEverythingAndGivesNothing() {
        ByHand executor = new ByHand();
        List<byte[]> in = new ArrayList<>();
        NullPort port = new NullPort();
        port.start(executor, in::add);
        for (int i = 0; i < 5; i++) {
            assertTrue(port.send(frame(i, 100), 0, 100));
        }
        port.pause();
        port.resume();
        assertEquals(0, executor.runAll());
        assertEquals(0, in.size());
        assertEquals(new FramePort.Stats(0, 0, 5, 500, 0, 0), port.stats());
        port.close();
        assertFalse(port.send(frame(9, 10), 0, 10));
        assertEquals(5, port.stats().framesOut());
    }
}
