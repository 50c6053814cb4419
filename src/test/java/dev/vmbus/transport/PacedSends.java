package dev.vmbus.transport;

import dev.vmbus.ring.PacketType;
import dev.vmbus.runtime.ChannelDriver;
import io.vertx.core.Context;

import java.util.function.LongFunction;
import java.util.function.LongUnaryOperator;

/**
 * A run of in-band packets from a host end, written as fast as the ring takes them: when a send parks (ring full)
 * the rest waits for it instead of being queued without bound, so a test can send a million packets through a
 * 16 KiB ring. Shared by the transport tests' echo host and the runtime tests' heartbeat host. Runs on
 * {@code context}, the driver's.
 */
public final class PacedSends {
    private PacedSends() {
    }

    /**
     * Sends {@code message(seq)} with transaction id {@code transactionId(seq)} for {@code seq = from..to-1}; stops
     * at the first send that fails (the channel closed).
     */
    public static void send(Context context, ChannelDriver driver, long from, long to, LongFunction<byte[]> message,
                            LongUnaryOperator transactionId) {
        for (long seq = from; seq < to; seq++) {
            var sent = driver.send(message.apply(seq), transactionId.applyAsLong(seq), PacketType.DATA_INBAND, 0);
            if (!sent.isComplete()) {
                long next = seq + 1;
                sent.onSuccess(v0 -> context.runOnContext(v -> send(context, driver, next, to, message, transactionId)));
                return;
            }
            if (sent.failed()) {
                return;
            }
        }
    }
}
