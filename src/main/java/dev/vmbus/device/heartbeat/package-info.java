/**
 * The guest's heartbeat: answers each of the host's heartbeats with the sequence number + 1 and
 * keeps the age of the last one for the dashboard's health.
 * <p>Knows nothing of rings, transports or the other device classes.
 */
package dev.vmbus.device.heartbeat;
