package dev.vmbus.spi;

import dev.vmbus.channel.Offer;
import dev.vmbus.transport.ChannelBuffer;
import dev.vmbus.transport.GuestMemory;
import io.vertx.core.shareddata.Shareable;

import java.util.List;
import java.util.Optional;

/**
 * What a device gets with each open channel of its class ({@link Device#channelOpened}): the offer (relid,
 * subchannel index), the channel's receive and send buffers named by GPADL handle (uio maps 3 and 4, shared by a
 * device's primary and subchannels; empty when the host shares none), and the transport's guest memory for
 * GPA-direct packets (which says why when it cannot be used).
 *
 * <p>Immutable; the buffers' memory is shared with the host, which may write it at any time: copy before you
 * validate. A transfer-page packet's data is read in place with {@code buffer(RECEIVE).slice(offset, count)}, which
 * refuses any range outside the buffer.
 */
public record DeviceChannel(Offer offer, List<ChannelBuffer> buffers, GuestMemory guestMemory) implements Shareable {

    public DeviceChannel {
        buffers = List.copyOf(buffers);
    }

    public int relid() {
        return offer.relid();
    }

    /** The buffer of {@code kind}, if the host shares one. */
    public Optional<ChannelBuffer> buffer(ChannelBuffer.Kind kind) {
        return buffers.stream().filter(b -> b.kind() == kind).findFirst();
    }
}
