/**
 * The service manager's protocol: {@code sd_notify} messages (READY, STATUS, WATCHDOG, STOPPING) on
 * {@code NOTIFY_SOCKET} ({@code SystemdNotify}), readiness once every enabled channel is open ({@code Readiness}), and
 * a watchdog that pings only while every event loop answers ({@code EventLoopWatchdog}).
 * <p>Knows nothing of devices or channels beyond their readiness.
 */
package dev.vmbus.systemd;
