package dev.vmbus.device;

import dev.vmbus.device.heartbeat.HeartbeatDevice;
import dev.vmbus.device.kvp.KvpDevice;
import dev.vmbus.device.kvp.KvpSettings;
import dev.vmbus.device.timesync.TimesyncDevice;
import dev.vmbus.device.timesync.TimesyncSettings;
import dev.vmbus.ic.IcConstants;
import dev.vmbus.ic.IcMessage;
import dev.vmbus.ic.IcVersion;
import dev.vmbus.testkit.DeviceProbe;
import dev.vmbus.testkit.Packets;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A host at random against the integration services a spoilt message cannot make act on the machine (heartbeat,
 * timesync with its clock steps recorded, KVP in a temporary pool directory and dry run): each negotiates, then gets
 * messages a host sends with random bytes changed, cut short or run long, interleaved with well-formed ones. Every
 * message is answered, dropped (the IC rules for garbage) or fails with the device's own reason, never with a Java
 * exception (an exception the device did not throw itself is a check it lacks); and after it, a well-formed message
 * is still answered as it should be. Every case comes from a fixed seed.
 */
class IcHostFuzzTest {
    private static final int MESSAGES = 300;
    private static final List<String> UNEXPECTED = List.of("java.lang.", "java.nio.", "java.util.", "jdk.internal.");

    @TempDir
    Path dir;

    @Test
    void heartbeat() throws Exception {
        try (DeviceProbe probe = DeviceProbe.of("heartbeat", new HeartbeatDevice())) {
            fuzz(probe, List.of(IcVersion.of(3, 0)), r -> heartbeat(r.nextLong()), () -> heartbeat(41), 1);
        }
    }

    @Test
    void timesync() throws Exception {
        AtomicInteger steps = new AtomicInteger();
        try (DeviceProbe probe = DeviceProbe.of("timesync", new TimesyncDevice(new TimesyncSettings(null, false),
                () -> 1_000_000_000L, unixNanos -> steps.incrementAndGet()))) {
            fuzz(probe, List.of(IcVersion.of(4, 0)), IcHostFuzzTest::timeSample,
                    () -> timeSample(new Random(0)), 2);
        }
    }

    @Test
    void kvp() throws Exception {
        KvpSettings settings = new KvpSettings(dir.resolve("pools"), true, List.of("true"), dir.resolve("sys"));
        try (DeviceProbe probe = DeviceProbe.of("kvp", new KvpDevice(settings))) {
            fuzz(probe, List.of(IcVersion.of(4, 0)), IcHostFuzzTest::kvpRequest, () -> kvpGet(0, "fuzz"), 3);
        }
    }

    /**
     * Negotiates {@code versions}, then sends {@link #MESSAGES} messages made by {@code make}, each spoilt (or not)
     * at random; after each, {@code good} must still get an answer, until the device fails a message (a real
     * channel would be faulted then, and nothing more sent).
     */
    private static void fuzz(DeviceProbe probe, List<IcVersion> versions, java.util.function.Function<Random, byte[]> make,
                             Supplier<byte[]> good, long seed) throws Exception {
        probe.negotiate(versions);
        Random r = new Random(seed);
        int answered = 0;
        int failed = 0;
        for (int i = 0; i < MESSAGES; i++) {
            byte[] m = make.apply(r);
            String what = "message " + i + " (seed " + seed + ")";
            switch (r.nextInt(4)) {
                case 0 -> spoil(m, 0, IcMessage.HEADER_LENGTH, r);
                case 1 -> spoil(m, 0, m.length, r);
                case 2 -> m = Arrays.copyOf(m, r.nextInt(m.length + 1));
                default -> m = Arrays.copyOf(m, m.length + 8 * r.nextInt(8));
            }
            try {
                probe.send(m, 100 + i);
                answered++;
            } catch (Exception | AssertionError e) {
                failed++;
                String reason = String.valueOf(e.getMessage());
                for (String u : UNEXPECTED) {
                    if (reason.contains(u)) {
                        fail(what + ": an exception the device did not throw itself: " + reason, e);
                    }
                }
                continue;
            }
            byte[] ok = good.get();
            byte[] reply = probe.exchange(ok);
            assertEquals(IcConstants.FLAGS_GUEST_RESPONSE, new IcMessage(reply).flags() & IcConstants.FLAGS_GUEST_RESPONSE,
                    what + ": the well-formed message after it was not answered as a response");
        }
        assertTrue(answered > 0, "no message was answered or dropped (" + failed + " failed)");
    }

