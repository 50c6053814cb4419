package dev.vmbus.arch;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static java.util.Map.entry;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The suite's one way of waiting (docs/ARCHITECTURE.md, "Tests"), checked on every test source, the kit and the
 * plug-in example: a result is a Vert.x {@code Future} waited on with {@code await(timeout, unit)}; a state is
 * polled with Awaitility ({@code await("what").atMost(...).until(...)}), the next event of a queue included. So no
 * {@code CompletableFuture}, no latch, no queue waited on with a timeout, no {@code Future.await()} without one (a
 * hung test must fail with its reason, not stall CI), and {@code Thread.sleep} only to pace a load or to let time
 * pass with nothing to wait for, said on the line by a {@code // pacing:} comment.
 */
class WaitingIdiomTest {
    private static final List<Path> ROOTS = List.of(Path.of("src/test/java"), Path.of("src/testkit/java"),
            Path.of("src/test/plugin-example/src"));
    private static final Map<String, Pattern> OTHER_IDIOMS = Map.ofEntries(
            entry("a CompletableFuture (use a Promise and Future.await(timeout, unit))",
                    Pattern.compile("\\bCompletableFuture\\b")),
            entry("a latch (use a Promise, or Awaitility on a count)", Pattern.compile("\\bCountDownLatch\\b")),
            entry("a queue waited on (collect into a plain queue and poll it with Awaitility)",
                    Pattern.compile("\\.(poll|offer)\\(\\s*[^()]*\\b(TimeUnit\\.)?(NANOSECONDS|MICROSECONDS|MILLISECONDS"
                            + "|SECONDS|MINUTES)\\s*\\)")),
            entry("a future waited on without a timeout (use await(timeout, unit))",
                    Pattern.compile("(?<!Awaitility)\\.await\\(\\)|\\.get\\(\\s*\\d+\\s*,\\s*(TimeUnit\\.)?[A-Z]+\\s*\\)")),
            entry("a sleep that is not pacing (poll the state with Awaitility, or say '// pacing: why')",
                    Pattern.compile("\\bThread\\.sleep\\((?!.*// pacing: \\S)")));

    @Test
    void everyTestWaitsTheOneWay() throws IOException {
        List<String> offences = new ArrayList<>();
        int files = 0;
        for (Path root : ROOTS) {
            try (Stream<Path> sources = Files.walk(root)) {
                for (Path file : sources.filter(f -> f.toString().endsWith(".java")
                        && !f.endsWith("WaitingIdiomTest.java")).toList()) {
                    files++;
                    List<String> lines = Files.readAllLines(file);
                    for (int i = 0; i < lines.size(); i++) {
                        String line = lines.get(i);
                        if (line.stripLeading().startsWith("*") || line.stripLeading().startsWith("//")) {
                            continue; // prose may name what it does not do
                        }
                        for (Map.Entry<String, Pattern> idiom : OTHER_IDIOMS.entrySet()) {
                            if (idiom.getValue().matcher(line).find()) {
                                offences.add(file + ":" + (i + 1) + ": " + idiom.getKey() + ": " + line.strip());
                            }
                        }
                    }
                }
            }
        }
        assertTrue(files > 100, "read the test sources (" + files + " files): run from the project's directory");
        assertEquals(List.of(), offences, "waits that are not the suite's one way");
    }
}
