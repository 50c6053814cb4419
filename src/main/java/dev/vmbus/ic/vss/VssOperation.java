package dev.vmbus.ic.vss;

import dev.vmbus.ic.WireCode;

import java.util.Optional;

/** VSS operations ({@code hv_vss_op}, OpenVMM {@code vss.rs}); FREEZE, THAW and AUTO_RECOVER need service 5.0. */
public enum VssOperation implements WireCode {
    CREATE(0), DELETE(1), CHECK_HOT_BACKUP(2), GET_DM_INFO(3), BACKUP_COMPLETE(4), FREEZE(5), THAW(6),
    AUTO_RECOVER(7), QUERY_GUEST_CLUSTER_INFO(8);

    private final int code;

    VssOperation(int code) {
        this.code = code;
    }

    @Override
    public int code() {
        return code;
    }

    /** The operation with this code, or empty for a value no version defines. */
    public static Optional<VssOperation> of(int code) {
        return WireCode.byCode(values(), code);
    }

    /** Whether Linux hands this operation to its daemon (the rest are answered at once with success). */
    public boolean needsDaemon() {
        return this == FREEZE || this == THAW || this == CHECK_HOT_BACKUP;
    }
}
