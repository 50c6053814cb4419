/**
 * The guest's time sync: answers the host's samples, estimates the host's offset on the raw
 * monotonic clock, feeds chronyd's refclock socket ({@code ChronyFeed}, {@code SockSample}) and, when configured,
 * steps the clock on a SYNC ({@code ClockStepper}).
 * <p>Knows nothing of rings, transports or the other device classes; native calls go through {@code os}.
 */
package dev.vmbus.device.timesync;
