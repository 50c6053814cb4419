/**
 * A channel end on a Vert.x context, shared by the guest's channel verticles and the simulated host's
 * device drivers: {@code ChannelDriver} with its {@code Inbox} (mask, drain, commit, unmask, re-check; credit and
 * holds) and {@code Outbox} (sends parked on {@code pending_send_sz}, requests with completion and timeout), the
 * handler it delivers to ({@code PacketHandler}, {@code PacketSink}) and its timers.
 * <p>Knows nothing of device classes or of which transport it runs on.
 */
package dev.vmbus.runtime;
