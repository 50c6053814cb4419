/**
 * The integration-component framing shared by the guest's devices and the simulated host: the pipe header and
 * {@code icmsg_hdr} in place ({@code IcMessage}), version negotiation ({@code IcNegotiation}, {@code IcVersion}),
 * statuses and constants, and one sub-package per service with its message codec, each message one FFM
 * {@code MemoryLayout} whose offsets the tests pin to the spec.
 * <p>Knows nothing of Vert.x, of channels' threads or of who answers a message.
 */
package dev.vmbus.ic;
