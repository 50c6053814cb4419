/**
 * The simulated Hyper-V host: offers the integration-service channels and drives each protocol as Hyper-V
 * does ({@code IcHostDevice} negotiates, one driver per service sends heartbeats, time samples, KVP, shutdown, VSS and
 * file copy requests), with its own partition clock, over any {@code HostTransport}; {@code HostControl} and
 * {@code HostChannels} are the interfaces the dashboard drives it through.
 * <p>Knows nothing of the guest's devices, bus or dashboard.
 */
package dev.vmbus.host;
