package dev.vmbus.ic;

import dev.vmbus.ic.kvp.KvpMessage;
import dev.vmbus.ic.kvp.KvpOperation;
import dev.vmbus.ic.vss.VssOperation;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The enums numbered by their order ({@link WireCode.InOrder}) carry the numbers of the C enums they copy: every
 * constant's code, and the lookup back, so a constant added in the wrong place or two swapped show up here.
 */
class WireCodeInOrderTest {

    @Test
    void kvpOperationsAreHvKvpExchgOp() {
        List<Integer> codes = List.of(KvpMessage.OP_GET, KvpMessage.OP_SET, KvpMessage.OP_DELETE,
                KvpMessage.OP_ENUMERATE, KvpMessage.OP_GET_IP_INFO, KvpMessage.OP_SET_IP_INFO);
        assertEquals(List.of(0, 1, 2, 3, 4, 5), codes);
        assertEquals(List.of(KvpOperation.GET, KvpOperation.SET, KvpOperation.DELETE, KvpOperation.ENUMERATE,
                KvpOperation.GET_IP_INFO, KvpOperation.SET_IP_INFO),
                codes.stream().map(c -> KvpOperation.of(c).orElseThrow()).toList());
        for (KvpOperation op : KvpOperation.values()) {
            assertEquals(Optional.of(op), KvpOperation.of(op.code()));
        }
    }

    @Test
    void vssOperationsAreHvVssOp() {
        // hv_vss_op (Linux include/uapi/linux/hyperv.h, OpenVMM vss.rs): CREATE 0 ... QUERY_GUEST_CLUSTER_INFO 8
        assertEquals(0, VssOperation.CREATE.code());
        assertEquals(1, VssOperation.DELETE.code());
        assertEquals(2, VssOperation.CHECK_HOT_BACKUP.code());
        assertEquals(3, VssOperation.GET_DM_INFO.code());
        assertEquals(4, VssOperation.BACKUP_COMPLETE.code());
        assertEquals(5, VssOperation.FREEZE.code());
        assertEquals(6, VssOperation.THAW.code());
        assertEquals(7, VssOperation.AUTO_RECOVER.code());
        assertEquals(8, VssOperation.QUERY_GUEST_CLUSTER_INFO.code());
        assertEquals(Optional.of(VssOperation.THAW), VssOperation.of(6));
        assertEquals(Optional.empty(), VssOperation.of(9));
        assertEquals(Optional.empty(), VssOperation.of(-1));
    }
}
