/**
 * One open VMBus channel and the vocabulary around it: the seed API with Linux's exact results
 * ({@code VmbusChannel}, {@code SendStatus}, {@code RecvStatus}, {@code RecvResult}), masking and
 * {@code pending_send_sz} as operations of the channel, the request-id table ({@code Requestor}), offers and the
 * well-known class GUIDs ({@code Offer}, {@code DeviceClass}, {@code Guid}), the lifecycle vocabulary
 * ({@code ChannelState}, {@code EndReason}), a channel's figures ({@code ChannelStats}) and the agent-wide tally of
 * what the host got wrong ({@code HostComplaints}).
 * <p>Knows nothing of Vert.x or of which transport the ring memory comes from.
 */
package dev.vmbus.channel;
