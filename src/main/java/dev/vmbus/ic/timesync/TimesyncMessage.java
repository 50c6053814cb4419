package dev.vmbus.ic.timesync;

import dev.vmbus.ic.IcLayout;
import dev.vmbus.ic.IcMessage;
import dev.vmbus.ic.IcVersion;

import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Time sync message bodies (type 4, spec ic-protocols.md section 3.2), at payload offset 28. The layout is chosen
 * by the negotiated service version: above 3.0 the v4 layout, otherwise (and before negotiation) the old one.
 *
 * <pre>
 *   old (1.x-3.x):  28 parenttime u64 | 36 childtime u64 | 44 roundtriptime u64 | 52 flags u8 | 53 reserved[3]
 *   v4 (4.0):       28 parenttime u64 | 36 vmreferencetime u64 | 44 flags u8 | 45 leapflags u8 | 46 stratum u8
 *                   | 47 reserved
 * </pre>
 *
 * Both layouts are declared once, as Linux's structs ({@link #LEGACY_LAYOUT}, {@link #V4_LAYOUT}) and as the host
 * sends them ({@link #LEGACY_HOST_LAYOUT}, {@link #V4_HOST_LAYOUT}: OpenVMM's, with more reserved bytes); the
 * offsets are read from them. Stateless.
 */
public final class TimesyncMessage {
    /** {@code ictimesync_data}, packed as Linux declares it (body 25). */
    public static final GroupLayout LEGACY_LAYOUT = legacy("ictimesync_data", 0);
    /** The old layout as a host sends it: three reserved bytes after the flags (body 28). */
    public static final GroupLayout LEGACY_HOST_LAYOUT = legacy("ictimesync_data_host", 3);
    /** {@code ictimesync_ref_data} as Linux declares it (body 22). */
    public static final GroupLayout V4_LAYOUT = v4("ictimesync_ref_data", 3);
    /** The v4 layout as OpenVMM's host sends it: five reserved bytes (body 24). */
    public static final GroupLayout V4_HOST_LAYOUT = v4("ictimesync_ref_data_host", 5);

    /** The old struct; the guest's and the host's differ only in the reserved bytes after the flags. */
    private static GroupLayout legacy(String name, int reserved) {
        List<MemoryLayout> fields = new ArrayList<>(List.of(
                IcLayout.U64.withName("parenttime"),
                IcLayout.U64.withName("childtime"),
                IcLayout.U64.withName("roundtriptime"),
                IcLayout.U8.withName("flags")));
        if (reserved > 0) {
            fields.add(IcLayout.bytes(reserved).withName("reserved"));
        }
        return IcLayout.message(name, fields.toArray(MemoryLayout[]::new));
    }

    /** The v4 struct; the guest's and the host's differ only in the reserved tail. */
    private static GroupLayout v4(String name, int reserved) {
        return IcLayout.message(name,
                IcLayout.U64.withName("parenttime"),
                IcLayout.U64.withName("vmreferencetime"),
                IcLayout.U8.withName("flags"),
                IcLayout.U8.withName("leapflags"),
                IcLayout.U8.withName("stratum"),
                IcLayout.bytes(reserved).withName("reserved"));
    }

    public static final int PARENT_TIME = IcLayout.offset(V4_LAYOUT, "parenttime");
    public static final int LEGACY_CHILD_TIME = IcLayout.offset(LEGACY_LAYOUT, "childtime");
    public static final int LEGACY_ROUND_TRIP_TIME = IcLayout.offset(LEGACY_LAYOUT, "roundtriptime");
    public static final int LEGACY_FLAGS = IcLayout.offset(LEGACY_LAYOUT, "flags");
    /** Linux's packed old struct: the least body it accepts. */
    public static final int LEGACY_MIN_BODY = IcLayout.bodySize(LEGACY_LAYOUT);
    /** What a host sends for the old layout (OpenVMM's struct, padded). */
    public static final int LEGACY_HOST_BODY = IcLayout.bodySize(LEGACY_HOST_LAYOUT);

    public static final int V4_REFERENCE_TIME = IcLayout.offset(V4_LAYOUT, "vmreferencetime");
    public static final int V4_FLAGS = IcLayout.offset(V4_LAYOUT, "flags");
    public static final int V4_LEAP_FLAGS = IcLayout.offset(V4_LAYOUT, "leapflags");
    public static final int V4_STRATUM = IcLayout.offset(V4_LAYOUT, "stratum");
    /** Linux's v4 struct: the least body it accepts. */
    public static final int V4_MIN_BODY = IcLayout.bodySize(V4_LAYOUT);
    /** What OpenVMM's host sends (5 reserved bytes instead of 3). */
    public static final int V4_HOST_BODY = IcLayout.bodySize(V4_HOST_LAYOUT);

    /** {@code ICTIMESYNCFLAG_PROBE}: no flag. */
    public static final int FLAG_PROBE = 0;
    /** {@code ICTIMESYNCFLAG_SYNC}: set the clock now (after boot, restore, resume). */
    public static final int FLAG_SYNC = 1;
    /** {@code ICTIMESYNCFLAG_SAMPLE}: a periodic hint. */
    public static final int FLAG_SAMPLE = 2;

    /** The v4 layout starts above this service version (Linux: {@code ts_srv_version > TS_VERSION_3}). */
    public static final IcVersion LAST_LEGACY_VERSION = IcVersion.of(3, 0);

    private TimesyncMessage() {
    }

    /**
     * One decoded message.
     *
     * @param parentTime    host UTC as FILETIME
     * @param referenceTime v4: the reference counter when {@code parentTime} was taken; old layout: unused (0)
     * @param flags         PROBE, SYNC, SAMPLE
     * @param leapFlags     v4 NTP leap indicator; 0 for the old layout
     * @param stratum       v4 only; 0 for the old layout
     * @param v4            which layout it was read with
     */
    public record Sample(long parentTime, long referenceTime, int flags, int leapFlags, int stratum, boolean v4) {
        public boolean sync() {
            return (flags & FLAG_SYNC) != 0;
        }

        public boolean sample() {
            return (flags & FLAG_SAMPLE) != 0;
        }

        /** "sync", "sample", "sync+sample" or "probe", for logs and the dashboard. */
        public String kind() {
            return sync() && sample() ? "sync+sample" : sync() ? "sync" : sample() ? "sample" : "probe";
        }
    }

    /** Whether messages use the v4 layout under this negotiated service version (null: not negotiated yet). */
    public static boolean usesV4(IcVersion negotiatedService) {
        return negotiatedService != null && negotiatedService.compareTo(LAST_LEGACY_VERSION) > 0;
    }

    /** Decodes a message, or empty when it is shorter than Linux accepts for that layout. */
    public static Optional<Sample> read(IcMessage m, boolean v4) {
        if (v4) {
            if (!m.hasBody(V4_MIN_BODY)) {
                return Optional.empty();
            }
            byte[] b = m.bytes();
            return Optional.of(new Sample(m.u64(PARENT_TIME), m.u64(V4_REFERENCE_TIME), b[V4_FLAGS] & 0xFF,
                    b[V4_LEAP_FLAGS] & 0xFF, b[V4_STRATUM] & 0xFF, true));
        }
        if (!m.hasBody(LEGACY_MIN_BODY)) {
            return Optional.empty();
        }
        return Optional.of(new Sample(m.u64(PARENT_TIME), 0, m.bytes()[LEGACY_FLAGS] & 0xFF, 0, 0, false));
    }

    /** The body length a host sends for the layout. */
    public static int hostBodyLength(boolean v4) {
        return v4 ? V4_HOST_BODY : LEGACY_HOST_BODY;
    }

    /** Writes a host request body into {@code m} (which has {@link #hostBodyLength} body bytes). */
    public static void write(IcMessage m, boolean v4, long parentTime, long referenceTime, int flags) {
        m.putU64(PARENT_TIME, parentTime);
        if (v4) {
            m.putU64(V4_REFERENCE_TIME, referenceTime);
            m.bytes()[V4_FLAGS] = (byte) flags;
        } else {
            m.bytes()[LEGACY_FLAGS] = (byte) flags;
        }
    }
}
