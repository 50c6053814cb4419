package dev.vmbus.config;

/**
 * Names of network interfaces: which names Linux takes, and names numbered on from a first one, as the synthetic
 * NICs of both ends are named.
 */
public final class InterfaceNames {
    /** Linux's IFNAMSIZ: a name and its terminating NUL. */
    public static final int IFNAMSIZ = 16;

    private InterfaceNames() {
    }

    /**
     * Whether {@code name} is a name Linux gives an interface ({@code dev_valid_name}): 1 to 15 bytes, no '/', ':'
     * or white space, not "." or "..". Printable ASCII only here, so that it reads the same in every log.
     */
    public static boolean valid(String name) {
        return name != null && !name.isEmpty() && name.length() < IFNAMSIZ && !name.equals(".") && !name.equals("..")
                && name.chars().allMatch(c -> c > ' ' && c < 127 && c != '/' && c != ':');
    }

    /** What {@link #valid} takes, in words for a message. */
    public static final String RULE = "1 to 15 printable ASCII characters, no '/', ':' or space, not '.' or '..'";

    /**
     * The name of the {@code n}th of a machine's interfaces named after {@code first} (n from 0): {@code first}
     * itself, then its trailing number plus {@code n} ({@code vmbus0}, {@code vmbus1}, ...), or {@code n} appended
     * when it ends in none ({@code nic}, {@code nic1}, ...), as Linux numbers {@code eth0}, {@code eth1}.
     */
    public static String nth(String first, int n) {
        if (n < 0) {
            throw new IllegalArgumentException("no interface number " + n);
        }
        if (n == 0) {
            return first;
        }
        int digits = first.length();
        while (digits > 0 && Character.isDigit(first.charAt(digits - 1))) {
            digits--;
        }
        if (digits == first.length() || first.length() - digits > 9) {
            return first + n;
        }
        return first.substring(0, digits) + (Long.parseLong(first.substring(digits)) + n);
    }
}
