package dev.vmbus.device.fcopy;

import dev.vmbus.testkit.DeviceProbe;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static dev.vmbus.testkit.Packets.icReply;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The guest's file copy answers, byte for byte, and what they leave on disk (spec ic-protocols.md section 3.6). */
class FcopyGuestTest {
    static final int OK = 0;
    static final int E_FAIL = 0x80004005;
    static final int EXISTS = 0x80070050;
    static final int DISK_FULL = 0x80070070;
    static final int OVER_WRITE = 1;
    static final int CREATE_PATH = 2;

    @TempDir
    Path dir;
    private DeviceProbe guest;
    private Path root;

    private FcopyDevice device;

    private void start(PartialFile.Opener opener) throws Exception {
        start(opener, FcopyDevice.ABANDON_AFTER_MS);
    }

    private void start(PartialFile.Opener opener, long abandonAfterMs) throws Exception {
        root = dir.resolve("root");
        Files.createDirectories(root);
        device = new FcopyDevice(new FcopySettings(List.of(root), 100_000), opener, abandonAfterMs);
        guest = DeviceProbe.of("fcopy", device);
    }

    @AfterEach
    void stop() throws Exception {
        if (guest != null) {
            guest.close();
        }
    }

    private void expect(byte[] request, int status) throws Exception {
        assertArrayEquals(icReply(request, status), guest.exchange(request),
                "status 0x" + Integer.toHexString(status));
    }

