package dev.vmbus.device.kvp;

import dev.vmbus.testkit.DeviceProbe;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Pool files: byte compatibility with hv_kvp_daemon both ways, and its fcntl lock (spec section 4). */
class KvpPoolFileTest {
    @TempDir
    Path dir;

    private DeviceProbe guest() throws Exception {
        return DeviceProbe.of("kvp", new KvpDevice(new KvpSettings(dir, true, List.of("true"), dir)));
    }

    @Test
    void aPoolWrittenHereReadsBackWithASpecReader() throws Exception {
        try (DeviceProbe guest = guest()) {
            guest.exchange(KvpWire.set(1, "alpha", "1"));
            guest.exchange(KvpWire.set(1, "βeta", "zwei 2"));
            guest.exchange(KvpWire.set(1, "gamma", "3".repeat(1000)));
            guest.exchange(KvpWire.set(1, "alpha", "one")); // modify in place
            guest.exchange(KvpWire.set(1, "delta", "4"));
            assertEquals(List.of(new SpecPoolReader.Entry("alpha", "one"), new SpecPoolReader.Entry("βeta", "zwei 2"),
                            new SpecPoolReader.Entry("gamma", "3".repeat(1000)), new SpecPoolReader.Entry("delta", "4")),
                    SpecPoolReader.read(dir.resolve(".kvp_pool_1"), true));
            guest.exchange(KvpWire.delete(1, "βeta")); // later records shift up
            assertEquals(List.of(new SpecPoolReader.Entry("alpha", "one"), new SpecPoolReader.Entry("gamma", "3".repeat(1000)),
                    new SpecPoolReader.Entry("delta", "4")), SpecPoolReader.read(dir.resolve(".kvp_pool_1"), true));
            assertEquals("rw-r--r--", java.nio.file.attribute.PosixFilePermissions.toString(
                    Files.getPosixFilePermissions(dir.resolve(".kvp_pool_1"))));
        }
    }

    @Test
    void aPoolInTheDaemonsFormatIsReadAndOtherWritersAreSeen() throws Exception {
        ByteArrayOutputStream pool = new ByteArrayOutputStream();
        pool.write(SpecPoolReader.daemonRecord("CLOUD_INIT|1|start|x", "{\"a\":1}", (byte) 'Z'));
        pool.write(SpecPoolReader.daemonRecord("ключ", "значение", (byte) 0x7F));
        pool.write(new byte[1000]); // a partial record at the end is not a record
        Files.write(dir.resolve(".kvp_pool_0"), pool.toByteArray());
        try (DeviceProbe guest = guest()) {
            byte[] first = guest.exchange(KvpWire.enumerate(0, 0));
            assertEquals("CLOUD_INIT|1|start|x", KvpWire.text(first, 40, 48));
            assertEquals("{\"a\":1}", KvpWire.text(first, 44, 560), "stops at the NUL, junk after it ignored");
            byte[] second = guest.exchange(KvpWire.enumerate(0, 1));
            assertEquals("ключ", KvpWire.text(second, 40, 48));
            assertEquals("значение", KvpWire.text(second, 44, 560));
            assertEquals(0x80070103, KvpWire.status(guest.exchange(KvpWire.enumerate(0, 2))));

            // another program appends a record: the next request sees it (re-read every time)
            ByteArrayOutputStream rewritten = new ByteArrayOutputStream();
            rewritten.write(pool.toByteArray(), 0, 2 * 2560);
            rewritten.write(SpecPoolReader.daemonRecord("late", "arrival", (byte) 1));
            Files.write(dir.resolve(".kvp_pool_0"), rewritten.toByteArray());
            byte[] late = guest.exchange(KvpWire.get(0, "late"));
            assertEquals(0, KvpWire.status(late));
            assertEquals("arrival", KvpWire.text(late, 40, 556));
        }
    }

    @Test
    void readsWaitForTheDaemonsFcntlLock() throws Exception {
        Path file = dir.resolve(".kvp_pool_3");
        Files.write(file, SpecPoolReader.daemonRecord("before", "lock", (byte) 0));
        // Python's lockf is fcntl(F_SETLKW, F_WRLCK) over the whole file, exactly the daemon's lock.
        String script = """
                import fcntl, sys, time
                f = open(sys.argv[1], 'r+b')
                fcntl.lockf(f, fcntl.LOCK_EX)
                print('locked', flush=True)
                time.sleep(0.7)
                rec = bytearray(2560); rec[0:5] = b'under'; rec[512:517] = b'locks'
                f.seek(0, 2); f.write(rec); f.flush()
                fcntl.lockf(f, fcntl.LOCK_UN)
                """;
        Process p = new ProcessBuilder("python3", "-c", script, file.toString()).redirectErrorStream(true).start();
        try (DeviceProbe guest = guest()) {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            assertEquals("locked", out.readLine());
            byte[] reply = guest.exchange(KvpWire.enumerate(3, 1));
            assertEquals(0, KvpWire.status(reply), "the read waited for the writer holding the lock");
            assertEquals("under", KvpWire.text(reply, 40, 48));
            assertTrue(p.waitFor(10, TimeUnit.SECONDS));
        } finally {
            p.destroyForcibly();
        }
    }
}
