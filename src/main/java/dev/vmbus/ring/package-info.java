/**
 * The {@code hv_ring_buffer} of a VMBus channel over a {@link java.lang.foreign.MemorySegment}: the header
 * page and data area ({@code Ring}), the offsets of the header and of every packet descriptor type real devices use
 * ({@code RingLayout}, {@code PacketLayout}), and the write and read algorithms with wrap, trailer,
 * {@code interrupt_mask}, {@code pending_send_sz} and feature bits ({@code RingWriter}, {@code RingReader}), each
 * bounded and validated: a peer that breaks the rules faults the ring ({@code RingFault}) instead of being clamped.
 * A write or a commit returns whether the peer must be signalled; the ring never signals by itself.
 * <p>Knows nothing of threads, Vert.x, transports or the page size of the machine (the caller gives the header size).
 */
package dev.vmbus.ring;
