package dev.vmbus.ic.timesync;

import dev.vmbus.ic.IcMessage;
import org.junit.jupiter.api.Test;

import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** FILETIME conversion, extrapolation, staleness and both message layouts (spec sections 3.2, 5.1, 5.2). */
class TimeMathTest {
    /** 2024-01-01T00:00:00Z. */
    private static final long NEW_YEAR_2024_FILETIME = 133_485_408_000_000_000L;
    private static final long NEW_YEAR_2024_UNIX_NANOS = 1_704_067_200L * 1_000_000_000L;

    @Test
    void fileTimeConvertsBothWaysAtKnownInstants() {
        assertEquals(0, FileTime.toUnixNanos(FileTime.UNIX_EPOCH));
        assertEquals(NEW_YEAR_2024_UNIX_NANOS, FileTime.toUnixNanos(NEW_YEAR_2024_FILETIME));
        assertEquals(NEW_YEAR_2024_FILETIME, FileTime.fromUnixNanos(NEW_YEAR_2024_UNIX_NANOS));
        assertEquals(NEW_YEAR_2024_FILETIME + 1, FileTime.fromUnixNanos(NEW_YEAR_2024_UNIX_NANOS + 199),
                "the 100-ns division truncates, as OpenVMM's host");
        assertEquals(11_644_473_600L * 10_000_000L, FileTime.UNIX_EPOCH);
    }

    @Test
    void aFileTimeOutsideWhatUnixNanosCanHoldIsRefusedNotWrapped() {
        assertFalse(FileTime.convertible(FileTime.UNIX_EPOCH - 1));
        assertFalse(FileTime.convertible(-1L)); // 0xFFFF_FFFF_FFFF_FFFF from a hostile host
        assertTrue(FileTime.convertible(FileTime.MAX_CONVERTIBLE));
        assertFalse(FileTime.convertible(FileTime.MAX_CONVERTIBLE + 1));
        assertThrows(ArithmeticException.class, () -> FileTime.toUnixNanos(-1L));
    }

    @Test
    void aV4SampleIsMovedForwardByTheReferenceTicksSinceTheHostTookIt() {
        var m = new TimesyncMessage.Sample(NEW_YEAR_2024_FILETIME, 5_000_000, TimesyncMessage.FLAG_SAMPLE, 0, 0, true);
        HostTimeSample s = HostTimeSample.received(m, 5_000_000 + 12_345).orElseThrow();
        assertEquals(NEW_YEAR_2024_FILETIME + 12_345, s.hostTime());
        assertEquals(5_012_345, s.refTime());
        assertEquals(NEW_YEAR_2024_FILETIME + 12_345 + 10_000_000, s.hostTimeAt(5_012_345 + 10_000_000).getAsLong(),
                "read one second later: one second later on the host");
        assertEquals(NEW_YEAR_2024_UNIX_NANOS + 1_234_500, s.hostUnixNanosAt(5_012_345).getAsLong());
    }

    @Test
    void anOldLayoutSampleIsTakenAsNow() {
        var m = new TimesyncMessage.Sample(NEW_YEAR_2024_FILETIME, 0, TimesyncMessage.FLAG_SYNC, 0, 0, false);
        HostTimeSample s = HostTimeSample.received(m, 777).orElseThrow();
        assertEquals(NEW_YEAR_2024_FILETIME, s.hostTime());
        assertEquals(777, s.refTime());
    }

    @Test
    void aSampleOlderThanSixHundredSecondsIsStale() {
        HostTimeSample s = new HostTimeSample(NEW_YEAR_2024_FILETIME, 1000);
        assertTrue(s.hostTimeAt(1000 + HostTimeSample.STALE_AFTER_TICKS).isPresent(), "600 s exactly is still good");
        assertTrue(s.hostTimeAt(1000 + HostTimeSample.STALE_AFTER_TICKS + 1).isEmpty());
        var old = new TimesyncMessage.Sample(NEW_YEAR_2024_FILETIME, 0, TimesyncMessage.FLAG_SAMPLE, 0, 0, true);
        assertTrue(HostTimeSample.received(old, HostTimeSample.STALE_AFTER_TICKS + 1).isEmpty(),
                "a host snapshot taken more than 600 s ago is refused");
        assertTrue(HostTimeSample.received(old, -HostTimeSample.STALE_AFTER_TICKS - 1).isEmpty(),
                "so is one from 600 s in our counter's future");
        assertTrue(HostTimeSample.received(new TimesyncMessage.Sample(-1L, 0, 1, 0, 0, false), 0).isEmpty(),
                "a parenttime that is no time is refused");
    }

    @Test
    void theLayoutFollowsTheNegotiatedVersion() {
        assertFalse(TimesyncMessage.usesV4(null), "before negotiation: the old layout");
        assertFalse(TimesyncMessage.usesV4(dev.vmbus.ic.IcVersion.of(3, 0)));
        assertTrue(TimesyncMessage.usesV4(dev.vmbus.ic.IcVersion.of(3, 1)), "Linux: anything above 3.0");
        assertTrue(TimesyncMessage.usesV4(dev.vmbus.ic.IcVersion.of(4, 0)));
    }

    @Test
    void bothLayoutsDecodeAtTheSpecsOffsetsAndShortBodiesAreRefused() {
        // v4: parenttime, vmreferencetime, flags SYNC, leap 1, stratum 2, 5 reserved (24-byte body, OpenVMM)
        String header = "01000000" + "2c000000" + "03000000" + "0400" + "04000000" + "1800" + "00000000" + "00" + "03" + "0000";
        byte[] v4 = HexFormat.of().parseHex(header + "0102030405060708" + "1112131415161718" + "01" + "01" + "02" + "0000000000");
        var s = TimesyncMessage.read(new IcMessage(v4), true).orElseThrow();
        assertEquals(0x0807060504030201L, s.parentTime());
        assertEquals(0x1817161514131211L, s.referenceTime());
        assertEquals(1, s.flags());
        assertEquals(1, s.leapFlags());
        assertEquals(2, s.stratum());
        assertEquals("sync", s.kind());
        assertTrue(TimesyncMessage.read(new IcMessage(java.util.Arrays.copyOf(v4, 28 + 21)), true).isEmpty());
        assertTrue(TimesyncMessage.read(new IcMessage(java.util.Arrays.copyOf(v4, 28 + 22)), true).isPresent());

        byte[] old = new byte[28 + 28];
        IcMessage m = new IcMessage(old);
        TimesyncMessage.write(m, false, 42, 99, TimesyncMessage.FLAG_SAMPLE);
        assertEquals(2, old[52]);
        assertEquals(0, m.u64(36), "the old layout has no reference time to write");
        var o = TimesyncMessage.read(m, false).orElseThrow();
        assertEquals(42, o.parentTime());
        assertEquals("sample", o.kind());
        assertTrue(TimesyncMessage.read(new IcMessage(java.util.Arrays.copyOf(old, 28 + 24)), false).isEmpty());
        assertTrue(TimesyncMessage.read(new IcMessage(java.util.Arrays.copyOf(old, 28 + 25)), false).isPresent());
    }
}
