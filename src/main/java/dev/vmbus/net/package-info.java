/**
 * The synthetic NIC's wire formats: NVSP messages ({@link dev.vmbus.net.NvspMessage}, the outer protocol of the
 * netvsc channel) and RNDIS messages ({@link dev.vmbus.net.RndisMessage}, carried inside NVSP message 107) with
 * their per-packet info ({@link dev.vmbus.net.PerPacketInfo}). Each message is one FFM layout declared once
 * ({@link dev.vmbus.net.Nvsp}, {@link dev.vmbus.net.Rndis}); every offset is read from it. Encoders write exactly
 * those bytes; decoders copy the peer's bytes first and then validate the private copy, so a peer that keeps
 * writing shared memory cannot change a length between its check and its use, and every malformation is a
 * {@link dev.vmbus.net.NetCodecException} naming the rule and the offending values.
 *
 * <p>Shared by the guest NIC and the simulated host's NIC. Knows nothing of Vert.x, channels or transports: the
 * VMBus packet around a message (in-band, transfer pages, GPA-direct, completion) is the {@code ring} layer's.
 * Facts from ../shared/spec/netvsc-and-buffers.md §3.
 */
package dev.vmbus.net;