    /** Everything under the root, so a leftover temporary file cannot hide. */
    private List<String> tree() throws Exception {
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(Files::isRegularFile).map(p -> root.relativize(p).toString()).sorted().toList();
        }
    }

    /**
     * An agent that died in the middle of copies (a crash, the watchdog) left their hidden temporary files next to
     * their targets: the next agent removes them when it starts, at any depth under a root, and nothing else (a
     * file of another name, or one of its own copies, younger than its start). They stayed for good.
     */
    @Test
    void theTemporaryFilesOfCopiesAnAgentThatDiedLeftAreRemovedAtStart() throws Exception {
        root = dir.resolve("root");
        Path deep = Files.createDirectories(root.resolve("a/b"));
        java.nio.file.attribute.FileTime before = java.nio.file.attribute.FileTime.from(
                java.time.Instant.now().minusSeconds(3600));
        List<Path> stale = List.of(root.resolve(".vmbus-fcopy-1.part"), deep.resolve(".vmbus-fcopy-2.part"));
        for (Path p : stale) {
            Files.writeString(p, "half a file");
            Files.setLastModifiedTime(p, before);
        }
        Path notOurs = Files.writeString(deep.resolve(".vmbus-fcopy-notes.txt"), "kept");
        Path target = Files.writeString(root.resolve("report.csv"), "kept");
        Files.setLastModifiedTime(notOurs, before);
        Files.setLastModifiedTime(target, before);
        start(PartialFile.CREATE_NEW);
        await("the leftovers removed").atMost(10, java.util.concurrent.TimeUnit.SECONDS)
                .until(() -> stale.stream().noneMatch(Files::exists));
        assertEquals(List.of(".vmbus-fcopy-notes.txt", "report.csv"), Files.walk(root).filter(Files::isRegularFile)
                .map(p -> p.getFileName().toString()).sorted().toList());
        // a fresh temporary file (a copy of this agent's) is left alone
        Path young = Files.writeString(root.resolve(".vmbus-fcopy-3.part"), "in progress");
        assertEquals(0, new FcopyService(new FcopySettings(List.of(root), 100_000), PartialFile.CREATE_NEW,
                new dev.vmbus.channel.HostComplaints()).removeLeftovers(java.time.Instant.now().minusSeconds(60)));
        assertTrue(Files.exists(young));
    }

    @Test
    void aCopyWithANonAsciiNameLandsOnlyOnComplete() throws Exception {
        start(PartialFile.CREATE_NEW);
        String name = "résumé-日本-𝄞.txt";
        byte[] data = "hello, guest".getBytes(StandardCharsets.UTF_8);
        expect(FcopyWire.start(root + "/a/b", name, CREATE_PATH, data.length + 6), OK);
        expect(FcopyWire.write(6, data), OK);
        expect(FcopyWire.write(0, "HEAD: ".getBytes(StandardCharsets.UTF_8)), OK);
        assertFalse(Files.exists(root.resolve("a/b").resolve(name)), "nothing at the target before COMPLETE");
        expect(FcopyWire.complete(), OK);
        assertEquals("HEAD: hello, guest", Files.readString(root.resolve("a/b").resolve(name)));
        assertEquals(List.of("a/b/" + name), tree());
    }

    @Test
    void overwriteAndAlreadyExists() throws Exception {
        start(PartialFile.CREATE_NEW);
        Files.writeString(root.resolve("f"), "old");
        expect(FcopyWire.start("", "f", 0, 3), EXISTS);
        expect(FcopyWire.start(root.toString(), "f", OVER_WRITE, 3), OK);
        expect(FcopyWire.write(0, "new".getBytes(StandardCharsets.UTF_8)), OK);
        expect(FcopyWire.complete(), OK);
        assertEquals("new", Files.readString(root.resolve("f")));
    }

    @Test
    void targetsOutsideTheRootsAreRefused() throws Exception {
        start(PartialFile.CREATE_NEW);
        Path outside = dir.resolve("outside");
        Files.createDirectories(outside);
        Files.createSymbolicLink(root.resolve("escape"), outside);
        expect(FcopyWire.start(root + "/../outside", "x", CREATE_PATH, 1), E_FAIL);
        expect(FcopyWire.start(outside.toString(), "x", CREATE_PATH, 1), E_FAIL);
        expect(FcopyWire.start(root + "/escape", "x", CREATE_PATH, 1), E_FAIL);
        expect(FcopyWire.start(root + "/escape/deeper", "x", CREATE_PATH, 1), E_FAIL);
        expect(FcopyWire.start(root.toString(), "..", 0, 1), E_FAIL);
        expect(FcopyWire.start(root.toString(), "a/b", 0, 1), E_FAIL);
        expect(FcopyWire.start(root + "/missing", "x", 0, 1), E_FAIL); // no CREATE_PATH
        try (Stream<Path> s = Files.list(outside)) {
            assertEquals(0, s.count());
        }
        assertFalse(Files.exists(root.resolve("missing")));
    }

    @Test
    void writesAreBoundedAndEveryRefusalLeavesNothing() throws Exception {
        start(PartialFile.CREATE_NEW);
        expect(FcopyWire.write(0, new byte[10]), E_FAIL); // no copy in progress
        expect(FcopyWire.complete(), E_FAIL);
        expect(FcopyWire.cancel(), OK); // cancelling nothing is fine
        expect(FcopyWire.start(root.toString(), "big", 0, 200_000), E_FAIL); // over maxFileBytes

        expect(FcopyWire.start(root.toString(), "f", 0, 100), OK);
        expect(FcopyWire.write(95, new byte[10]), E_FAIL); // past the announced size
        expect(FcopyWire.write(0, new byte[10]), E_FAIL); // that refusal ended the copy
        assertEquals(List.of(), tree());

        expect(FcopyWire.start(root.toString(), "f", 0, 0), OK); // no size announced: maxFileBytes bounds it
        byte[] oversized = FcopyWire.write(0, new byte[6152]);
        FcopyWire.le(oversized).putInt(76, 6145);
        expect(oversized, E_FAIL);
        assertEquals(List.of(), tree());

        expect(FcopyWire.start(root.toString(), "f", 0, 0), OK);
        byte[] lying = FcopyWire.write(0, new byte[8]);
        FcopyWire.le(lying).putInt(76, 4000); // claims more data than the message holds
        expect(lying, E_FAIL);

        // a WRITE cut inside its offset and size (IcHostFuzzTest found it): refused, not an IndexOutOfBoundsException
        expect(FcopyWire.start(root.toString(), "f", 0, 10), OK);
        expect(FcopyWire.write(0, new byte[5]), OK);
        expect(Arrays.copyOf(FcopyWire.write(5, new byte[5]), 72), E_FAIL);
        assertEquals(List.of(), tree(), "and it ended the copy");

        expect(FcopyWire.start(root.toString(), "f", 0, 10), OK);
        expect(FcopyWire.write(0, new byte[5]), OK);
        assertEquals(1, tree().size(), "the data so far is in one temporary file");
        expect(FcopyWire.cancel(), OK);
        assertEquals(List.of(), tree(), "CANCEL deletes it");
    }

    @Test
    void malformedAndShortMessages() throws Exception {
        start(PartialFile.CREATE_NEW);
        byte[] noNul = FcopyWire.start(root.toString(), "x", 0, 1);
        Arrays.fill(noNul, 64, 584, (byte) 'a'); // 260 units, none of them NUL
        expect(noNul, E_FAIL);
        byte[] surrogate = FcopyWire.start(root.toString(), "xy", 0, 1);
        surrogate[65] = (byte) 0xDC; // a lone low surrogate
        expect(surrogate, E_FAIL);
        byte[] shortStart = Arrays.copyOf(FcopyWire.start(root.toString(), "x", 0, 1), 600);
        expect(shortStart, E_FAIL);
        byte[] common = Arrays.copyOf(FcopyWire.complete(), 56);
        expect(common, E_FAIL);
        byte[] unknown = FcopyWire.complete();
        FcopyWire.le(unknown).putInt(28, 9);
        expect(unknown, E_FAIL);
        byte[] otherType = FcopyWire.complete();
        otherType[12] = 2;
        expect(otherType, E_FAIL);
        assertEquals(Optional.empty(), guest.send(new byte[24], DeviceProbe.TRANSACTION_ID), "shorter than the IC header: dropped");
        assertEquals(List.of(), tree());
    }

    /**
     * A copy the host stops feeding is deleted once it has been idle for the abandon time, and the sweep that finds
     * it runs only while a copy is in progress: an idle agent keeps no timer for it (the sweep used to wake the
     * agent every 75 s forever).
     */
    @Test
    void anIdleCopyIsAbandonedAndTheSweepRunsOnlyWhileACopyIsInProgress() throws Exception {
        start(PartialFile.CREATE_NEW, 200);
        assertFalse(device.sweeping(), "no copy in progress: no sweep");
        expect(FcopyWire.start(root.toString(), "done", 0, 3), OK);
        assertTrue(device.sweeping(), "a copy in progress: the sweep is armed before the reply");
        expect(FcopyWire.write(0, "abc".getBytes(StandardCharsets.UTF_8)), OK);
        expect(FcopyWire.complete(), OK);
        assertFalse(device.sweeping(), "the copy completed: the sweep is cancelled before the reply");

        expect(FcopyWire.start(root.toString(), "left", 0, 10), OK);
        expect(FcopyWire.write(0, new byte[5]), OK);
        assertTrue(device.sweeping());
        guest.awaitState(s -> s.getJsonArray("transfers").stream().map(JsonObject.class::cast)
                .anyMatch(t -> t.getString("target").endsWith("left") && "abandoned".equals(t.getString("state"))),
                "the idle copy to be abandoned");
        assertEquals(List.of("done"), tree(), "the abandoned copy's data is gone, the completed file stays");
        // the sweep ends on the device's context just after
        await("no copy in progress any more: the sweep to be cancelled").atMost(10, TimeUnit.SECONDS)
                .until(() -> !device.sweeping());
    }

    @Test
    void aFullDiskGivesTheDiskFullStatusAndNoFile() throws Exception {
        // The temporary file is created for real, but its data goes to /dev/full, which fails with ENOSPC.
        start(temp -> {
            Files.createFile(temp);
            return FileChannel.open(Path.of("/dev/full"), StandardOpenOption.WRITE);
        });
        expect(FcopyWire.start(root.toString(), "f", 0, 100), OK);
        expect(FcopyWire.write(0, new byte[64]), DISK_FULL);
        assertEquals(List.of(), tree());
        expect(FcopyWire.start(root.toString(), "f", 0, Long.MAX_VALUE / 2), E_FAIL);
    }
}
