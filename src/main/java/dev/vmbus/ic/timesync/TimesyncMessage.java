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
 * Both layouts are declared once, {@link #LEGACY} and {@link #V4}, each as Linux's struct and as the host sends it
 * (OpenVMM's, with more reserved bytes); the offsets and body lengths are read from them. Stateless.
 */
public final class TimesyncMessage {
    /**
     * One of the two layouts: Linux's struct, whose body is the least a guest accepts, and the same struct as a
     * host sends it, with more reserved bytes at the end; the fields are at the same offsets in both.
     *
     * @param guest the struct as Linux declares it
     * @param host  the struct as a host sends it (OpenVMM's)
     */
    public record Layout(GroupLayout guest, GroupLayout host) {
        /** The least body Linux accepts. */
        public int minBody() {
            return IcLayout.bodySize(guest);
        }

        /** The body a host sends. */
        public int hostBody() {
            return IcLayout.bodySize(host);
        }

        /** The payload offset of {@code field}. */
        public int at(String field) {
            return IcLayout.offset(guest, field);
        }
    }

    /** {@code ictimesync_data} (body 25); a host sends three reserved bytes after the flags (body 28). */
    public static final Layout LEGACY = new Layout(legacy("ictimesync_data", 0), legacy("ictimesync_data_host", 3));
    /** {@code ictimesync_ref_data} (body 22); OpenVMM's host sends five reserved bytes instead of three (body 24). */
    public static final Layout V4 = new Layout(v4("ictimesync_ref_data", 3), v4("ictimesync_ref_data_host", 5));

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

    public static final int PARENT_TIME = V4.at("parenttime");
    public static final int LEGACY_FLAGS = LEGACY.at("flags");
    public static final int V4_REFERENCE_TIME = V4.at("vmreferencetime");
    public static final int V4_FLAGS = V4.at("flags");
    public static final int V4_LEAP_FLAGS = V4.at("leapflags");
    public static final int V4_STRATUM = V4.at("stratum");

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
            if (!m.hasBody(V4.minBody())) {
                return Optional.empty();
            }
            byte[] b = m.bytes();
            return Optional.of(new Sample(m.u64(PARENT_TIME), m.u64(V4_REFERENCE_TIME), b[V4_FLAGS] & 0xFF,
                    b[V4_LEAP_FLAGS] & 0xFF, b[V4_STRATUM] & 0xFF, true));
        }
        if (!m.hasBody(LEGACY.minBody())) {
            return Optional.empty();
        }
        return Optional.of(new Sample(m.u64(PARENT_TIME), 0, m.bytes()[LEGACY_FLAGS] & 0xFF, 0, 0, false));
    }

    /** The body length a host sends for the layout. */
    public static int hostBodyLength(boolean v4) {
        return (v4 ? V4 : LEGACY).hostBody();
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
