package dev.vmbus.device.timesync;

import dev.vmbus.spi.OutboundPacket;
import dev.vmbus.testkit.DeviceProbe;
import dev.vmbus.testkit.Packets;
import dev.vmbus.ic.IcConstants;
import dev.vmbus.ic.IcMessage;
import dev.vmbus.ic.IcVersion;
import dev.vmbus.ic.timesync.FileTime;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.vmbus.testkit.Packets.icEcho;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The guest's timesync handler: reply bytes, layouts, extrapolation, staleness, SYNC stepping, bad input. */
class TimesyncDeviceTest {
    private static final HexFormat HEX = HexFormat.of();
    /** The guest's CLOCK_MONOTONIC_RAW at the start, in ticks: 100 s. Frozen unless a test moves it. */
    private static final long NOW_TICKS = 1_000_000_000L;
    /** 17 s, the simulated host's default lead of the partition reference counter over the guest's clock. */
    private static final long LEAD_TICKS = 170_000_000L;
    private static final long MS_TICKS = 10_000L;
    private final java.util.concurrent.atomic.AtomicLong clock = new java.util.concurrent.atomic.AtomicLong(NOW_TICKS);
    private DeviceProbe probe;
    private final AtomicInteger steps = new AtomicInteger();
    private final Promise<Long> stepTarget = Promise.promise();

    /**
     * The offset of the last accepted sample is {@code aheadMs} less however long the sample waited before the
     * device read its clock: on a loaded machine that is any time since the test made it, so only the upper side is
     * tight (as it was: 40 ms).
     */
    private static void assertOffset(double aheadMs, JsonObject s) {
        double offset = s.getDouble("offsetMillis");
        long waited = System.currentTimeMillis() - firstHostTimeAt;
        assertTrue(offset <= aheadMs + 40 && offset >= aheadMs - 40 - waited, "offset " + offset + " ms, expected "
                + aheadMs + " ms less at most the " + waited + " ms since the sample was made: " + s.encode());
    }

    private void start(boolean stepClock, Path chronySocket) throws Exception {
        firstHostTimeAt = 0;
        probe = DeviceProbe.of("timesync", new TimesyncDevice(new TimesyncSettings(chronySocket, stepClock),
                clock::get, unixNanos -> {
            steps.incrementAndGet();
            stepTarget.tryComplete(unixNanos);
        }));
    }

    @AfterEach
    void stop() throws Exception {
        probe.close();
    }

    private static String le64(long v) {
        return HEX.formatHex(java.nio.ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(v).array());
    }

    /** When this test first read the time for a host sample (epoch ms), or 0: how late any sample can be. */
    private static long firstHostTimeAt;

    /** Host FILETIME {@code aheadMs} ahead of our clock, as it was {@code agoTicks} of the counter ago. */
    private static long hostFileTime(long aheadMs, long agoTicks) {
        Instant now = Instant.now();
        if (firstHostTimeAt == 0) {
            firstHostTimeAt = now.toEpochMilli();
        }
        long unix = now.getEpochSecond() * 1_000_000_000L + now.getNano();
        return FileTime.fromUnixNanos(unix + aheadMs * 1_000_000L - agoTicks * 100);
    }

    /** An OpenVMM v4 request (framework 3.0, service 4.0, body 24), padded to 56 bytes as the guest reads it. */
    private static byte[] v4Request(long parentTime, long referenceTime, int flags) {
        return HEX.parseHex("01000000" + "2c000000" + "0300" + "0000" + "0400" + "0400" + "0000" + "1800" + "00000000"
                + "00" + "03" + "0000" + le64(parentTime) + le64(referenceTime) + "%02x".formatted(flags) + "00" + "00"
                + "0000000000" + "00000000");
    }


    private JsonObject channel() throws Exception {
        return probe.state().getJsonArray("channels").getJsonObject(0);
    }

    @Test
    void aV4SampleIsEchoedWithFlagsFiveAndExtrapolatedByTheReferenceTicks() throws Exception {
        start(false, null);
        probe.negotiate(List.of(IcVersion.of(4, 0)));
        // The first sample places the counter (17 s ahead of our clock); it arrived at once.
        probe.reply(v4Request(hostFileTime(5000, 0), NOW_TICKS + LEAD_TICKS, 2), 1);
        // One second later, a sample the host took 80 ms before we read it, when it was 5 s ahead: it is
        // moved forward by those 80 ms of the counter, so the host is still 5 s ahead now.
        clock.addAndGet(1000 * MS_TICKS);
        byte[] request = v4Request(hostFileTime(5000, 80 * MS_TICKS), clock.get() + LEAD_TICKS - 80 * MS_TICKS, 2);
        OutboundPacket reply = probe.reply(request, 0x1122334455L);
        assertArrayEquals(icEcho(request), reply.payload());
        assertEquals(0x1122334455L, reply.transactionId());
        assertEquals(0, reply.flags());
        JsonObject s = channel();
        assertEquals("v4", s.getString("layout"));
        assertEquals(2, s.getInteger("samples"));
        assertEquals(0, s.getInteger("syncs"));
        assertEquals(80.0, s.getJsonObject("referenceCounter").getDouble("lastDelayMs"), s.encode());
        assertEquals(17_000.0, s.getJsonObject("referenceCounter").getDouble("aheadOfGuestClockMs"), s.encode());
        assertOffset(5000, s);
        assertTrue(s.containsKey("lastSample") && !s.containsKey("lastSync"));
    }

