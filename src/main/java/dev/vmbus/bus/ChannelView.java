package dev.vmbus.bus;

import dev.vmbus.channel.ChannelState;
import dev.vmbus.channel.ChannelStats;
import dev.vmbus.channel.EndReason;
import dev.vmbus.channel.HostComplaints;
import dev.vmbus.channel.Offer;
import dev.vmbus.runtime.Outstanding;
import dev.vmbus.spi.SendSections;
import dev.vmbus.transport.KernelCounters;

/**
 * One channel at one moment, the agent's only per-channel record: the offer, the name of its class, where it is in
 * its life, and for an open channel that answered in time its live figures. What {@code vmbus.channels.list} lists
 * (without figures), what {@code vmbus.channel.<relid>.stats} answers (with them, taken on the channel's own
 * context) and what {@link AgentSnapshot} holds one of per channel. The offer and the state are held here only;
 * {@link ChannelStats} carries just the channel end's counters and ring headers. Immutable; the withers return
 * copies.
 *
 * @param className   the handler's name for the class, the well-known name, or the class GUID
 * @param handled     whether a handler is enabled for the class; null when the lister cannot say (the simulated
 *                    host listing its own ends)
 * @param reason      why it ended, or null while open: the one place a channel's fault is held. Normally the
 *                    listing's, so it agrees with {@code state}; when the channel's own answer (taken after the
 *                    listing) shows it ended and the listing has not heard yet, the channel's own
 *                    ({@link #withFigures}): {@code state} then still says what the listing saw
 * @param stats       the channel end's counters and ring headers, or null when it has none to show (not open, or
 *                    it did not answer in time)
 * @param complaints  what the host got wrong on it, or null where nobody counts that (the simulated host's ends)
 * @param outstanding what its device holds (packets, credit, receive-buffer slots, completions owed) and the
 *                    completions it waits for; null where nobody counts that
 * @param sections    the send sections its device took ({@code ChannelPort.sendSections}), or null if none
 * @param kernel      the kernel's own attributes of the channel (uio only), or null
 */
public record ChannelView(Offer offer, String className, ChannelState state, Boolean handled, EndReason reason,
                          ChannelStats stats, HostComplaints.Tally complaints, Outstanding outstanding,
                          SendSections.Use sections, KernelCounters kernel) {

    /** A listing entry, without live figures. */
    public static ChannelView listed(Offer offer, String className, ChannelState state, Boolean handled,
                                     EndReason reason) {
        return new ChannelView(offer, className, state, handled, reason, null, null, null, null, null);
    }

    /** An end's live figures without a device's use or complaints (a simulated host's end). */
    public static ChannelView hostEnd(Offer offer, String className, ChannelState state, ChannelStats stats) {
        return new ChannelView(offer, className, state, null, null, stats, null, null, null, null);
    }

    public int relid() {
        return offer.relid();
    }

    /** Whether it carries live figures. */
    public boolean live() {
        return stats != null;
    }

    /**
     * This listing entry with the live figures of {@code figures} (the channel's own answer), or itself if null. The
     * listing's state stays; so does its reason, unless it has none and the channel says why it ended (the channel
     * ended after the listing was taken).
     */
    public ChannelView withFigures(ChannelView figures) {
        if (figures == null) {
            return this;
        }
        return new ChannelView(offer, className, state, handled, reason != null ? reason : figures.reason,
                figures.stats, figures.complaints, figures.outstanding, figures.sections, kernel);
    }

    /**
     * Why the channel faulted, or null: the reason if it is a fault. Also set while {@code state} still says open
     * when the channel's own figures were taken after it faulted.
     */
    public EndReason fault() {
        return reason != null && reason.state() == ChannelState.FAULTED ? reason : null;
    }

    public ChannelView withKernel(KernelCounters k) {
        return new ChannelView(offer, className, state, handled, reason, stats, complaints, outstanding, sections, k);
    }
}
