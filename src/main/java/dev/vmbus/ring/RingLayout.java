package dev.vmbus.ring;

/**
 * Byte layout of one VMBus ring ({@code struct hv_ring_buffer} in Linux's {@code include/linux/hyperv.h}).
 *
 * <pre>
 *   0                   4                   8                   12                  16
 *   +-------------------+-------------------+-------------------+-------------------+
 *   | write_index (u32) | read_index (u32)  | interrupt_mask    | pending_send_sz   |
 *   +-------------------+-------------------+-------------------+-------------------+
 *   | reserved1[12] (48 bytes)                                                      |
 *   +-------------------+-----------------------------------------------------------+ 64
 *   | feature_bits (u32)| reserved2 ... up to the end of the header page            |
 *   +-------------------+-----------------------------------------------------------+ PAGE_SIZE
 *   | data area: dsize = ring size - PAGE_SIZE bytes of 8-byte aligned packets       |
 *   +-------------------------------------------------------------------------------+
 * </pre>
 *
 * All fields are little-endian, naturally aligned u32. Ownership (spec section 1.2): the producer writes
 * {@code write_index} and {@code pending_send_sz}; the consumer writes {@code read_index} and
 * {@code interrupt_mask}. The header occupies a whole page of the guest (the system page size), even though a
 * 64 KiB-page guest only exposes the first 4 KiB of it to the host.
 */
public final class RingLayout {
    /** Producer's next write offset inside the data area. */
    public static final int WRITE_INDEX_OFFSET = 0;
    /** Consumer's next unconsumed offset inside the data area. */
    public static final int READ_INDEX_OFFSET = 4;
    /** Written by the consumer: non-zero means "do not interrupt me". */
    public static final int INTERRUPT_MASK_OFFSET = 8;
    /** Written by a blocked producer: the number of free bytes it waits for; 0 = not blocked. */
    public static final int PENDING_SEND_SZ_OFFSET = 12;
    /** Bit 0 = {@link #FEAT_PENDING_SEND_SZ}. */
    public static final int FEATURE_BITS_OFFSET = 64;
    /** The only defined feature bit: the side honours {@code pending_send_sz}. */
    public static final int FEAT_PENDING_SEND_SZ = 1;
    /** Hyper-V's own page size; the part of the header the host sees. */
    public static final int HV_HYP_PAGE_SIZE = 4096;
    /** Every packet and every index is a multiple of this. */
    public static final int ALIGNMENT = 8;

    private RingLayout() {
    }

    /** {@code (x + 7) & ~7}: the packet length rounded up to the ring's 8-byte alignment. */
    public static int align8(int x) {
        return (x + (ALIGNMENT - 1)) & ~(ALIGNMENT - 1);
    }
}
