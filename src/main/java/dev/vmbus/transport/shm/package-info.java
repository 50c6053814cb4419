/**
 * The {@code shm} transport: host and guest in two processes, sharing each channel's ring as a file
 * mapped by both, with offers, opens and closes on a JSON-lines control socket ({@code ShmProtocol}) and one signal
 * socket per channel, served straight on the channel's event loop ({@code SignalSocket}, {@code SignalListener}:
 * no {@code NetSocket}, no buffer per signal). {@code ShmTrust} refuses any directory, socket or ring file another local user could own or
 * replace. A host's errors on the control connection are counted in the agent's one {@code HostComplaints}.
 * <p>Knows nothing of device classes or of the other transports.
 */
package dev.vmbus.transport.shm;
