package dev.vmbus.runtime;

import dev.vmbus.channel.Packet;

/**
 * The transfer-page packets a batch handler still owes a completion for, each with the credit units it holds: an
 * open-addressed table keyed by the packet's transaction id and matched by identity (the host may reuse an id, so
 * two owed packets can share one; each is still its own entry), with linear probing, deletion by backward shift
 * and growth to stay at most half full. What {@link Inbox} touches twice per packet (delivered, completed), in
 * place of an {@code IdentityHashMap}, whose identity hash costs a header write per fresh packet.
 *
 * <p>Not thread-safe: one owner (the channel's context).
 */
final class OwedPackets {
    private Packet[] packets; // null: the slot is empty
    private int[] units;
    private int size;

    OwedPackets() {
        packets = new Packet[16];
        units = new int[16];
    }

    int size() {
        return size;
    }

    /** Adds {@code packet}, which holds {@code cost} units; the caller adds each packet once. */
    void add(Packet packet, int cost) {
        int mask = packets.length - 1;
        int i = slot(packet.transactionId(), mask);
        while (packets[i] != null) {
            i = (i + 1) & mask;
        }
        packets[i] = packet;
        units[i] = cost;
        if (++size * 2 > packets.length) {
            grow();
        }
    }

    /** Removes {@code packet} (this very instance) and returns the units it held, or -1 if it is not here. */
    int remove(Packet packet) {
        int mask = packets.length - 1;
        for (int i = slot(packet.transactionId(), mask); packets[i] != null; i = (i + 1) & mask) {
            if (packets[i] == packet) {
                int held = units[i];
                packets[i] = null;
                size--;
                shiftBack(i, mask);
                return held;
            }
        }
        return -1;
    }

    /** Slot {@code hole} was emptied: move later entries of its probe run back so every entry stays reachable. */
    private void shiftBack(int hole, int mask) {
        for (int i = (hole + 1) & mask; packets[i] != null; i = (i + 1) & mask) {
            int home = slot(packets[i].transactionId(), mask);
            // The entry at i may fill the hole if its home is not in (hole, i] (cyclically).
            if (((i - home) & mask) >= ((i - hole) & mask)) {
                packets[hole] = packets[i];
                units[hole] = units[i];
                packets[i] = null;
                hole = i;
            }
        }
    }

    private void grow() {
        Packet[] oldPackets = packets;
        int[] oldUnits = units;
        packets = new Packet[oldPackets.length * 2];
        units = new int[oldPackets.length * 2];
        int mask = packets.length - 1;
        for (int j = 0; j < oldPackets.length; j++) {
            if (oldPackets[j] != null) {
                int i = slot(oldPackets[j].transactionId(), mask);
                while (packets[i] != null) {
                    i = (i + 1) & mask;
                }
                packets[i] = oldPackets[j];
                units[i] = oldUnits[j];
            }
        }
    }

    private static int slot(long transactionId, int mask) {
        long h = transactionId * 0x9E3779B97F4A7C15L; // Fibonacci hashing: ids that differ in low bits spread
        return (int) (h ^ (h >>> 32)) & mask;
    }
}
