/**
 * Vert.x, internal: {@code VmbusVerticle} watches the transport's offers and deploys one
 * {@code ChannelVerticle} per channel (it owns the channel, drains it on interrupt, publishes and replies),
 * {@code DeviceVerticle} runs one device class, {@code DeviceRegistry} binds each enabled plug-in's settings once,
 * the event-bus addresses and codecs, the typed snapshots the dashboard reads ({@code AgentSnapshot}, one
 * {@code ChannelView} per channel) and reads the agent's one {@code HostComplaints} through the SPI.
 * <p>Knows no device class: every class arrives through the SPI.
 */
package dev.vmbus.bus;
