package dev.vmbus.host;

import dev.vmbus.ring.GpaRanges;
import dev.vmbus.transport.GuestMemory;
import dev.vmbus.transport.SharedGuestMemory;

/**
 * The simulated host reading a GPA-direct packet's data out of guest memory, as a real host DMAs it: every range,
 * in order, concatenated. Everything is checked before anything is allocated or copied: each range resolves inside
 * guest memory (a PFN past its end is refused with the PFN, as OpenVMM's probe of every GPN fails the packet), and
 * the total stays within {@code limit} (a hostile guest can name 4 GiB per range).
 *
 * <p>Stateless.
 */
public final class GpaReader {
    private GpaReader() {
    }

    /**
     * The bytes {@code ranges} name in {@code memory}.
     *
     * @throws GuestMemory.GuestMemoryException naming the first range that does not resolve, or the total over
     *                                          {@code limit}
     */
    public static byte[] read(SharedGuestMemory memory, GpaRanges ranges, int limit) {
        long total = 0;
        long[][] pfns = new long[ranges.count()][];
        for (int i = 0; i < ranges.count(); i++) {
            pfns[i] = new long[ranges.pfnCount(i)];
            for (int j = 0; j < pfns[i].length; j++) {
                pfns[i][j] = ranges.pfn(i, j);
            }
            try {
                memory.check(pfns[i], ranges.byteOffset(i), ranges.byteCount(i));
            } catch (GuestMemory.GuestMemoryException e) {
                throw new GuestMemory.GuestMemoryException("GPA range " + i + ": " + e.getMessage());
            }
            total += Integer.toUnsignedLong(ranges.byteCount(i));
        }
        if (total > limit) {
            throw new GuestMemory.GuestMemoryException("GPA ranges name " + total + " bytes, more than the "
                    + limit + " this host reads for one packet");
        }
        byte[] out = new byte[(int) total];
        int at = 0;
        for (int i = 0; i < ranges.count(); i++) {
            byte[] part = memory.read(pfns[i], ranges.byteOffset(i), ranges.byteCount(i));
            System.arraycopy(part, 0, out, at, part.length);
            at += part.length;
        }
        return out;
    }
}
