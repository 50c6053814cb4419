package dev.vmbus.bus;

import io.vertx.core.Future;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * How a device's failure reads as its channel's end reason ({@code ChannelVerticle.describe}): a reason the device
 * gives (its own exception's message, a failed future's) as it is; a JDK exception, a slip rather than a reason, with
 * its class named, so an index out of bounds or a null in a device reads as what it is.
 */
class FailureReasonTest {
    private static final class DeviceOwn extends RuntimeException {
        DeviceOwn(String message) {
            super(message);
        }
    }

    @Test
    void aDevicesOwnReasonReadsAsItGaveIt() {
        assertEquals("netvsc vmbus0: range past the buffer", ChannelVerticle.describe(new DeviceOwn(
                "netvsc vmbus0: range past the buffer")));
        assertEquals("ping refuses to answer 'crash'",
                ChannelVerticle.describe(Future.failedFuture("ping refuses to answer 'crash'").cause()));
    }

    @Test
    void aJdkExceptionIsNamedWithItsClass() {
        assertEquals("java.lang.ArrayIndexOutOfBoundsException: Index 15 out of bounds for length 10",
                ChannelVerticle.describe(new ArrayIndexOutOfBoundsException("Index 15 out of bounds for length 10")));
        assertEquals("java.lang.IllegalStateException: bad", ChannelVerticle.describe(new IllegalStateException("bad")));
    }

    @Test
    void withoutAMessageTheClassIsTheReason() {
        assertEquals("java.lang.NullPointerException", ChannelVerticle.describe(new NullPointerException()));
        assertEquals(DeviceOwn.class.getName(), ChannelVerticle.describe(new DeviceOwn(null)));
    }
}
