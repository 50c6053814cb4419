package dev.vmbus.config;

import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;
import java.util.Properties;

/** This project's version, filtered into {@code dev/vmbus/version.properties} by the build. */
public final class ProjectVersion {
    private ProjectVersion() {
    }

    /** The version, or empty when the resource is missing, unreadable or was not filtered (a bare IDE build). */
    public static Optional<String> read() {
        try (InputStream in = ProjectVersion.class.getResourceAsStream("/dev/vmbus/version.properties")) {
            if (in != null) {
                Properties p = new Properties();
                p.load(in);
                String v = p.getProperty("version", "");
                if (!v.isEmpty() && !v.startsWith("${")) {
                    return Optional.of(v);
                }
            }
        } catch (IOException e) {
            // as missing
        }
        return Optional.empty();
    }
}
