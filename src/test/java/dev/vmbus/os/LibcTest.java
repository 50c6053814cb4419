package dev.vmbus.os;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The one errno helper: every failed call names itself, its arguments and the kernel's reason. */
class LibcTest {
    @Test
    void errnoBecomesTheKernelsTextAndNumber() {
        assertEquals("Input/output error (errno 5)", Libc.describe(Posix.EIO));
        assertEquals("Resource temporarily unavailable (errno 11)", Libc.describe(Posix.EAGAIN));
    }

    @Test
    void aFailedCallNamesTheCallItsArgumentsAndTheReason() {
        Path missing = Path.of("/nonexistent-vmbus-test/dev/uio7");
        IOException e = assertThrows(IOException.class, () -> Posix.open(missing, Posix.O_RDWR));
        assertEquals("open(" + missing + "): No such file or directory (errno 2)", e.getMessage());
    }

    @Test
    void aDowncallThatCannotBeMadeIsABugNamingTheFunctionNotAnIoError() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Libc.checked("dup3(3, 4)",
                capture -> {
                    throw new java.lang.invoke.WrongMethodTypeException("linked with the wrong types");
                }));
        assertEquals("dup3 downcall failed", e.getMessage());
        assertEquals("linked with the wrong types", e.getCause().getMessage());
    }

    @Test
    void aCallThatSucceedsGivesWhatItReturned() throws IOException {
        assertEquals(7, Libc.checked("f()", capture -> 7));
        assertEquals(0, Libc.checked("f()", capture -> 0));
    }

    @Test
    void theRawMonotonicClockNeverGoesBack() {
        long previous = Clocks.monotonicRawNanos();
        for (int i = 0; i < 1000; i++) {
            long now = Clocks.monotonicRawNanos();
            assertTrue(now >= previous, now + " after " + previous);
            previous = now;
        }
        assertEquals(previous / 100, Clocks.monotonicRawTicks(), 1_000_000, "ticks are 100 ns");
    }
}
