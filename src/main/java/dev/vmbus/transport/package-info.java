/**
 * Where ring memory and signals come from, behind one interface: a {@code GuestTransport} offers channels
 * to an {@code OfferListener} and opens each as a {@code ChannelLink}; a {@code HostTransport} is the simulated host's
 * end; {@code InterruptTarget} is how a link interrupts its reader. The implementations are the sub-packages {@code sim}
 * (host in the same JVM), {@code shm} (host in another process) and {@code uio} (a real guest).
 * <p>Knows nothing of device classes, the event bus or the dashboard; only the wiring layers name a sub-package.
 */
package dev.vmbus.transport;