    private static byte[] heartbeat(long sequence) {
        IcMessage m = Packets.ic(IcConstants.MSGTYPE_HEARTBEAT, IcVersion.of(3, 0), IcVersion.of(3, 0), 16);
        m.putU64(HeartbeatDevice.SEQUENCE, sequence);
        return m.bytes();
    }

    /** A v4 time sample (framework 3.0, service 4.0, 24-byte body) of random times and flags. */
    private static byte[] timeSample(Random r) {
        IcMessage m = Packets.ic(IcConstants.MSGTYPE_TIMESYNC, IcVersion.of(3, 0), IcVersion.of(4, 0), 24);
        ByteBuffer b = ByteBuffer.wrap(m.bytes()).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(IcMessage.HEADER_LENGTH, r.nextLong() >>> 1);
        b.putLong(IcMessage.HEADER_LENGTH + 8, r.nextLong() >>> 1);
        b.put(IcMessage.HEADER_LENGTH + 16, (byte) r.nextInt(4));
        return b.array();
    }

    /** A KVP request of a random operation (GET, SET, DELETE, ENUMERATE) on a random pool. */
    private static byte[] kvpRequest(Random r) {
        int pool = r.nextInt(5);
        return switch (r.nextInt(4)) {
            case 0 -> kvpGet(pool, "k" + r.nextInt(4));
            case 1 -> {
                byte[] b = kvp(1, pool);
                ByteBuffer le = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
                le.putInt(IcMessage.HEADER_LENGTH + 4, 1);
                utf16(b, IcMessage.HEADER_LENGTH + 8, IcMessage.HEADER_LENGTH + 16, "k" + r.nextInt(4));
                utf16(b, IcMessage.HEADER_LENGTH + 12, IcMessage.HEADER_LENGTH + 528, "v" + r.nextInt());
                yield b;
            }
            case 2 -> {
                byte[] b = kvp(2, pool);
                utf16(b, IcMessage.HEADER_LENGTH + 4, IcMessage.HEADER_LENGTH + 8, "k" + r.nextInt(4));
                yield b;
            }
            default -> {
                byte[] b = kvp(3, pool);
                ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(IcMessage.HEADER_LENGTH + 4, r.nextInt(4));
                yield b;
            }
        };
    }

    private static byte[] kvpGet(int pool, String key) {
        byte[] b = kvp(0, pool);
        utf16(b, IcMessage.HEADER_LENGTH + 8, IcMessage.HEADER_LENGTH + 16, key);
        return b;
    }

    /** A KVP request for ops 0-3: the fixed 2580-byte body (spec ic-protocols §3.4.2). */
    private static byte[] kvp(int op, int pool) {
        byte[] b = IcMessage.request(IcConstants.MSGTYPE_KVPEXCHANGE, IcVersion.of(3, 0), IcVersion.of(4, 0), 2580, 0)
                .bytes();
        b[IcMessage.HEADER_LENGTH] = (byte) op;
        b[IcMessage.HEADER_LENGTH + 1] = (byte) pool;
        return b;
    }

    /** {@code s} as UTF-16LE and a NUL at {@code at}, its byte size at {@code sizeAt}. */
    private static void utf16(byte[] b, int sizeAt, int at, String s) {
        byte[] u = s.getBytes(StandardCharsets.UTF_16LE);
        System.arraycopy(u, 0, b, at, u.length);
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(sizeAt, u.length + 2);
    }

    private static void spoil(byte[] m, int from, int to, Random r) {
        to = Math.min(to, m.length);
        if (to <= from) {
            return;
        }
        int n = 1 + r.nextInt(4);
        for (int i = 0; i < n; i++) {
            m[from + r.nextInt(to - from)] = (byte) r.nextInt(256);
        }
    }
}
