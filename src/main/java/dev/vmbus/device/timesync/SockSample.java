package dev.vmbus.device.timesync;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * chrony's {@code struct sock_sample} on 64-bit Linux (spec ic-protocols.md section 5.3), 40 bytes in native
 * byte order:
 *
 * <pre>
 *   0 tv_sec i64 | 8 tv_usec i64 | 16 offset f64 (s) | 24 pulse i32 | 28 leap i32 | 32 pad i32 | 36 magic i32
 * </pre>
 *
 * chrony takes the reference time to be {@code tv + offset}, and drops a datagram of any other length, with
 * another magic, a leap outside 0..2, or a {@code tv} in its future.
 *
 * @param tvSec   system time (CLOCK_REALTIME) of the measurement, seconds
 * @param tvUsec  and microseconds
 * @param offset  true (host) time minus system time at {@code tv}, in seconds
 * @param leap    0 none, 1 insert, 2 delete a leap second
 */
public record SockSample(long tvSec, long tvUsec, double offset, int leap) {
    public static final int LENGTH = 40;
    /** "SOCK". */
    public static final int MAGIC = 0x534F434B;

    public SockSample {
        if (tvUsec < 0 || tvUsec >= 1_000_000) {
            throw new IllegalArgumentException("tv_usec out of range: " + tvUsec);
        }
        if (leap < 0 || leap > 2) {
            throw new IllegalArgumentException("leap must be 0..2: " + leap);
        }
    }

    /** The NTP leap indicator of a v4 timesync message as chrony's leap: 1 and 2 carry over, anything else is 0. */
    public static int leapOf(int ntpLeapIndicator) {
        return ntpLeapIndicator == 1 || ntpLeapIndicator == 2 ? ntpLeapIndicator : 0;
    }

    /** The datagram; {@code pulse} is 0 (the sample carries whole seconds). */
    public byte[] encode() {
        ByteBuffer b = ByteBuffer.allocate(LENGTH).order(ByteOrder.nativeOrder());
        b.putLong(0, tvSec).putLong(8, tvUsec).putDouble(16, offset).putInt(24, 0).putInt(28, leap)
                .putInt(32, 0).putInt(36, MAGIC);
        return b.array();
    }
}
