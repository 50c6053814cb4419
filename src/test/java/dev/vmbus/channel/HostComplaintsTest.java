package dev.vmbus.channel;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HostComplaintsTest {
    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final AtomicLong now = new AtomicLong(1_000);

    private HostComplaints complaints() {
        Logger log = Logger.getAnonymousLogger();
        log.setUseParentHandlers(false);
        log.addHandler(new Handler() {
            @Override
            public void publish(LogRecord r) {
                lines.add(r.getMessage());
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        });
        return new HostComplaints(log, 3, 60_000, now::get);
    }

    @Test
    void theFirstFewAreLoggedTheRestCountedAndTheNextWindowOpensWithASummary() {
        HostComplaints c = complaints();
        for (int i = 0; i < 100; i++) {
            int n = i;
            c.report(4, HostComplaints.Kind.SHORT_MESSAGE, () -> "message " + n);
        }
        assertEquals(3, lines.size(), String.join("\n", lines));
        assertEquals("channel 4: message 0", lines.get(0));
        assertTrue(lines.get(2).startsWith("channel 4: message 2 (further 'short_message' messages"), lines.get(2));
        assertEquals(100, c.count(4, HostComplaints.Kind.SHORT_MESSAGE));
        assertEquals(97, c.suppressed(4));

        now.addAndGet(60_000);
        c.report(4, HostComplaints.Kind.SHORT_MESSAGE, () -> "message 100");
        assertEquals(5, lines.size(), String.join("\n", lines));
        assertEquals("channel 4: 97 more 'short_message' complaints about the host were not logged in the last window"
                + " of 60000 ms", lines.get(3));
        assertEquals("channel 4: message 100", lines.get(4));
        assertEquals(101, c.count(4, HostComplaints.Kind.SHORT_MESSAGE));
    }

    @Test
    void channelsAndKindsAreLimitedSeparatelyAndMessagesAreBuiltOnlyWhenLogged() {
        HostComplaints c = complaints();
        AtomicLong built = new AtomicLong();
        for (int i = 0; i < 10; i++) {
            c.report(1, HostComplaints.Kind.NO_COMMON_VERSION, () -> "a" + built.incrementAndGet());
            c.report(2, HostComplaints.Kind.NO_COMMON_VERSION, () -> "b" + built.incrementAndGet());
            c.report(1, HostComplaints.Kind.REFUSED_REQUEST, () -> "c" + built.incrementAndGet());
        }
        assertEquals(9, lines.size());
        assertEquals(9, built.get());
        assertEquals(10, c.count(2, HostComplaints.Kind.NO_COMMON_VERSION));
        assertEquals(2, c.counts(1).size());
        assertEquals(0, c.count(3, HostComplaints.Kind.NO_COMMON_VERSION));
    }
}
