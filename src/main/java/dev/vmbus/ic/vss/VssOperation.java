package dev.vmbus.ic.vss;

import dev.vmbus.ic.WireCode;

import java.util.Optional;

/**
 * VSS operations ({@code hv_vss_op}, OpenVMM {@code vss.rs}) in the wire's order, CREATE 0 to QUERY_GUEST_CLUSTER_INFO
 * 8; FREEZE, THAW and AUTO_RECOVER need service 5.0.
 */
public enum VssOperation implements WireCode.InOrder {
    CREATE, DELETE, CHECK_HOT_BACKUP, GET_DM_INFO, BACKUP_COMPLETE, FREEZE, THAW, AUTO_RECOVER,
    QUERY_GUEST_CLUSTER_INFO;

    /** The operation with this code, or empty for a value no version defines. */
    public static Optional<VssOperation> of(int code) {
        return WireCode.byCode(values(), code);
    }

    /** Whether Linux hands this operation to its daemon (the rest are answered at once with success). */
    public boolean needsDaemon() {
        return this == FREEZE || this == THAW || this == CHECK_HOT_BACKUP;
    }
}
