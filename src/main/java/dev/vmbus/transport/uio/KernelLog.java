package dev.vmbus.transport.uio;

import dev.vmbus.os.Libc;
import dev.vmbus.os.Posix;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The kernel's log as {@code /dev/kmsg} hands it to a reader (Documentation/ABI/testing/dev-kmsg): each read returns
 * one record, {@code "prio,seq,usec,flags;text\n"}, followed by dictionary lines that start with a space; a new
 * reader starts at the oldest record the ring buffer still holds. Opened non-blocking and read to its end
 * ({@code EAGAIN}), never waiting for a record to come; {@code EPIPE} (records overwritten under the reader) skips
 * to the next one. A regular file holding the same text (a test fixture) ends at EOF. Bounded: at most
 * {@link #MAX_BYTES} are read, the boot messages come first.
 *
 * <p>Stateless; blocking file I/O only (open and non-blocking reads): call it from a worker or before Vert.x starts.
 */
final class KernelLog {
    /** Far above any ring buffer a distribution configures (CONFIG_LOG_BUF_SHIFT 17-18, log_buf_len= aside). */
    static final long MAX_BYTES = 32L << 20;
    /** A record's text is at most PRINTK_MESSAGE_MAX (2 KiB) or CONSOLE_EXT_LOG_MAX (8 KiB) with its dictionary. */
    private static final int BUFFER = 16 << 10;
    private static final int EPIPE = 32;
    /** Records lost under the reader in a row before the log counts as unreadable: it is being flooded. */
    private static final int MAX_LOST = 1000;
    private static final Pattern RECORD = Pattern.compile("^(\\d+),(\\d+),(\\d+),[^;]*;(.*)$");

    private KernelLog() {
    }

    /**
     * Feeds each message's text to {@code until} in order, oldest first, and stops once it returns true.
     *
     * @return the sequence number of the oldest record read (0 when the log still reaches back to boot), or -1 when
     *         the first line is not a {@code /dev/kmsg} record
     * @throws IOException when the log cannot be opened or read (no such file, denied, an error from read)
     */
    static long scan(Path kmsg, Predicate<String> until) throws IOException {
        int fd = Posix.open(kmsg, Posix.O_NONBLOCK | Posix.O_CLOEXEC); // O_RDONLY is 0
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(BUFFER);
            MemorySegment capture = Libc.errnoBuffer(arena);
            Lines lines = new Lines(until);
            long total = 0;
            int lost = 0;
            while (total < MAX_BYTES && !lines.done) {
                long n = Posix.read(fd, buf, BUFFER, capture);
                if (n == 0 || n == -Posix.EAGAIN) {
                    break; // EOF of a file, or no newer record in the ring buffer
                }
                if (n == -Posix.EINTR) {
                    continue;
                }
                if (n == -EPIPE) {
                    if (++lost > MAX_LOST) {
                        throw new IOException("read(" + kmsg + "): more than " + MAX_LOST + " records overwritten while"
                                + " reading");
                    }
                    continue;
                }
                if (n < 0) {
                    throw new IOException("read(" + kmsg + "): " + Libc.describe((int) -n));
                }
                lost = 0;
                total += n;
                lines.add(buf.asSlice(0, n).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
            }
            lines.end();
            return lines.firstSeq;
        } finally {
            Posix.close(fd);
        }
    }

    /** Splits what the reads return into lines (a file may cut a record anywhere) and hands on each message. */
    private static final class Lines {
        private final Predicate<String> until;
        private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
        private boolean first = true;
        long firstSeq = -1;
        boolean done;

        Lines(Predicate<String> until) {
            this.until = until;
        }

        void add(byte[] bytes) {
            int start = 0;
            for (int i = 0; i < bytes.length && !done; i++) {
                if (bytes[i] == '\n') {
                    pending.write(bytes, start, i - start);
                    line(pending.toString(StandardCharsets.UTF_8));
                    pending.reset();
                    start = i + 1;
                }
            }
            if (!done) {
                pending.write(bytes, start, bytes.length - start);
            }
        }

        void end() {
            if (!done && pending.size() > 0) {
                line(pending.toString(StandardCharsets.UTF_8));
            }
        }

        private void line(String line) {
            if (line.startsWith(" ")) {
                return; // a dictionary line (SUBSYSTEM=..., DEVICE=...) of the record before
            }
            Matcher m = RECORD.matcher(line);
            if (first) {
                first = false;
                firstSeq = m.matches() ? Long.parseLong(m.group(2)) : -1;
            }
            done = until.test(m.matches() ? m.group(4) : line);
        }
    }
}
