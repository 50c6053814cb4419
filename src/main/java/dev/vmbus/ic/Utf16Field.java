package dev.vmbus.ic;

/**
 * NUL-terminated UTF-16LE string fields of IC messages (KVP keys and values, file-copy names). Decoding is
 * strict: an unpaired surrogate is an error, not a replacement character, because a key or file name that is
 * silently changed would name something other than what the host meant.
 */
public final class Utf16Field {
    private Utf16Field() {
    }

    /**
     * Decodes a field whose byte size (terminator included) the message states, as KVP's {@code key_size}.
     *
     * @param sizeBytes the stated size; must be even, at least 2 and at most {@code capacityBytes}
     * @throws MalformedFieldException on a bad size, no NUL within the size, or invalid UTF-16
     */
    public static String decodeSized(byte[] buf, int offset, int sizeBytes, int capacityBytes)
            throws MalformedFieldException {
        if (sizeBytes < 2 || (sizeBytes & 1) != 0 || sizeBytes > capacityBytes) {
            throw new MalformedFieldException("string size " + sizeBytes + " must be even and 2.." + capacityBytes
                    + " bytes (NUL included)");
        }
        return decode(buf, offset, sizeBytes);
    }

    /**
     * Decodes up to the first NUL unit within {@code capacityBytes}, as a fixed {@code WCHAR[n]} field.
     *
     * @throws MalformedFieldException if there is no NUL within the field or the text is not valid UTF-16
     */
    public static String decode(byte[] buf, int offset, int capacityBytes) throws MalformedFieldException {
        if (offset < 0 || offset + capacityBytes > buf.length) {
            throw new MalformedFieldException("string field at " + offset + " (" + capacityBytes
                    + " bytes) lies beyond the " + buf.length + "-byte message");
        }
        StringBuilder text = new StringBuilder();
        for (int at = offset; at + 1 < offset + capacityBytes; at += 2) {
            char c = (char) ((buf[at] & 0xFF) | (buf[at + 1] & 0xFF) << 8);
            if (c == 0) {
                checkSurrogates(text);
                return text.toString();
            }
            text.append(c);
        }
        throw new MalformedFieldException("string field at " + offset + " has no NUL terminator within "
                + capacityBytes + " bytes");
    }

    private static void checkSurrogates(CharSequence s) throws MalformedFieldException {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c)) {
                if (i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1))) {
                    throw new MalformedFieldException("unpaired high surrogate U+" + Integer.toHexString(c)
                            + " at character " + i);
                }
                i++;
            } else if (Character.isLowSurrogate(c)) {
                throw new MalformedFieldException("unpaired low surrogate U+" + Integer.toHexString(c)
                        + " at character " + i);
            }
        }
    }

    /**
     * Writes {@code text} as UTF-16LE plus a NUL unit, cut to at most {@code maxUnits} units before the NUL
     * (never between the two halves of a surrogate pair). Bytes after the NUL are left as they were, as Linux
     * does.
     *
     * @return the bytes written, NUL included: the value for a {@code *_size} field
     */
    public static int encode(String text, byte[] buf, int offset, int maxUnits) {
        int units = Math.min(text.length(), maxUnits);
        if (units > 0 && units < text.length() && Character.isHighSurrogate(text.charAt(units - 1))) {
            units--;
        }
        int at = offset;
        for (int i = 0; i < units; i++) {
            char c = text.charAt(i);
            buf[at++] = (byte) c;
            buf[at++] = (byte) (c >>> 8);
        }
        buf[at++] = 0;
        buf[at++] = 0;
        return at - offset;
    }

    /** Whether {@code text} fits in {@code maxUnits} UTF-16 units without being cut. */
    public static boolean fits(String text, int maxUnits) {
        return text.length() <= maxUnits;
    }
}
