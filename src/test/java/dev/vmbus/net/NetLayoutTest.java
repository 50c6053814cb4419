package dev.vmbus.net;

import org.junit.jupiter.api.Test;

import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link NetLayout#at}'s cache answers what the layout itself answers, for every field the codecs declare. */
class NetLayoutTest {

    /** Every public GroupLayout constant of NVSP and RNDIS. */
    private static List<GroupLayout> layouts() throws IllegalAccessException {
        List<GroupLayout> out = new ArrayList<>();
        for (Class<?> c : List.of(Nvsp.class, Rndis.class)) {
            for (Field f : c.getDeclaredFields()) {
                if (Modifier.isStatic(f.getModifiers()) && Modifier.isPublic(f.getModifiers())
                        && GroupLayout.class.isAssignableFrom(f.getType())) {
                    out.add((GroupLayout) f.get(null));
                }
            }
        }
        return out;
    }

    @Test
    void everyFieldOffsetMatchesTheLayoutFirstAndAgain() throws IllegalAccessException {
        List<GroupLayout> layouts = layouts();
        assertTrue(layouts.size() >= 30, "found only " + layouts.size() + " layouts");
        int fields = 0;
        for (int round = 0; round < 3; round++) { // the first round fills the cache, the next ones read it
            for (GroupLayout layout : layouts) {
                for (MemoryLayout member : layout.memberLayouts()) {
                    if (member.name().isEmpty()) {
                        continue; // padding
                    }
                    String name = member.name().get();
                    long expected = layout.byteOffset(PathElement.groupElement(name));
                    assertEquals(expected, NetLayout.at(layout, name), layout + " ." + name + " round " + round);
                    // a new String with the same text finds the same entry
                    assertEquals(expected, NetLayout.at(layout, new String(name)), layout + " ." + name);
                    fields++;
                }
            }
        }
        assertTrue(fields > 300, "checked only " + fields + " field offsets");
    }

    @Test
    void sameFieldNameInTwoLayoutsKeepsEachLayoutsOffset() {
        GroupLayout a = NetLayout.struct("a", NetLayout.u32("x"), NetLayout.u32("y"));
        GroupLayout b = NetLayout.struct("b", NetLayout.u32("y"), NetLayout.u32("x"));
        for (int i = 0; i < 2; i++) {
            assertEquals(4, NetLayout.at(a, "y"));
            assertEquals(0, NetLayout.at(b, "y"));
            assertEquals(0, NetLayout.at(a, "x"));
            assertEquals(4, NetLayout.at(b, "x"));
        }
    }

    /**
     * The offsets the data path reads and writes for every frame without asking {@link NetLayout#at} (Rndis's
     * and Nvsp's constants) are the layouts' own, each the field its name says.
     */
    @Test
    void dataPathConstantsAreTheLayoutsOffsets() {
        record Case(int constant, GroupLayout layout, String field) {
        }
        List<Case> cases = List.of(
                new Case(Rndis.HEADER_MSG_LEN, Rndis.HEADER, "msg_len"),
                new Case(Rndis.PACKET_TYPE, Rndis.PACKET, "type"),
                new Case(Rndis.PACKET_MSG_LEN, Rndis.PACKET, "msg_len"),
                new Case(Rndis.PACKET_DATA_OFFSET, Rndis.PACKET, "data_offset"),
                new Case(Rndis.PACKET_DATA_LEN, Rndis.PACKET, "data_len"),
                new Case(Rndis.PACKET_OOB_OFFSET, Rndis.PACKET, "oob_offset"),
                new Case(Rndis.PACKET_OOB_LEN, Rndis.PACKET, "oob_len"),
                new Case(Rndis.PACKET_OOB_COUNT, Rndis.PACKET, "oob_count"),
                new Case(Rndis.PACKET_PPI_OFFSET, Rndis.PACKET, "ppi_offset"),
                new Case(Rndis.PACKET_PPI_LEN, Rndis.PACKET, "ppi_len"),
                new Case(Rndis.PACKET_VC_HANDLE, Rndis.PACKET, "vc_handle"),
                new Case(Rndis.PPI_FIELD_SIZE, Rndis.PPI, "size"),
                new Case(Rndis.PPI_FIELD_TYPE, Rndis.PPI, "type"),
                new Case(Rndis.PPI_FIELD_OFFSET, Rndis.PPI, "offset"),
                new Case(Nvsp.RNDIS_PKT_CHANNEL_TYPE, Nvsp.SEND_RNDIS_PKT, "channel_type"),
                new Case(Nvsp.RNDIS_PKT_SECTION_INDEX, Nvsp.SEND_RNDIS_PKT, "send_buf_section_index"),
                new Case(Nvsp.RNDIS_PKT_SECTION_SIZE, Nvsp.SEND_RNDIS_PKT, "send_buf_section_size"),
                new Case(Nvsp.RNDIS_PKT_COMPLETE_STATUS, Nvsp.SEND_RNDIS_PKT_COMPLETE, "status"));
        for (Case c : cases) {
            assertEquals(c.layout().byteOffset(PathElement.groupElement(c.field())), c.constant(),
                    c.layout() + " ." + c.field());
        }
        assertEquals(Rndis.HEADER.byteSize(), Rndis.MESSAGE_HEADER_SIZE);
    }

    @Test
    void unknownFieldStillFails() {
        assertThrows(IllegalArgumentException.class, () -> NetLayout.at(Rndis.PACKET, "no_such_field"));
    }
}
