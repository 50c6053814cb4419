package dev.vmbus.ic;

/** An IC framework or service version, {@code {u16 major, u16 minor}} on the wire. */
public record IcVersion(int major, int minor) implements Comparable<IcVersion> {

    public IcVersion {
        if (major < 0 || major > 0xFFFF || minor < 0 || minor > 0xFFFF) {
            throw new IllegalArgumentException("version out of u16 range: " + major + "." + minor);
        }
    }

    public static IcVersion of(int major, int minor) {
        return new IcVersion(major, minor);
    }

    /** Parses {@code "3.0"}. */
    public static IcVersion parse(String text) {
        String[] parts = text.strip().split("\\.");
        if (parts.length != 2) {
            throw new IllegalArgumentException("version must be MAJOR.MINOR, got '" + text + "'");
        }
        return new IcVersion(Integer.parseInt(parts[0]), Integer.parseInt(parts[1]));
    }

    /** {@code major << 16 | minor}, the form Linux compares. */
    public int packed() {
        return major << 16 | minor;
    }

    @Override
    public int compareTo(IcVersion o) {
        return Integer.compare(packed(), o.packed());
    }

    @Override
    public String toString() {
        return major + "." + minor;
    }
}
