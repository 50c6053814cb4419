package dev.vmbus.bus;

import dev.vmbus.channel.ChannelState;
import dev.vmbus.channel.EndReason;
import dev.vmbus.channel.Offer;
import dev.vmbus.transport.uio.KernelChannelCounters;

/**
 * One channel as the agent lists it: the offer, the name of its class, where it is in its life, and for an open
 * channel its live figures. Immutable; the withers return copies.
 *
 * @param className the handler's name for the class, the well-known name, or the class GUID
 * @param handled   whether a handler is enabled for the class; null when the lister cannot say (the simulated
 *                  host listing its own ends)
 * @param reason    why it faulted or closed, or null
 * @param sample    the live figures of an open channel that answered in time, or null
 * @param kernel    the kernel's own attributes of the channel (uio only), or null
 */
public record ChannelView(Offer offer, String className, ChannelState state, Boolean handled, EndReason reason,
                          ChannelSample sample, KernelChannelCounters.Values kernel) {

    public int relid() {
        return offer.relid();
    }

    public ChannelView withSample(ChannelSample s) {
        return new ChannelView(offer, className, state, handled, reason, s, kernel);
    }

    public ChannelView withKernel(KernelChannelCounters.Values k) {
        return new ChannelView(offer, className, state, handled, reason, sample, k);
    }
}
