/**
 * What a plug-in implements and is handed: the device plug-in ({@code DevicePlugin}) with its settings
 * ({@code DeviceConfig}, {@code NoSettings}), the {@code Device} that answers packets with a {@code Reply}, the
 * context it runs in ({@code DeviceContext}), what it sends ({@code OutboundPacket}), and the base of the
 * integration services ({@code IcDevice}, {@code IcChannelState}). The data types it reads and sends are the lower
 * layers' own ({@code channel.Packet}, {@code ring.TransferPageRanges}, {@code transport.ChannelBuffer}...), which
 * cannot implement an interface of this package; docs/PLUGIN-SPI.md ("What a plug-in may use") lists them, and
 * {@code arch/PluginApiTest} keeps that list equal to what these signatures reach. (The host's end a plug-in may
 * ship for the simulated host is {@code dev.vmbus.host.HostPlugin}: the host knows nothing of this package.)
 * <p>Knows nothing of how channels are run, drained or published.
 */
package dev.vmbus.spi;
