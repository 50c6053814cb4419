/**
 * The simulated Hyper-V host: offers the integration-service channels and drives each protocol as Hyper-V
 * does ({@code IcHostDevice} negotiates, one driver per service sends heartbeats, time samples, KVP, shutdown, VSS and
 * file copy requests), with its own partition clock, over any {@code HostTransport}; {@code HostControl} and
 * {@code HostChannels} are the interfaces the dashboard drives it through. A plug-in's class is offered through
 * {@code host.offers} and answered by the {@code HostPlugin} the plug-in ships ({@code HostCounterpart} on a
 * {@code HostLink}) or by the host's script; {@code HostDevice} is any channel the host drives.
 * <p>Knows nothing of the guest's devices, bus or dashboard.
 */
package dev.vmbus.host;
