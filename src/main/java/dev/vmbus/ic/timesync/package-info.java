/**
 * The time sync messages in their v3 and v4 layouts ({@code TimesyncMessage}), the host's
 * {@code FILETIME} ({@code FileTime}), one decoded sample ({@code HostTimeSample}), and how the guest estimates the
 * partition reference counter it cannot read ({@code ReferenceClock}, {@code CounterEpoch}).
 * <p>Knows nothing of chronyd, of stepping the clock or of Vert.x.
 */
package dev.vmbus.ic.timesync;
