/**
 * The guest's backup (VSS) service: freezes and thaws the configured mounts ({@code Freezer}) for the
 * host's snapshot, keeping log records in memory while they are frozen ({@code LogHold}) so that no write waits
 * for the thaw.
 * <p>Knows nothing of rings, transports or the other device classes.
 */
package dev.vmbus.device.vss;