    /** Today's agent took its own monotonic clock for the counter: -16.75 s here, and nothing at 5 h ahead. */
    @org.junit.jupiter.params.ParameterizedTest(name = "counter {0} ms ahead of our clock")
    @org.junit.jupiter.params.provider.ValueSource(longs = {17_000, 5 * 3_600_000})
    void theHostsOffsetIsRightWhateverTheCountersEpoch(long leadMs) throws Exception {
        start(false, null);
        probe.negotiate(List.of(IcVersion.of(4, 0)));
        probe.reply(v4Request(hostFileTime(250, MS_TICKS / 5), NOW_TICKS + leadMs * MS_TICKS - MS_TICKS / 5, 1), 1);
        JsonObject s = channel();
        assertEquals(0, s.getInteger("refused"), s.encode());
        assertOffset(250, s);
    }

    @Test
    void afterNegotiatingThreeZeroTheOldLayoutIsRead() throws Exception {
        start(false, null);
        IcMessage negotiated = probe.negotiate(List.of(IcVersion.of(1, 0), IcVersion.of(3, 0)));
        assertEquals(IcVersion.of(3, 0), IcVersion.of(negotiated.u16(40), negotiated.u16(42)));
        // Old layout: parenttime, childtime, roundtrip, flags at 52 = SYNC; 28-byte body; 56 bytes.
        String body = le64(hostFileTime(-2500, 0)) + le64(0) + le64(0) + "01" + "000000";
        byte[] request = HEX.parseHex("01000000" + "30000000" + "0300" + "0000" + "0400" + "0300" + "0000" + "1c00"
                + "00000000" + "07" + "03" + "0000" + body);
        OutboundPacket reply = probe.reply(request, 5);
        assertArrayEquals(icEcho(request), reply.payload());
        JsonObject s = channel();
        assertEquals("v1-3", s.getString("layout"));
        assertEquals(1, s.getInteger("syncs"));
        assertEquals(-2500, s.getDouble("offsetMillis"), 100);
    }

    @Test
    void beforeNegotiationAMessageIsReadWithTheOldLayout() throws Exception {
        start(false, null);
        // A v4-shaped message: read as old, flags come from byte 52 (zero here) and the sample is a probe.
        byte[] request = v4Request(hostFileTime(1000, 0), 123, 2);
        assertArrayEquals(icEcho(request), probe.reply(request, 1).payload());
        JsonObject s = channel();
        assertEquals("v1-3", s.getString("layout"));
        assertEquals(1, s.getInteger("probes"));
        assertEquals(0, s.getInteger("samples"));
    }

    @Test
    void messagesTooShortForTheirLayoutGetNoReply() throws Exception {
        start(false, null);
        assertEquals(Optional.empty(), probe.send(new byte[27], 1), "shorter than the IC header");
        probe.negotiate(List.of(IcVersion.of(4, 0)));
        byte[] full = v4Request(hostFileTime(0, 0), NOW_TICKS, 2);
        assertEquals(Optional.empty(), probe.send(Arrays.copyOf(full, 48), 2), "v4 needs 22 body bytes; 20 are there");
        assertEquals(0, channel().getInteger("samples"));
        assertEquals(2, channel().getInteger("dropped"));
    }

    @Test
    void anotherMessageTypeIsAnsweredWithFail() throws Exception {
        start(false, null);
        byte[] request = v4Request(0, 0, 0);
        request[12] = IcConstants.MSGTYPE_HEARTBEAT;
        byte[] expected = icEcho(request);
        expected[20] = 0x05; expected[21] = 0x40; expected[22] = 0x00; expected[23] = (byte) 0x80; // 0x80004005 LE
        assertArrayEquals(expected, probe.reply(request, 3).payload());
    }

    @Test
    void lateAndNonsenseSamplesAreAnsweredButNotUsed() throws Exception {
        start(true, null);
        probe.negotiate(List.of(IcVersion.of(4, 0)));
        probe.reply(v4Request(hostFileTime(0, 0), NOW_TICKS + LEAD_TICKS, 2), 1);
        byte[] late = v4Request(hostFileTime(0, 0), NOW_TICKS + LEAD_TICKS - 300_000_000L, 1); // 30 s old, SYNC
        assertArrayEquals(icEcho(late), probe.reply(late, 2).payload());
        byte[] nonsense = v4Request(-1L, NOW_TICKS + LEAD_TICKS, 2);
        assertArrayEquals(icEcho(nonsense), probe.reply(nonsense, 3).payload());
        byte[] noCounter = v4Request(hostFileTime(0, 0), -1L, 2);
        assertArrayEquals(icEcho(noCounter), probe.reply(noCounter, 4).payload());
        JsonObject s = channel();
        assertEquals(1, s.getInteger("held"), s.encode());
        assertEquals(2, s.getInteger("refused"), s.encode());
        assertEquals(0, steps.get(), "a held SYNC does not step the clock by itself");
    }

