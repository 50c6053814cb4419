package dev.vmbus.device;

import dev.vmbus.device.heartbeat.HeartbeatDevice;
import dev.vmbus.device.kvp.KvpDevice;
import dev.vmbus.device.kvp.KvpSettings;
import dev.vmbus.device.timesync.TimesyncDevice;
import dev.vmbus.device.timesync.TimesyncSettings;
import dev.vmbus.ic.IcConstants;
import dev.vmbus.ic.IcMessage;
import dev.vmbus.ic.IcVersion;
import dev.vmbus.ic.shutdown.ShutdownMessage;
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
 * A host at random against the six integration services, each set up so that nothing it is asked can act on this
 * machine: heartbeat; timesync with its clock steps recorded, not made; KVP in a temporary pool directory, dry run;
 * shutdown and VSS in dry run with {@code true} for every command; file copy confined to a temporary root. Each
 * negotiates, then gets messages a host sends with random bytes changed, cut short or run long. Every message is
 * answered, dropped (the IC rules for garbage) or fails with the device's own reason, never with a Java exception
 * (an exception the device did not throw itself is a check it lacks); and after it, a well-formed message is still
 * answered as a response. Every case comes from a fixed seed.
 */
class IcHostFuzzTest {
    /** Per service; a longer hunt: {@code -Dtest.argLine="--enable-native-access=ALL-UNNAMED -Dfuzz.messages=5000 -Dfuzz.seed=N"}. */
    private static final int MESSAGES = Integer.getInteger("fuzz.messages", 300);
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
            // a spoilt header can be a negotiation, and one that picks the old layout makes a v4 sample too short to
            // answer (as Linux): another type is answered whatever was negotiated
            fuzz(probe, List.of(IcVersion.of(4, 0)), IcHostFuzzTest::timeSample, IcHostFuzzTest::otherType, 2);
        }
    }

    @Test
    void kvp() throws Exception {
        KvpSettings settings = new KvpSettings(dir.resolve("pools"), true, List.of("true"), dir.resolve("sys"));
        try (DeviceProbe probe = DeviceProbe.of("kvp", new KvpDevice(settings))) {
            fuzz(probe, List.of(IcVersion.of(4, 0)), IcHostFuzzTest::kvpRequest, () -> kvpGet(0, "fuzz"), 3);
        }
    }

    @Test
    void shutdown() throws Exception {
        List<String> nothing = List.of("true");
        try (DeviceProbe probe = DeviceProbe.of("shutdown", new dev.vmbus.device.shutdown.ShutdownDevice(
                new dev.vmbus.device.shutdown.ShutdownSettings(true, nothing, nothing, nothing)))) {
            fuzz(probe, List.of(IcVersion.of(3, 2)), r -> {
                IcMessage m = IcMessage.request(IcConstants.MSGTYPE_SHUTDOWN, IcVersion.of(3, 0), IcVersion.of(3, 2),
                        ShutdownMessage.BODY_LENGTH, 0);
                ShutdownMessage.write(m, r.nextInt(8), ShutdownMessage.REASON_PLANNED, r.nextInt(60));
                return m.bytes();
            }, IcHostFuzzTest::otherType, 4);
        }
    }

    @Test
    void vss() throws Exception {
        List<String> nothing = List.of("true");
        try (DeviceProbe probe = DeviceProbe.of("vss", new dev.vmbus.device.vss.VssDevice(
                new dev.vmbus.device.vss.VssSettings(true, List.of(), 900, nothing, nothing, nothing, nothing)))) {
            fuzz(probe, List.of(IcVersion.of(5, 0)), r -> {
                IcMessage m = IcMessage.request(IcConstants.MSGTYPE_VSS, IcVersion.of(3, 0), IcVersion.of(5, 0), 36, 0);
                m.bytes()[IcMessage.HEADER_LENGTH] = (byte) r.nextInt(8); // the operation
                return m.bytes();
            }, () -> { // VSS answers no other type (as Linux); an operation it does not know it answers S_OK
                IcMessage m = IcMessage.request(IcConstants.MSGTYPE_VSS, IcVersion.of(3, 0), IcVersion.of(5, 0), 36, 0);
                m.bytes()[IcMessage.HEADER_LENGTH] = (byte) 200;
                return m.bytes();
            }, 5);
        }
    }

    @Test
    void fcopy() throws Exception {
        Path root = java.nio.file.Files.createDirectories(dir.resolve("fcopy"));
        try (DeviceProbe probe = DeviceProbe.of("fcopy", new dev.vmbus.device.fcopy.FcopyDevice(
                new dev.vmbus.device.fcopy.FcopySettings(List.of(root), 100_000)))) {
            fuzz(probe, List.of(IcVersion.of(1, 1)), r -> switch (r.nextInt(4)) {
                case 0 -> {
                    byte[] b = fcopy(0, 1092);
                    utf16At(b, 64, "f" + r.nextInt(4));
                    utf16At(b, 584, root.toString());
                    ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(1104, r.nextInt(4)).putLong(1108, r.nextInt(4096));
                    yield b;
                }
                case 1 -> {
                    byte[] data = new byte[r.nextInt(64)];
                    r.nextBytes(data);
                    byte[] b = fcopy(1, ((80 + data.length + 7) & ~7) - IcMessage.HEADER_LENGTH);
                    ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(68, r.nextInt(4096)).putInt(76, data.length);
                    System.arraycopy(data, 0, b, 80, data.length);
                    yield b;
                }
                case 2 -> fcopy(2, 36);
                default -> fcopy(3, 36);
            }, IcHostFuzzTest::otherType, 6);
        }
    }

    /** A file-copy request of operation {@code op} (START, WRITE, COMPLETE, CANCEL) with a body of {@code body} bytes. */
    private static byte[] fcopy(int op, int body) {
        byte[] b = IcMessage.request(IcConstants.MSGTYPE_FCOPY, IcVersion.of(3, 0), IcVersion.of(1, 1), body, 0).bytes();
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(IcMessage.HEADER_LENGTH, op);
        return b;
    }

    private static void utf16At(byte[] b, int at, String s) {
        byte[] u = s.getBytes(StandardCharsets.UTF_16LE);
        System.arraycopy(u, 0, b, at, u.length);
    }

    /** A message of a type the service does not take: every IC device answers it HV_E_FAIL, as a response. */
    private static byte[] otherType() {
        return heartbeat(7);
    }

    /**
     * Negotiates {@code versions}, then sends {@link #MESSAGES} messages made by {@code make}, each spoilt (or not)
     * at random; after each that did not fail, {@code good} must still get an answer. One that fails (with the
     * device's own reason) would fault a real channel; the device is kept here, so what follows tests it too.
     */
    private static void fuzz(DeviceProbe probe, List<IcVersion> versions, java.util.function.Function<Random, byte[]> make,
                             Supplier<byte[]> good, long seed) throws Exception {
        probe.negotiate(versions);
        Random r = new Random(seed + Long.getLong("fuzz.seed", 0));
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
