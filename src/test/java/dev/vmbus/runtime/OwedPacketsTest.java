package dev.vmbus.runtime;

import dev.vmbus.channel.Packet;
import dev.vmbus.ring.PacketType;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** {@link OwedPackets} against an identity map: the same answers through growth, shared ids and deletion. */
class OwedPacketsTest {

    private static Packet packet(long transactionId) {
        return new Packet(1, PacketType.DATA_USING_XFER_PAGES, 1, transactionId, new byte[0]);
    }

    @Test
    void packetsWithOneIdAreEachTheirOwnEntry() {
        OwedPackets owed = new OwedPackets();
        Packet a = packet(7);
        Packet b = packet(7); // equal as records, but another packet
        owed.add(a, 2);
        assertEquals(-1, owed.remove(b), "an equal packet that was never added is not owed");
        owed.add(b, 3);
        assertEquals(3, owed.remove(b));
        assertEquals(-1, owed.remove(b), "completed twice");
        assertEquals(2, owed.remove(a));
        assertEquals(0, owed.size());
        assertThrows(IllegalArgumentException.class, () -> owed.add(a, 0), "a packet holds at least one unit");
        assertEquals(0, owed.size());
    }

    @Test
    void agreesWithAnIdentityMapOverRandomOperations() {
        SplittableRandom random = new SplittableRandom(20);
        for (long range : new long[] {1, 8, 1024, 1L << 40}) { // one id for all (a hostile host), dense, sparse
            OwedPackets owed = new OwedPackets();
            Map<Packet, Integer> model = new IdentityHashMap<>();
            List<Packet> live = new ArrayList<>();
            List<Packet> gone = new ArrayList<>();
            for (int op = 0; op < 20_000; op++) {
                int choice = random.nextInt(5);
                if (choice < 2 && !live.isEmpty()) {
                    Packet p = live.remove(random.nextInt(live.size()));
                    assertEquals((int) model.remove(p), owed.remove(p), "remove at op " + op);
                    gone.add(p);
                } else if (choice == 2 && !gone.isEmpty()) {
                    assertEquals(-1, owed.remove(gone.get(random.nextInt(gone.size()))), "a settled packet, op " + op);
                } else if (live.size() < 1500) {
                    Packet p = packet(random.nextLong(range));
                    int cost = 1 + random.nextInt(8);
                    owed.add(p, cost);
                    model.put(p, cost);
                    live.add(p);
                }
                assertEquals(model.size(), owed.size(), "size at op " + op);
            }
            for (Packet p : live) {
                assertEquals((int) model.get(p), owed.remove(p));
            }
            assertEquals(0, owed.size());
        }
    }
}
