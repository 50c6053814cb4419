package dev.vmbus.runtime;

import dev.vmbus.channel.Packet;

/**
 * The transfer-page packets a batch handler still owes a completion for, each with the credit units it holds
 * ({@link IdSlots} keyed by the packet's transaction id and matched by identity: the host may reuse an id, so two
 * owed packets can share one; each is still its own entry). What {@link Inbox} touches twice per packet
 * (delivered, completed), in place of an {@code IdentityHashMap}, whose identity hash costs a header write per
 * fresh packet.
 *
 * <p>Not thread-safe: one owner (the channel's context).
 */
final class OwedPackets extends IdSlots {

    /** Adds {@code packet}, which holds {@code cost} units (at least one); the caller adds each packet once. */
    void add(Packet packet, int cost) {
        if (cost <= 0) {
            throw new IllegalArgumentException("a packet holds at least one unit, got " + cost);
        }
        long id = packet.transactionId();
        int mask = ids.length - 1;
        int i = slot(id, mask);
        while (values[i] != 0) {
            i = (i + 1) & mask;
        }
        put(i, id, packet, cost);
    }

    /** Removes {@code packet} (this very instance) and returns the units it held, or -1 if it is not here. */
    int remove(Packet packet) {
        long id = packet.transactionId();
        int mask = ids.length - 1;
        for (int i = slot(id, mask); values[i] != 0; i = (i + 1) & mask) {
            if (refs[i] == packet) {
                int held = values[i];
                removeAt(i);
                return held;
            }
        }
        return -1;
    }
}
