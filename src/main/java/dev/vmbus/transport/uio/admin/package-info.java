/**
 * The administration of {@code uio_hv_generic} that {@code vmbus doctor}, {@code bind},
 * {@code unbind} and {@code run} share, over the transport's own sysfs reader ({@code uio.VmbusDevices}) and kernel
 * limits ({@code uio.KernelLimits}): the serve policy, which adds each class's risk to the kernel's limits
 * ({@code ServePolicy}); what may be served here ({@code Diagnosis}, {@code SystemView}, {@code UioRefusal}); and
 * the reversible move of a class's devices, or of those {@code --device} chose ({@code DeviceSelection}, each through its
 * own {@code DriverOverride} where the kernel has one), between their kernel driver and uio ({@code UioBinder}).
 * <p>Used only by the composition root and the commands; the running transport never calls it.
 */
package dev.vmbus.transport.uio.admin;
