package dev.vmbus.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads {@code conf/jvm.options}: one JVM option per line, surrounding blanks trimmed, blank lines and lines
 * starting with {@code #} ignored, no quoting. scripts/run.sh reads the file with the same rules (sed). Stateless.
 */
public final class JvmOptions {
    public static final Path DEFAULT = Path.of("conf/jvm.options");

    private JvmOptions() {
    }

    public static List<String> read(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new IllegalArgumentException("cannot read the JVM options file " + file + ": no such file");
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read the JVM options file " + file + ": " + e.getMessage());
        }
        List<String> options = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            if (!line.startsWith("-")) {
                throw new IllegalArgumentException(file + " line " + (i + 1) + ": a JVM option starts with '-', got '"
                        + line + "'");
            }
            options.add(line);
        }
        return options;
    }
}
