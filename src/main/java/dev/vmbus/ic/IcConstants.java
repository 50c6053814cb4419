package dev.vmbus.ic;

/**
 * Integration-component constants ({@code include/linux/hyperv.h}, {@code include/uapi/linux/hyperv.h},
 * OpenVMM {@code hyperv_ic_protocol}); spec ic-protocols.md section 1.
 */
public final class IcConstants {
    // Message types (icmsgtype)
    public static final int MSGTYPE_NEGOTIATE = 0;
    public static final int MSGTYPE_HEARTBEAT = 1;
    public static final int MSGTYPE_KVPEXCHANGE = 2;
    public static final int MSGTYPE_SHUTDOWN = 3;
    public static final int MSGTYPE_TIMESYNC = 4;
    public static final int MSGTYPE_VSS = 5;
    public static final int MSGTYPE_FCOPY = 7;

    // icflags
    public static final int FLAG_TRANSACTION = 1;
    public static final int FLAG_REQUEST = 2;
    public static final int FLAG_RESPONSE = 4;
    /** What a host request carries. */
    public static final int FLAGS_HOST_REQUEST = FLAG_TRANSACTION | FLAG_REQUEST;
    /** What Linux writes into every reply, whatever the host sent. */
    public static final int FLAGS_GUEST_RESPONSE = FLAG_TRANSACTION | FLAG_RESPONSE;

    // Pipe header packet types
    public static final int PIPE_DATA = 1;

    // Status codes: the IcStatus constants under the names the handlers use (declared in IcStatus)
    public static final IcStatus S_OK = IcStatus.S_OK;
    public static final IcStatus E_FAIL = IcStatus.E_FAIL;
    public static final IcStatus S_CONT = IcStatus.S_CONT;
    public static final IcStatus ERROR_NOT_SUPPORTED = IcStatus.ERROR_NOT_SUPPORTED;
    public static final IcStatus INVALIDARG = IcStatus.INVALIDARG;
    public static final IcStatus GUID_NOTFOUND = IcStatus.GUID_NOTFOUND;
    public static final IcStatus ERROR_ALREADY_EXISTS = IcStatus.ERROR_ALREADY_EXISTS;
    public static final IcStatus ERROR_DISK_FULL = IcStatus.ERROR_DISK_FULL;

    /** {@code IC_VERSION_NEGOTIATION_MAX_VER_COUNT}: more versions than this is treated as no match. */
    public static final int MAX_VERSION_COUNT = 100;

    private IcConstants() {
    }

    /**
     * Credit of an IC channel: the host sends one request and waits for its answer (Linux's util drivers handle one
     * message per callback), so a well-behaved host never has more than one outstanding; a few leave room for a
     * host that pipelines, and bound what a hostile one can queue in front of the other channels of its handler.
     */
    public static final int IC_CREDIT = 4;
}
