/**
 * The {@code sim} transport: {@code SimBus} puts both ends of every channel in one JVM, the rings
 * in heap-free memory segments, signals as context hops, so the simulated host and the guest run side by side in
 * tests, the dashboard's demo and {@code vmbus run --transport sim}.
 * <p>Knows nothing of device classes or of the other transports.
 */
package dev.vmbus.transport.sim;
