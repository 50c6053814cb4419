/**
 * The guest's file copy service: receives the host's files in fragments into a partial file and
 * renames it into place, only below the configured roots ({@code TargetResolver}), refusing anything else with a
 * reason ({@code CopyRefused}).
 * <p>Knows nothing of rings, transports or the other device classes.
 */
package dev.vmbus.device.fcopy;
