/**
 * The running {@code uio} transport on a real Hyper-V guest: the devices {@code uio_hv_generic}
 * serves, read from sysfs by the one reader of {@code bus/vmbus/devices} ({@code VmbusDevices}, the record
 * {@code VmbusDevice}; {@code UioDiscovery} adds a served device's maps, {@code UioDevice}), what this kernel cannot
 * serve whatever the class ({@code KernelLimits}, asked by the transport at each scan and open, and by
 * {@code admin.ServePolicy}), their maps ({@code SharedMemory}, {@code MappedChannel}), interrupts on one epoll thread
 * ({@code InterruptThread}) and kicks coalesced off the event loop ({@code KickThread}, {@code MonitorKick}), what the
 * running kernel's driver can do ({@code KernelFeatures}) and the kernel's own per-channel counters
 * ({@code KernelChannelCounters}, read into {@code transport.KernelCounters}). {@code UioNodes} is the seam that lets
 * test fixtures stand in for {@code /sys} and {@code /dev}.
 * <p>Decides nothing by device class: it serves the class GUIDs it finds and only names them in messages
 * ({@code VmbusDevice.className}). Which classes may be taken, and from which kernel driver, is the administration's
 * ({@code admin}), which only the commands and the agent use.
 */
package dev.vmbus.transport.uio;
