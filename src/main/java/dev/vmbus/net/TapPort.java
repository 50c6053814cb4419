package dev.vmbus.net;

import dev.vmbus.os.SelectableFd;
import dev.vmbus.os.Tap;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.concurrent.locks.LockSupport;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A {@link FramePort} over a Linux TAP interface ({@link Tap}, spec netvsc-and-buffers.md §5.2): the NIC's frames
 * become an ordinary interface's frames on this machine, or in the network namespace it was opened in.
 *
 * <p>The port owns the TAP; its owner (the guest device or the host's NIC) sets the MAC address, MTU and link
 * state through {@link #tap()}. Frames are read one {@code read} per frame into one native buffer and handed to the
 * NIC a burst of up to {@link #BURST} at a time. Given a {@link Readiness} (the NIC's event loop), the port reads on
 * that loop when its selector says the TAP is readable ({@link SelectableFd}), and hands each burst over in place:
 * the kernel wakes the NIC's thread directly, and each frame is copied into one of {@link #BURST} arrays the port
 * reuses for every burst (nothing allocated per frame). Without one, or if the loop
 * cannot watch the TAP, one reader platform thread waits for the TAP to be readable (a bounded poll, so it notices
 * {@link #close} and {@link #pause} within {@link #POLL_MILLIS}) and hands each burst to the NIC in one task on the
 * NIC's executor: a second wake-up per burst, each frame in a fresh array since the task runs after the next read.
 * {@link #send} is one non-blocking {@code write}: a frame the kernel cannot
 * take now ({@code EAGAIN}), or at all (the interface is down: {@code EIO}), is dropped and counted.
 *
 * <p>What an administrator does to the interface meanwhile: taken down, the frames sent are dropped (logged once
 * until one is taken again); a larger MTU than the port's, the longer frames read are dropped (logged with the
 * interface's MTU); deleted, the port stops reading and tells its owner ({@link #whenFailed}).
 */
public final class TapPort implements FramePort {
    private static final Logger LOG = Logger.getLogger(TapPort.class.getName());
    /** How long the reader waits in one poll, and at most how long {@link #close} waits for it to notice. */
    static final int POLL_MILLIS = 100;
    /** At most this many frames handed to the NIC in one executor task. */
    static final int BURST = 32;
    /** An Ethernet header. */
    public static final int ETHERNET_HEADER = 14;
    /** The largest read: the kernel truncates a frame to the buffer, so this is larger than any MTU we accept. */
    private static final int READ_BUFFER = 65536 + ETHERNET_HEADER;

    private final Tap tap;
    private final int maxFrame;
    private final MemorySegment writeBuffer;
    private final Object writeLock = new Object();
    private final AtomicLong framesIn = new AtomicLong();
    private final AtomicLong bytesIn = new AtomicLong();
    private final AtomicLong framesOut = new AtomicLong();
    private final AtomicLong bytesOut = new AtomicLong();
    private final AtomicLong dropsOutsideFull = new AtomicLong();
    private final AtomicLong dropsTooLong = new AtomicLong();
    private volatile boolean paused;
    private volatile boolean closed;
    private volatile Thread reader;
    private volatile Exception readFailure;
    /** Loop mode: the TAP as its selector sees it, the watch, the read buffer, and the lock reads and close share. */
    private SelectableFd selectable;
    private volatile Readiness.Watch watch;
    private MemorySegment loopBuffer;
    /** Loop mode: the arrays each burst's frames are copied into, reused burst after burst, and their lengths. */
    private byte[][] loopFrames;
    private int[] loopLengths;
    /** Loop mode: a burst is being handed over (on the loop); a nested read would overwrite its arrays. */
    private boolean delivering;
    /** Loop mode: where frames read on the loop go ({@link #readNow}); null otherwise. */
    private volatile Receiver loopReceiver;
    private final Object readLock = new Object();
    /** The interface refused the last frame sent as down ({@code EIO}): logged once until one goes out again. */
    private boolean outsideDown;
    /** The interface's MTU when a frame read was last dropped as too long: logged once per MTU seen. */
    private volatile int tooLongAtMtu = -1;
    /** Why the port stopped for good (its TAP deleted), once known; its owner told once. */
    private final AtomicReference<String> failed = new AtomicReference<>();
    private volatile Consumer<String> whenFailed;
    private final AtomicBoolean toldFailed = new AtomicBoolean();

    /**
     * The longest frame of an interface of {@code mtu}: its Ethernet header, and an 802.1Q tag, which a frame from a
     * VLAN interface on the TAP carries after its addresses (Linux's {@code VLAN_HLEN} on top of the MTU).
     */
    public static int largestFrame(int mtu) {
        return mtu + ETHERNET_HEADER + Vlan.TAG;
    }

    /**
     * A port over {@code tap}, which it now owns, carrying frames of at most {@code maxFrame} bytes
     * ({@link #largestFrame} of the NIC's MTU) and untagged frames 4 bytes shorter; longer ones, either way, are
     * dropped and counted as too long.
     */
    public TapPort(Tap tap, int maxFrame) {
        if (maxFrame < 60 || maxFrame > READ_BUFFER - 1) {
            throw new IllegalArgumentException("a TAP port's largest frame is 60.." + (READ_BUFFER - 1)
                    + " bytes, not " + maxFrame);
        }
        this.tap = tap;
        this.maxFrame = maxFrame;
        this.writeBuffer = Arena.ofAuto().allocate(maxFrame, 64);
    }

    /** Opens (creating if needed) TAP {@code name} in this process's network namespace. */
    public static TapPort open(String name, int maxFrame) throws IOException {
        return new TapPort(Tap.open(name), maxFrame);
    }

    /**
     * Opens TAP {@code name} in the network namespace {@code netns} (e.g. {@code /var/run/netns/NAME}); with
     * {@code netns} null, in this process's own.
     */
    public static TapPort open(Path netns, String name, int maxFrame) throws IOException {
        return new TapPort(netns == null ? Tap.open(name) : Tap.openIn(netns, name), maxFrame);
    }

    /** The TAP, for its owner to set the MAC address, MTU and link state. */
    public Tap tap() {
        return tap;
    }

    /**
     * Tells {@code failed}, once, why the port stopped for good: its TAP was deleted ({@code ip link delete}), so
     * nothing is read or sent any more. Called on the thread that found it (the NIC's loop, the reader thread, a
     * sender); at once if that already happened.
     */
    @Override
    public void whenFailed(Consumer<String> failed) {
        whenFailed = failed;
        tellFailed();
    }

    /** Tells the owner, once, when both the failure and the owner's callback are known. */
    private void tellFailed() {
        String reason = failed.get();
        Consumer<String> f = whenFailed;
        if (reason != null && f != null && toldFailed.compareAndSet(false, true)) {
            f.accept(reason);
        }
    }

    /** The port stopped for good: logged and its owner told, once. */
    private void failed(IOException e) {
        if (closed || !failed.compareAndSet(null, e.getMessage())) {
            return;
        }
        LOG.warning(this + ": " + e.getMessage());
        tellFailed();
    }

    /** The largest frame carried either way, in bytes. */
    public int maxFrame() {
        return maxFrame;
    }

    @Override
    public void startBursts(Executor deliver, Receiver toNic) throws IOException {
        startBursts(deliver, null, toNic);
    }

    @Override
    public synchronized void startBursts(Executor deliver, Readiness loop, Receiver toNic) throws IOException {
        if (closed) {
            throw new IllegalStateException(tap + " port is closed");
        }
        if (reader != null || selectable != null) {
            throw new IllegalStateException(tap + " port is already started");
        }
        if (loop != null) {
            SelectableFd s = null;
            try {
                s = SelectableFd.of(tap.fd());
                loopBuffer = Arena.ofAuto().allocate(READ_BUFFER, 64);
                loopFrames = new byte[BURST][maxFrame];
                loopLengths = new int[BURST];
                selectable = s;
                loopReceiver = toNic;
                watch = loop.watch(s.channel(), s.readyOps(), () -> readOnLoop(toNic));
                if (paused) {
                    watch.enabled(false);
                }
                return;
            } catch (IOException | RuntimeException e) {
                selectable = null;
                loopReceiver = null;
                if (s != null) {
                    s.close();
                }
                LOG.warning(this + ": the NIC's event loop cannot watch the TAP (" + e.getMessage()
                        + "); a reader thread hands frames over instead");
            }
        }
        reader = Thread.ofPlatform().daemon().name("tap-reader-" + tap.name()).start(() -> read(deliver, toNic));
    }

    /** Whether frames are read on the NIC's event loop (else on a reader thread); false until started. */
    public boolean readsOnLoop() {
        return watch != null;
    }

    /**
     * Loop mode: reads what the TAP holds now on the NIC's loop (the caller's thread), as a readiness would; one
     * non-blocking {@code read} when nothing is queued. Nothing without loop mode.
     */
    @Override
    public void readNow() {
        Receiver toNic = loopReceiver;
        if (toNic != null) {
            readOnLoop(toNic);
        }
    }

    /** Loop mode: one burst read where the loop's selector said the TAP is readable, handed over in place. */
    private void readOnLoop(Receiver toNic) {
        if (delivering) {
            return; // the NIC asked again while taking this burst: the selector still sees what is left
        }
        byte[][] burst = loopFrames;
        int[] lengths = loopLengths;
        int count;
        synchronized (readLock) {
            if (closed || paused) {
                return;
            }
            try {
                count = readBurst(loopBuffer, burst, lengths);
            } catch (IOException | RuntimeException e) {
                readFailure = e;
                Readiness.Watch w = watch;
                if (w != null) {
                    w.cancel();
                }
                stopped(e);
                return;
            }
        }
        delivering = true;
        try {
            for (int i = 0; i < count; i++) {
                toNic.frame(burst[i], lengths[i], i < count - 1);
            }
        } finally {
            delivering = false;
        }
    }

    /**
     * Up to {@link #BURST} frames into {@code burst} and their lengths into {@code lengths}: copied into the arrays
     * {@code burst} holds, or into fresh ones where it holds null; stops early when paused or closed.
     */
    private int readBurst(MemorySegment buffer, byte[][] burst, int[] lengths) throws IOException {
        int count = 0;
        while (count < BURST && !paused && !closed) {
            int n = tap.read(buffer);
            if (n == 0) {
                break;
            }
            if (n > maxFrame - Vlan.TAG && (n > maxFrame || !tagged(buffer))) {
                dropsTooLong.incrementAndGet();
                tooLongFromOutside(n);
                continue;
            }
            byte[] to = burst[count];
            if (to == null) {
                burst[count] = to = new byte[n];
            }
            MemorySegment.copy(buffer, ValueLayout.JAVA_BYTE, 0, to, 0, n);
            lengths[count++] = n;
            framesIn.incrementAndGet();
            bytesIn.addAndGet(n);
        }
        return count;
    }

    /** Whether the frame read into {@code buffer} carries an 802.1Q tag ({@link Vlan#tagged}). */
    private static boolean tagged(MemorySegment buffer) {
        return buffer.get(ValueLayout.JAVA_BYTE, Vlan.AT) == (byte) 0x81
                && buffer.get(ValueLayout.JAVA_BYTE, Vlan.AT + 1) == 0;
    }

    /** A frame of {@code length} bytes read was over {@link #maxFrame}: the interface's MTU was raised outside. */
    private void tooLongFromOutside(int length) {
        int mtu;
        try {
            mtu = tap.mtu();
        } catch (IOException | RuntimeException e) {
            mtu = 0;
        }
        if (mtu != tooLongAtMtu) {
            tooLongAtMtu = mtu;
            int ours = maxFrame - ETHERNET_HEADER - Vlan.TAG;
            int plain = maxFrame - Vlan.TAG;
            LOG.warning(tap + " gave a " + length + "-byte frame, over the " + plain + " bytes this port carries"
                    + " (MTU " + ours + "; " + maxFrame + " with an 802.1Q tag): its MTU is "
                    + (mtu > 0 ? mtu : "unknown") + ", set outside; longer frames are dropped and counted as too long"
                    + " until 'ip link set dev " + tap.name() + " mtu " + ours + "'");
        }
    }

    private void read(Executor deliver, Receiver toNic) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(READ_BUFFER, 64);
            while (!closed) {
                if (paused) {
                    LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(POLL_MILLIS));
                    continue;
                }
                if (!tap.awaitReadable(POLL_MILLIS)) {
                    continue;
                }
                byte[][] burst = new byte[BURST][];
                int[] lengths = new int[BURST];
                int count = readBurst(buffer, burst, lengths);
                if (count > 0) {
                    int frames = count;
                    deliver.execute(() -> {
                        for (int i = 0; i < frames; i++) {
                            toNic.frame(burst[i], lengths[i], i < frames - 1);
                        }
                    });
                }
            }
        } catch (IOException | RuntimeException e) {
            if (!closed) { // closed under us is the reader's normal end
                readFailure = e;
                stopped(e);
            }
        }
    }

    /** Reading stopped on {@code e}: the TAP gone is the port's end, anything else a bug logged with its trace. */
    private void stopped(Exception e) {
        if (e instanceof Tap.GoneException gone) {
            failed(gone);
        } else {
            LOG.log(Level.WARNING, this + ": reading stopped: " + e, e);
        }
    }

    @Override
    public boolean send(byte[] frame, int offset, int length) {
        if (Vlan.tooLong(frame, offset, length, maxFrame)) {
            dropsTooLong.incrementAndGet();
            return false;
        }
        synchronized (writeLock) {
            if (closed) {
                return false;
            }
            MemorySegment.copy(frame, offset, writeBuffer, ValueLayout.JAVA_BYTE, 0, length);
            boolean written;
            boolean down = false;
            try {
                written = tap.write(writeBuffer, length);
            } catch (Tap.GoneException e) {
                written = false;
                failed(e);
            } catch (IOException e) {
                written = false; // EIO: the interface is down; the outside cannot take frames at all
                down = true;
            }
            if (down != outsideDown && (down || written)) {
                outsideDown = down;
                if (down) {
                    LOG.warning(tap + " is down: frames to it are dropped and counted until"
                            + " it is up");
                } else {
                    LOG.info(tap + " is up again: frames go through");
                }
            }
            if (!written) {
                dropsOutsideFull.incrementAndGet();
                return false;
            }
        }
        framesOut.incrementAndGet();
        bytesOut.addAndGet(length);
        return true;
    }

    @Override
    public void pause() {
        paused = true;
        Readiness.Watch w = watch;
        if (w != null) {
            w.enabled(false);
        }
    }

    @Override
    public void resume() {
        if (paused) {
            paused = false;
            Readiness.Watch w = watch;
            if (w != null) {
                w.enabled(true);
            }
            Thread r = reader;
            if (r != null) {
                LockSupport.unpark(r);
            }
        }
    }

    @Override
    public Stats stats() {
        return new Stats(framesIn.get(), bytesIn.get(), framesOut.get(), bytesOut.get(), dropsOutsideFull.get(),
                dropsTooLong.get());
    }

    /**
     * Why the reader stopped before {@link #close} (a failed read, an executor that refused a burst), or null
     * while it runs and after a normal close.
     */
    public Exception readFailure() {
        return readFailure;
    }

    /**
     * Stops reading (waiting for a reader thread, at most one poll, or for a burst being read on the loop), then
     * closes the TAP. Idempotent.
     */
    @Override
    public void close() {
        Thread r;
        SelectableFd s;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            r = reader;
            s = selectable;
        }
        Readiness.Watch w = watch;
        if (w != null) {
            w.cancel();
        }
        if (s != null) {
            synchronized (readLock) { // a burst being read on the loop finishes before the TAP closes
                s.close();
            }
        }
        if (r != null && r != Thread.currentThread()) {
            LockSupport.unpark(r);
            boolean interrupted = false;
            while (r.isAlive()) {
                try {
                    r.join();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        synchronized (writeLock) {
            tap.close();
        }
    }

    @Override
    public String toString() {
        return tap + " port";
    }
}
