/**
 * The running {@code uio} transport on a real Hyper-V guest: the devices {@code uio_hv_generic}
 * serves, read from sysfs by the one reader of {@code bus/vmbus/devices} ({@code VmbusDevices}, the record
 * {@code VmbusDevice}; {@code UioDiscovery} adds a served device's maps, {@code UioDevice}), what this kernel may
 * serve ({@code ServePolicy}, asked by the transport, {@code doctor}, {@code bind} and {@code run} alike), their maps ({@code SharedMemory},
 * {@code MappedChannel}), interrupts on one epoll thread ({@code InterruptThread}) and kicks coalesced off the event
 * loop ({@code KickThread}, {@code MonitorKick}), what the running kernel's driver can do ({@code KernelFeatures}) and
 * the kernel's own per-channel counters ({@code KernelChannelCounters}, read into {@code transport.KernelCounters}). {@code UioNodes} is the seam that lets test
 * fixtures stand in for {@code /sys} and {@code /dev}.
 * <p>Knows nothing of device classes; the administration ({@code admin}) is used only by the commands and the agent.
 */
package dev.vmbus.transport.uio;
