package dev.vmbus.ic;

/**
 * The {@code status} of an {@code icmsg_hdr}: an HRESULT-like u32 (spec ic-protocols.md section 1.6). Prints as hex
 * ({@code 0x80004005}, {@code 0x0}), as the API and the logs show it. Compare with {@link #equals} (or
 * {@link #isOk()}); {@link #of} returns the named constant for a known value. Immutable.
 *
 * @param value the u32 as a Java int (so {@code 0x80004005} is negative)
 */
public record IcStatus(int value) {
    /** {@code HV_S_OK}. */
    public static final IcStatus S_OK = new IcStatus(0);
    /** {@code HV_E_FAIL}: generic failure. */
    public static final IcStatus E_FAIL = new IcStatus(0x80004005);
    /** {@code HV_S_CONT} (ERROR_NO_MORE_ITEMS): KVP end of enumeration, and Linux's KVP set/get/delete failure. */
    public static final IcStatus S_CONT = new IcStatus(0x80070103);
    /** {@code HV_ERROR_NOT_SUPPORTED}. */
    public static final IcStatus ERROR_NOT_SUPPORTED = new IcStatus(0x80070032);
    /** {@code HV_ERROR_MACHINE_LOCKED} (defined, unused by Linux). */
    public static final IcStatus ERROR_MACHINE_LOCKED = new IcStatus(0x800704F7);
    /** {@code HV_ERROR_DEVICE_NOT_CONNECTED} (defined, unused by Linux). */
    public static final IcStatus ERROR_DEVICE_NOT_CONNECTED = new IcStatus(0x8007048F);
    /** {@code HV_INVALIDARG}: KVP set-IP with an unparsable address. */
    public static final IcStatus INVALIDARG = new IcStatus(0x80070057);
    /** {@code HV_GUID_NOTFOUND}: KVP set-IP for a NIC that is not there. */
    public static final IcStatus GUID_NOTFOUND = new IcStatus(0x80041002);
    /** {@code HV_ERROR_ALREADY_EXISTS}: fcopy target exists and OVER_WRITE is clear. */
    public static final IcStatus ERROR_ALREADY_EXISTS = new IcStatus(0x80070050);
    /** {@code HV_ERROR_DISK_FULL}: fcopy ENOSPC. */
    public static final IcStatus ERROR_DISK_FULL = new IcStatus(0x80070070);

    private static final IcStatus[] KNOWN = {S_OK, E_FAIL, S_CONT, ERROR_NOT_SUPPORTED, ERROR_MACHINE_LOCKED,
            ERROR_DEVICE_NOT_CONNECTED, INVALIDARG, GUID_NOTFOUND, ERROR_ALREADY_EXISTS, ERROR_DISK_FULL};

    /** The status with this value: the named constant when there is one. */
    public static IcStatus of(int value) {
        for (IcStatus s : KNOWN) {
            if (s.value == value) {
                return s;
            }
        }
        return new IcStatus(value);
    }

    public boolean isOk() {
        return value == 0;
    }

    /** {@code 0x} and the unsigned hex digits, lower case, no padding: {@code 0x0}, {@code 0x80070103}. */
    @Override
    public String toString() {
        return "0x" + Integer.toHexString(value);
    }
}
