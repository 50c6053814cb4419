package dev.vmbus.device.kvp;

import dev.vmbus.ic.kvp.KvpRecord;

import java.nio.file.Path;

/**
 * Child process for the crash test: rewrites pool 0 in a loop (modify, add, delete, with large values so each
 * write takes a while) until it is killed.
 */
public final class KvpPoolWriterMain {
    private KvpPoolWriterMain() {
    }

    public static void main(String[] args) throws Exception {
        KvpPoolFile pool = new KvpPoolFile(Path.of(args[0]), 0);
        System.out.println("RUNNING");
        System.out.flush();
        for (long i = 0; ; i++) {
            String n = Long.toString(i);
            pool.modify(records -> {
                records.add(KvpRecord.of("churn-" + n, "x".repeat(2000)));
                records.removeIf(r -> r.keyText().startsWith("churn-") && !r.keyText().equals("churn-" + n));
                return records;
            });
        }
    }
}
