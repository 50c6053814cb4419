package dev.vmbus.device.timesync;

import java.io.IOException;

/**
 * Sets the system clock (CLOCK_REALTIME) to a given time: what a SYNC message asks for when
 * {@code devices.timesync.stepClock} is on. Called on a worker thread.
 */
@FunctionalInterface
public interface ClockStepper {
    /**
     * Steps the clock.
     *
     * @param unixNanos the time to set, in nanoseconds since 1970
     * @throws IOException if the system refuses (typically EPERM without CAP_SYS_TIME)
     */
    void step(long unixNanos) throws IOException;
}
