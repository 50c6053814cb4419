package dev.vmbus.testing;

import org.awaitility.Awaitility;
import org.awaitility.pollinterval.IterativePollInterval;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.time.Duration;

/**
 * The one waiting idiom of the tests: Awaitility's {@code await()}, bounded by its {@code atMost}, polling
 * promptly. Registered for every Jupiter test class through {@code junit-platform.properties} (extension
 * autodetection, {@code META-INF/services/org.junit.jupiter.api.extension.Extension}).
 *
 * <p>Awaitility's own defaults wait 100 ms before the first check and 100 ms between checks, so every wait cost at
 * least 100 ms even when what it waits for had already happened; the unit suite makes about a hundred such waits.
 * Here the first check is at once and the interval doubles from 1 ms up to {@link #MAX_INTERVAL}: a wait ends
 * within a few milliseconds of its event, and a long one polls no more often than a 50 ms timer. The bound of every
 * wait ({@code atMost}, default 10 s) is unchanged, and a wait that sets its own delay or interval keeps them.
 */
public final class PromptPolling implements BeforeAllCallback {
    /** The longest pause between two checks of a condition. */
    static final Duration MAX_INTERVAL = Duration.ofMillis(50);

    static {
        Awaitility.setDefaultPollDelay(Duration.ZERO);
        Awaitility.setDefaultPollInterval(IterativePollInterval.iterative(
                d -> d.multipliedBy(2).compareTo(MAX_INTERVAL) > 0 ? MAX_INTERVAL : d.multipliedBy(2),
                Duration.ofMillis(1)));
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        // the defaults are set once per test JVM, by the static initialiser above
    }
}
