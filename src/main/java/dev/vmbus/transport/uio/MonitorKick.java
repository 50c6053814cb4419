package dev.vmbus.transport.uio;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * Signals the host for a monitored channel the way DPDK does (spec sections 2.9 and 5.4), because for such a
 * channel {@code write(1)} on {@code /dev/uioN} only unmasks and userspace cannot make the hypercall:
 * <ol>
 *   <li>set bit {@code relid} in the send half of the interrupt page (uio map 1, from byte 2048: the page is a
 *       4096-byte Hyper-V page whose first half receives);</li>
 *   <li>set bit {@code monitorId % 32} in {@code trigger_group[monitorId / 32].pending} of the guest-to-host
 *       monitor page (uio map 2; the groups are {u32 pending, u32 armed} pairs from byte 8).</li>
 * </ol>
 * Both are atomic read-modify-writes (the kernel uses {@code sync_set_bit}): other channels' bits share the
 * words and the host clears them concurrently. Bitmaps are little-endian, so 32-bit words address the same bits
 * as the kernel's {@code unsigned long} ones.
 */
final class MonitorKick implements Runnable {
    /** Four trigger groups of 32 monitor ids. */
    static final int MAX_MONITOR_ID = 127;
    static final int SEND_HALF_OFFSET = 2048;
    /** {@code MAX_NUM_CHANNELS}: bits in the send half. */
    static final int MAX_RELID = 2048 * 8 - 1;
    static final long TRIGGER_GROUP_OFFSET = 8;
    static final long TRIGGER_GROUP_SIZE = 8;

    private static final VarHandle WORD = ValueLayout.JAVA_INT.varHandle();

    private final MemorySegment interruptPage;
    private final MemorySegment monitorPage;
    private final long relidWord;
    private final int relidBit;
    private final long pendingWord;
    private final int pendingBit;

    MonitorKick(MemorySegment interruptPage, MemorySegment monitorPage, int relid, int monitorId) {
        if (relid <= 0 || relid > MAX_RELID) {
            throw new IllegalArgumentException("relid " + relid + " does not fit the interrupt page (1.." + MAX_RELID + ")");
        }
        if (monitorId < 0 || monitorId > MAX_MONITOR_ID) {
            throw new IllegalArgumentException("monitor id " + monitorId + " is outside 0.." + MAX_MONITOR_ID);
        }
        this.interruptPage = interruptPage;
        this.monitorPage = monitorPage;
        this.relidWord = SEND_HALF_OFFSET + 4L * (relid >>> 5);
        this.relidBit = 1 << (relid & 31);
        this.pendingWord = TRIGGER_GROUP_OFFSET + TRIGGER_GROUP_SIZE * (monitorId >>> 5);
        this.pendingBit = 1 << (monitorId & 31);
        if (interruptPage.byteSize() < relidWord + 4 || monitorPage.byteSize() < pendingWord + 4) {
            throw new IllegalArgumentException("interrupt page of " + interruptPage.byteSize()
                    + " bytes or monitor page of " + monitorPage.byteSize() + " bytes is too small");
        }
    }

    @Override
    public void run() {
        // Event bit first, then the monitor bit that makes the host look at it (vmbus_setevent's order).
        int ignored = (int) WORD.getAndBitwiseOr(interruptPage, relidWord, relidBit);
        ignored = (int) WORD.getAndBitwiseOr(monitorPage, pendingWord, pendingBit);
    }
}
