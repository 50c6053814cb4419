package dev.vmbus.transport;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Pages a {@link GuestMemory} handed out: their memory, and the giving back, which the first {@link #close()} does
 * (from any thread; later calls do nothing). The memory says how the PFNs are found.
 */
public abstract class AllocatedPages implements GuestPages {
    private final MemorySegment memory;
    private final AtomicBoolean closed = new AtomicBoolean();

    /** {@code memory} is the pages, a whole number of {@link GuestMemory#PAGE_SIZE} pages. */
    protected AllocatedPages(MemorySegment memory) {
        this.memory = memory;
    }

    @Override
    public final MemorySegment memory() {
        return memory;
    }

    @Override
    public final void close() {
        if (closed.compareAndSet(false, true)) {
            release();
        }
    }

    /** Gives the pages back to the memory they came from; called once, by the first {@link #close()}. */
    protected abstract void release();
}
