/**
 * The guest's shutdown service: validates the host's request and runs the configured power-off,
 * reboot or hibernate command (or only logs it in dry-run).
 * <p>Knows nothing of rings, transports or the other device classes.
 */
package dev.vmbus.device.shutdown;
