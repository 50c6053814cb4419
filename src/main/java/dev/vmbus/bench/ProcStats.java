package dev.vmbus.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * What {@code /proc/PID} says about a child process: resident memory, its high-water mark, threads, CPU time.
 * Stateless; every call reads /proc afresh.
 */
public final class ProcStats {
    /**
     * USER_HZ, the unit of utime and stime in /proc/PID/stat. Linux fixes it at 100 on every architecture the
     * JDK runs on (sysconf(_SC_CLK_TCK)), whatever the kernel's own HZ.
     */
    static final int CLOCK_TICKS_PER_SECOND = 100;

    private ProcStats() {
    }

    /**
     * VmRSS, VmHWM, and VmRSS split into RssAnon (private: heap, metaspace, stacks, code) and RssFile + RssShmem
     * (mapped files: the jar, libjvm, the CDS/AOT archive), all in kB, and Threads, from /proc/PID/status.
     */
    record Memory(long vmRssKb, long vmHwmKb, long rssAnonKb, long rssFileKb, int threads) {
    }

    static Memory memory(long pid) {
        long rss = -1;
        long hwm = -1;
        long anon = -1;
        long file = 0;
        int threads = -1;
        for (String line : read(pid, "status").split("\n")) {
            String[] kv = line.split(":\\s+", 2);
            if (kv.length != 2) {
                continue;
            }
            switch (kv[0]) {
                case "VmRSS" -> rss = kilobytes(kv[1]);
                case "VmHWM" -> hwm = kilobytes(kv[1]);
                case "RssAnon" -> anon = kilobytes(kv[1]);
                case "RssFile", "RssShmem" -> file += kilobytes(kv[1]);
                case "Threads" -> threads = Integer.parseInt(kv[1].trim());
                default -> { }
            }
        }
        if (rss < 0 || hwm < 0 || anon < 0 || threads < 0) {
            throw new IllegalStateException("/proc/" + pid + "/status has no VmRSS, VmHWM, RssAnon or Threads");
        }
        return new Memory(rss, hwm, anon, file, threads);
    }

    /** utime + stime of the whole process (every thread, dead ones included) in milliseconds, from /proc/PID/stat. */
    static long cpuMillis(long pid) {
        String stat = read(pid, "stat");
        // The command name (field 2) is in parentheses and may contain blanks: count fields after the last ')'.
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
        long ticks = Long.parseLong(f[14 - 3]) + Long.parseLong(f[15 - 3]);
        return ticks * 1000 / CLOCK_TICKS_PER_SECOND;
    }

    /** The names of the live threads (/proc/PID/task/TID/comm, which Linux cuts at 15 characters). */
    static JsonArray threadNames(long pid) {
        List<String> names = new ArrayList<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path task : tasks.toList()) {
                try {
                    names.add(Files.readString(task.resolve("comm")).strip());
                } catch (NoSuchFileException e) {
                    // the thread ended between the listing and the read
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot list the threads of process " + pid + ": " + e.getMessage());
        }
        names.sort(null);
        return new JsonArray(new ArrayList<>(names));
    }

    static JsonObject toJson(Memory m) {
        return new JsonObject().put("vmRssKb", m.vmRssKb()).put("vmHwmKb", m.vmHwmKb()).put("rssAnonKb", m.rssAnonKb())
                .put("rssFileKb", m.rssFileKb()).put("threads", m.threads());
    }

    private static long kilobytes(String value) {
        String v = value.trim();
        if (!v.endsWith(" kB")) {
            throw new IllegalStateException("unexpected unit in /proc status value '" + v + "'");
        }
        return Long.parseLong(v.substring(0, v.length() - 3).trim());
    }

    private static String read(long pid, String file) {
        try {
            return Files.readString(Path.of("/proc", Long.toString(pid), file));
        } catch (IOException e) {
            throw new IllegalStateException("process " + pid + " has gone (cannot read /proc/" + pid + "/" + file + ")");
        }
    }
}
