/**
 * Everything a plug-in author touches, and nothing else: the device plug-in ({@code DevicePlugin}) with its
 * settings ({@code DeviceConfig}, {@code NoSettings}), the {@code Device} that answers packets with a {@code Reply},
 * the context it runs in ({@code DeviceContext}), what it sends ({@code OutboundPacket}), and the base of the
 * integration services ({@code IcDevice}, {@code IcChannelState}).
 * <p>Knows nothing of how channels are run, drained or published.
 */
package dev.vmbus.spi;
