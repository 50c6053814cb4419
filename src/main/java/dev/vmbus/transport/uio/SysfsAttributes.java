package dev.vmbus.transport.uio;

import dev.vmbus.channel.Guid;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.OptionalInt;
import java.util.UUID;
import java.util.function.Function;

/**
 * Reads single sysfs attributes. Every value the kernel prints ends with a newline and some carry braces or a
 * {@code 0x} prefix; every failure names the file, because "bad GUID" without a path is useless to an operator.
 */
public final class SysfsAttributes {
    private SysfsAttributes() {
    }

    /** The attribute's text without surrounding whitespace. */
    static String text(Path file) throws IOException {
        try {
            return new String(Files.readAllBytes(file), StandardCharsets.US_ASCII).strip();
        } catch (NoSuchFileException e) {
            throw new IOException(file + " does not exist");
        } catch (IOException e) {
            throw new IOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * The attribute's text as {@code parse} reads it; text {@code parse} refuses (an {@link IllegalArgumentException},
     * such as a {@link NumberFormatException}) fails naming the file, {@code what} it should hold, and the text.
     */
    private static <T> T parsed(Path file, String what, Function<String, T> parse) throws IOException {
        String text = text(file);
        try {
            return parse.apply(text);
        } catch (IllegalArgumentException e) {
            throw new IOException(file + " does not hold " + what + ": '" + text + "'");
        }
    }

    /** A GUID as {@code class_id}/{@code device_id} print it: braces, any case, trailing newline all accepted. */
    public static UUID guid(Path file) throws IOException {
        return parsed(file, "a GUID", Guid::parse);
    }

    /** A decimal attribute such as {@code id}, {@code subchannel_id} or {@code monitor_id}. */
    public static int decimal(Path file) throws IOException {
        return parsed(file, "a decimal number", Integer::parseInt);
    }

    /** A decimal attribute that the kernel hides in some cases (e.g. {@code monitor_id} of an unmonitored channel). */
    public static OptionalInt optionalDecimal(Path file) throws IOException {
        return Files.exists(file) ? OptionalInt.of(decimal(file)) : OptionalInt.empty();
    }

    /** A uio map size: hexadecimal with a {@code 0x} prefix ({@code maps/mapN/size}). */
    public static long hexSize(Path file) throws IOException {
        long size = parsed(file, "a 0x-prefixed hexadecimal size", text -> {
            String lower = text.toLowerCase(Locale.ROOT);
            if (!lower.startsWith("0x")) {
                throw new NumberFormatException("no 0x prefix");
            }
            return Long.parseUnsignedLong(lower.substring(2), 16);
        });
        if (size <= 0) {
            throw new IOException(file + " holds a size of zero");
        }
        return size;
    }
}
