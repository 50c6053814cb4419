package dev.vmbus.device.kvp;

import dev.vmbus.ic.kvp.KvpRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A process killed in the middle of rewriting a pool leaves it readable with every existing record. */
@org.junit.jupiter.api.Tag("slow") // child JVMs killed mid-write: run by mvn verify, not by mvn test
class KvpPoolCrashTest {
    @TempDir
    Path dir;

    @Test
    void killingAWriterMidWriteNeverLosesARecord() throws Exception {
        List<KvpRecord> kept = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            kept.add(KvpRecord.of("keep-" + i, "value " + i + " " + "v".repeat(1000)));
        }
        new KvpPoolFile(dir, 0).modify(r -> kept);
        String java = ProcessHandle.current().info().command().orElse("java");
        // Kill at varying moments until at least one kill has landed mid-write (the temporary file is left
        // behind), with at least four kills and at most twenty: timing on a loaded machine varies.
        int midWrite = 0;
        for (int kill = 0; kill < 20 && (kill < 4 || midWrite == 0); kill++) {
            long delay = 150 + (kill * 277L) % 1000;
            Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                    KvpPoolWriterMain.class.getName(), dir.toString()).redirectErrorStream(true).start();
            BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            assertEquals("RUNNING", out.readLine());
            // the child rewrites ~1 MB files back to back: the kill, at most `delay` ms from now, lands mid-write
            child.waitFor(delay, TimeUnit.MILLISECONDS);
            child.destroyForcibly();
            assertTrue(child.waitFor(10, TimeUnit.SECONDS));
            if (Files.exists(dir.resolve(".kvp_pool_0.tmp"))) {
                midWrite++; // killed between creating the new pool and renaming it into place
            }

            List<SpecPoolReader.Entry> after = SpecPoolReader.read(dir.resolve(".kvp_pool_0"), true);
            for (int i = 0; i < kept.size(); i++) {
                assertEquals(new SpecPoolReader.Entry("keep-" + i, kept.get(i).valueText()), after.get(i),
                        "record " + i + " after a kill at " + delay + " ms");
            }
            assertTrue(after.size() <= kept.size() + 1, "at most one churn record: " + after.size());
        }
        assertTrue(midWrite > 0, "no kill landed in the middle of a write; the test proved nothing");
        // a new writer recovers from the leftover temporary file
        List<KvpRecord> now = new KvpPoolFile(dir, 0).modify(r -> {
            r.removeIf(x -> x.keyText().startsWith("churn-"));
            return r;
        });
        assertEquals(kept, now);
    }
}