    @Test
    void aSyncHeldAcrossAStepOfTheCounterStepsTheClockWithTheSampleThatConfirmsIt() throws Exception {
        start(true, null);
        probe.negotiate(List.of(IcVersion.of(4, 0)));
        probe.reply(v4Request(hostFileTime(0, 0), NOW_TICKS + LEAD_TICKS, 2), 1);
        clock.addAndGet(5000 * MS_TICKS);
        // The counter started again (a resume in a new partition): 3 s ahead of our clock instead of 17 s.
        probe.reply(v4Request(hostFileTime(3000, 0), clock.get() + 30_000_000L, 1), 2);
        assertEquals(0, steps.get(), "held: it could be a SYNC 14 s late");
        clock.addAndGet(5000 * MS_TICKS);
        long before = System.currentTimeMillis();
        probe.reply(v4Request(hostFileTime(3000, 0), clock.get() + 30_000_000L, 2), 3);
        long target = stepTarget.future().await(10, TimeUnit.SECONDS);
        assertEquals(before + 3000, target / 1_000_000, 200, "stepped to the host's time");
        JsonObject s = channel();
        assertOffset(3000, s);
        assertEquals(1, s.getJsonObject("referenceCounter").getInteger("relearnt"), s.encode());
        assertEquals(3000.0, s.getJsonObject("referenceCounter").getDouble("aheadOfGuestClockMs"), s.encode());
    }

    @Test
    void aRenegotiationForgetsTheCountersLeadSoTheSyncAfterARestoreIsUsedAtOnce() throws Exception {
        start(true, null);
        probe.negotiate(List.of(IcVersion.of(4, 0)));
        probe.reply(v4Request(hostFileTime(0, 0), NOW_TICKS + LEAD_TICKS, 2), 1);
        probe.negotiate(List.of(IcVersion.of(4, 0)));
        clock.addAndGet(5000 * MS_TICKS);
        probe.reply(v4Request(hostFileTime(2000, 0), clock.get() + 30_000_000L, 1), 2);
        assertTrue(stepTarget.future().await(10, TimeUnit.SECONDS) > 0);
        JsonObject s = channel();
        assertEquals(0, s.getInteger("held"), s.encode());
        assertOffset(2000, s);
        assertEquals(1, s.getJsonObject("referenceCounter").getInteger("resets"), s.encode());
    }

    @Test
    void syncStepsTheClockOnlyWhenStepClockIsOnAndSampleNever() throws Exception {
        start(true, null);
        probe.negotiate(List.of(IcVersion.of(4, 0)));
        probe.reply(v4Request(hostFileTime(3000, 0), NOW_TICKS, 2), 1);
        long before = System.currentTimeMillis();
        probe.reply(v4Request(hostFileTime(3000, 0), NOW_TICKS, 1), 2);
        long target = stepTarget.future().await(10, TimeUnit.SECONDS);
        assertEquals(before + 3000, target / 1_000_000, 200, "stepped to the host's time");
        assertEquals(1, steps.get(), "the SAMPLE did not step");
        assertEquals(1, probe.awaitState(st -> st.getJsonObject("clockStep").getInteger("steps") == 1, "a step")
                .getJsonObject("clockStep").getInteger("steps"));
    }

    @Test
    void syncWithoutStepClockOnlyKeepsTheSample() throws Exception {
        start(false, null);
        probe.negotiate(List.of(IcVersion.of(4, 0)));
        probe.reply(v4Request(hostFileTime(3000, 0), NOW_TICKS, 1), 1);
        assertEquals(1, channel().getInteger("syncs"));
        assertEquals(0, probe.state().getJsonObject("clockStep").getInteger("steps"));
        assertEquals(false, probe.state().getJsonObject("clockStep").getBoolean("enabled"));
        assertEquals(0, steps.get());
    }

    @Test
    void aChronySocketThatIsNotThereIsReportedAndTheHostStillGetsItsReply(@org.junit.jupiter.api.io.TempDir Path tmp)
            throws Exception {
        start(false, tmp.resolve("no-chronyd.sock"));
        probe.negotiate(List.of(IcVersion.of(4, 0)));
        byte[] request = v4Request(hostFileTime(0, 0), NOW_TICKS, 2);
        assertArrayEquals(icEcho(request), probe.reply(request, 1).payload());
        JsonObject chrony = probe.state().getJsonObject("chrony");
        assertEquals(0, chrony.getInteger("sent"));
        assertEquals(1, chrony.getInteger("failed"));
        assertEquals(false, chrony.getBoolean("ok"));
        assertTrue(chrony.getString("lastError").contains("No such file"), chrony.encode());
    }
}
