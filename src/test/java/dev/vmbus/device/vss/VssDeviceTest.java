package dev.vmbus.device.vss;

import dev.vmbus.bus.Addresses;
import dev.vmbus.bus.ChannelEvent;
import dev.vmbus.channel.DeviceClass;
import dev.vmbus.channel.EndReason;
import dev.vmbus.channel.Offer;
import dev.vmbus.config.TransportType;
import dev.vmbus.spi.DeviceContext;
import dev.vmbus.testkit.DeviceProbe;
import dev.vmbus.testkit.Packets;
import dev.vmbus.ic.IcConstants;
import dev.vmbus.ic.IcMessage;
import dev.vmbus.ic.IcVersion;
import dev.vmbus.ic.vss.VssMessage;
import dev.vmbus.ic.vss.VssOperation;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The guest's VSS handler: reply bytes per operation, freeze/thaw commands, undo, held logs, auto-thaw. */
class VssDeviceTest {
    @TempDir
    Path tmp;
    private DeviceProbe probe;
    private Path journal;

    @AfterEach
    void stop() throws Exception {
        if (probe != null) {
            probe.close();
        }
    }

    /** Commands that append "freeze MOUNT" / "thaw MOUNT" / hook names to a journal file (sh's $0 is the mount). */
    private JsonObject recording(String failFreezeOf) {
        journal = tmp.resolve("journal");
        String j = journal.toString();
        return new JsonObject().put("dryRun", false).put("mounts", new JsonArray().add("/").add("/srv").add("/var"))
                .put("freezeCommand", new JsonArray().add("sh").add("-c")
                        .add("[ \"$0\" = '" + failFreezeOf + "' ] && exit 3; echo freeze $0 >> " + j))
                .put("thawCommand", new JsonArray().add("sh").add("-c").add("echo thaw $0 >> " + j))
                .put("preFreezeCommand", new JsonArray().add("sh").add("-c").add("echo pre >> " + j))
                .put("postThawCommand", new JsonArray().add("sh").add("-c").add("echo post >> " + j));
    }

    private void start(JsonObject config) throws Exception {
        probe = DeviceProbe.of(new VssHandler(), config);
        IcMessage n = probe.negotiate(List.of(IcVersion.of(4, 0), IcVersion.of(5, 0), IcVersion.of(7, 0)));
        assertEquals(IcVersion.of(5, 0), IcVersion.of(n.u16(40), n.u16(42)));
    }

    /** A host request: versions 3.0/5.0, the operation, flags 0x11 and a marker in the reserved bytes; 64 bytes. */
    private static byte[] request(int op) {
        IcMessage m = IcMessage.request(IcConstants.MSGTYPE_VSS, IcVersion.of(3, 0), IcVersion.of(5, 0), 36, 9);
        m.bytes()[VssMessage.OPERATION] = (byte) op;
        m.bytes()[30] = 0x5a;
        m.putU32(VssMessage.FLAGS, 0x11);
        m.putU32(60, 0x01020304);
        return m.bytes();
    }

    private static byte[] expected(byte[] request, int status, Integer flags) {
        IcMessage m = new IcMessage(request.clone());
        m.flags(0x05);
        m.status(dev.vmbus.ic.IcStatus.of(status));
        if (flags != null) {
            m.putU32(VssMessage.FLAGS, flags);
        }
        return m.bytes();
    }

    private List<String> journal() throws Exception {
        return Files.exists(journal) ? Files.readAllLines(journal) : List.of();
    }

    @Test
    void immediateOperationsAreAnsweredAtOnceWithLinuxsBytes() throws Exception {
        start(new JsonObject());
        for (VssOperation op : List.of(VssOperation.CREATE, VssOperation.DELETE, VssOperation.BACKUP_COMPLETE,
                VssOperation.AUTO_RECOVER, VssOperation.QUERY_GUEST_CLUSTER_INFO)) {
            byte[] req = request(op.code());
            req[20] = 0x77; // status is set to 0, not echoed
            assertArrayEquals(expected(req, 0, null), probe.reply(req, op.code()).payload(), op.name());
        }
        assertArrayEquals(expected(request(3), 0, 0), probe.reply(request(3), 3).payload(), "GET_DM_INFO: flags 0");
        assertArrayEquals(expected(request(200), 0, null), probe.reply(request(200), 4).payload(),
                "an operation no version defines: Linux's default branch");
        assertArrayEquals(expected(request(2), 0, VssMessage.HBU_NO_AUTO_RECOVERY), probe.reply(request(2), 5).payload(),
                "CHECK_HOT_BACKUP answers 'no auto-recovery', as the kernel means to");
        assertFalse(probe.state().getBoolean("frozen"));
    }

    @Test
    void shortMessagesAndOtherTypesGetNoReply() throws Exception {
        start(new JsonObject());
        assertEquals(Optional.empty(), probe.send(Arrays.copyOf(request(5), 28 + 8), 1), "8 of the 12 body bytes");
        byte[] other = request(5);
        other[12] = IcConstants.MSGTYPE_KVPEXCHANGE;
        assertEquals(Optional.empty(), probe.send(other, 2), "Linux's VSS logs other types and never answers");
        assertEquals(Optional.empty(), probe.send(new byte[16], 3));
        assertFalse(probe.state().getBoolean("frozen"), "the short FREEZE did nothing");
        byte[] minimal = Arrays.copyOf(request(5), 40);
        assertArrayEquals(expected(minimal, 0, null), probe.reply(minimal, 4).payload(), "exactly 12 body bytes is enough");
    }

    @Test
    void freezeRunsTheHookThenEachMountWithRootLastAndThawUndoesItInReverse() throws Exception {
        start(recording("none"));
        assertArrayEquals(expected(request(5), 0, null), probe.reply(request(5), 1).payload());
        assertEquals(List.of("pre", "freeze /srv", "freeze /var", "freeze /"), journal());
        JsonObject s = probe.state();
        assertTrue(s.getBoolean("frozen"));
        assertTrue(s.getBoolean("logsHeld"));
        assertArrayEquals(expected(request(6), 0, null), probe.reply(request(6), 2).payload());
        assertEquals(List.of("pre", "freeze /srv", "freeze /var", "freeze /", "thaw /", "thaw /var", "thaw /srv", "post"),
                journal());
        s = probe.state();
        assertFalse(s.getBoolean("frozen"));
        assertEquals(1, s.getInteger("freezes"));
        assertEquals(1, s.getInteger("thaws"));
        assertTrue(s.getLong("lastFreezeMs") >= 0);
        assertArrayEquals(expected(request(6), 0, null), probe.reply(request(6), 3).payload(),
                "a THAW when nothing is frozen succeeds, as Linux's daemon (EINVAL ignored)");
        assertEquals(List.of("thaw /", "thaw /var", "thaw /srv"), journal().subList(8, journal().size()),
                "and thaws every mount all the same, as Linux's FITHAW on each file system; no hook");
    }

    /**
     * An agent that froze the file systems and died (a crash, the watchdog) left nothing in memory: the host's THAW,
     * to the agent that systemd started again, must still thaw them. It thaws every mount, root first, as Linux's
     * daemon runs FITHAW whatever it believes; a thaw that fails is a mount that was not frozen (EINVAL) and the
     * answer is S_OK. It used to answer S_OK and run nothing, leaving them frozen with no limit.
     */
    @Test
    void aThawForAFreezeOfAnAgentThatDiedThawsEveryMount() throws Exception {
        start(recording("none").put("thawCommand", new JsonArray().add("sh").add("-c")
                .add("[ \"$0\" = /srv ] && { echo \"fsfreeze: $0: unfreeze failed: Invalid argument\"; exit 1; };"
                        + " echo thaw $0 >> " + tmp.resolve("journal"))));
        assertArrayEquals(expected(request(6), 0, null), probe.reply(request(6), 1).payload());
        assertEquals(List.of("thaw /", "thaw /var"), journal(), "each mount thawed, root first; /srv was not frozen");
        JsonObject s = probe.state();
        assertFalse(s.getBoolean("frozen"));
        JsonArray steps = s.getJsonArray("operations").getJsonObject(0).getJsonArray("steps");
        assertEquals(3, steps.size(), steps.encode());
        JsonObject srv = steps.getJsonObject(2);
        assertEquals("thaw /srv (not frozen by this agent)", srv.getString("step"));
        assertTrue(srv.getBoolean("ok") && srv.getString("detail").startsWith("not frozen (EINVAL"), srv.encode());
    }

    /**
     * The same THAW, where one mount's thaw fails for another reason than EINVAL (here an I/O error): the mount may
     * still be frozen, so the THAW fails (the host's backup is told), the device says frozen, and the auto-thaw
     * tries that mount again, as for a thaw of its own freeze that failed.
     */
    @Test
    void aThawThatFailsOtherwiseForAMountItDidNotFreezeFailsAndKeepsTrying() throws Exception {
        start(recording("none").put("autoThawSeconds", 1).put("thawCommand", new JsonArray().add("sh").add("-c")
                .add("if [ \"$0\" = /var ] && [ ! -e " + tmp.resolve("fixed") + " ]; then"
                        + " echo \"fsfreeze: $0: unfreeze failed: Input/output error\"; exit 1; fi;"
                        + " echo thaw $0 >> " + tmp.resolve("journal"))));
        assertArrayEquals(expected(request(6), IcConstants.E_FAIL.value(), null), probe.reply(request(6), 1).payload());
        assertEquals(List.of("thaw /", "thaw /srv"), journal());
        assertTrue(probe.state().getBoolean("frozen"), "/var may still be frozen");
        Files.createFile(tmp.resolve("fixed"));
        JsonObject s = probe.awaitState(st -> !st.getBoolean("frozen"), "the auto-thaw thawing /var");
        assertEquals(List.of("thaw /", "thaw /srv", "thaw /var"), journal());
        assertEquals(1, s.getInteger("autoThaws"));
    }

    /**
     * The channel goes while the file systems are frozen (the host rescinded it, or it faulted): they are thawed at
     * once, as Linux's daemon thaws when its device is reset, not when the auto-thaw comes (900 s here); the host
     * that froze them will send no THAW on that channel.
     */
    @Test
    void aChannelThatEndsWhileFrozenIsThawedAtOnce() throws Exception {
        start(recording("none"));
        assertArrayEquals(expected(request(5), 0, null), probe.reply(request(5), 1).payload());
        assertTrue(probe.state().getBoolean("frozen"));
        Offer offer = new Offer(DeviceProbe.RELID, DeviceClass.VSS.classId(), UUID.randomUUID(), 0, 16384);
        probe.vertx().eventBus().publish(Addresses.CHANNELS, ChannelEvent.ended(offer, "vss",
                EndReason.of(EndReason.Kind.HOST_RESCINDED, "rescinded by the host")));
        JsonObject s = probe.awaitState(st -> !st.getBoolean("frozen"), "the file systems thawed");
        assertEquals(List.of("pre", "freeze /srv", "freeze /var", "freeze /", "thaw /", "thaw /var", "thaw /srv", "post"),
                journal());
        assertEquals(0, s.getInteger("autoThaws"));
        assertEquals("THAW (channel ended)", s.getJsonArray("operations").getJsonObject(0).getString("operation"));
    }

    @Test
    void aFailedFreezeThawsWhatWasFrozenAndAnswersFail() throws Exception {
        start(recording("/var"));
        assertArrayEquals(expected(request(5), IcConstants.E_FAIL.value(), null), probe.reply(request(5), 1).payload());
        assertEquals(List.of("pre", "freeze /srv", "thaw /srv", "post"), journal());
        JsonObject s = probe.state();
        assertFalse(s.getBoolean("frozen"));
        assertFalse(s.getBoolean("logsHeld"));
        assertEquals(1, s.getInteger("failures"));
        JsonArray steps = s.getJsonArray("operations").getJsonObject(0).getJsonArray("steps");
        assertTrue(steps.getJsonObject(2).getString("detail").contains("exit 3"), steps.encode());
    }

    @Test
    void logsWrittenWhileFrozenReachTheHandlersOnlyAfterTheThaw() throws Exception {
        start(new JsonObject()); // dry run: the log hold is the same as for a real freeze
        List<String> seen = new CopyOnWriteArrayList<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord r) {
                seen.add(r.getMessage());
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Logger root = Logger.getLogger("");
        root.addHandler(capture);
        try {
            probe.reply(request(5), 1);
            Logger.getLogger("some.application").warning("written while frozen");
            assertFalse(seen.contains("written while frozen"), "a log record reached a handler during the freeze");
            probe.reply(request(6), 2);
            assertTrue(seen.contains("written while frozen"), "the held record was not delivered on thaw: " + seen);
        } finally {
            root.removeHandler(capture);
        }
        assertTrue(Arrays.asList(root.getHandlers()).stream().noneMatch(h -> h.getClass().getName().contains("LogHold")),
                "the stand-in handler is gone");
    }

    @Test
    void aFreezeWithoutThawIsThawedAfterAutoThawSeconds() throws Exception {
        start(recording("none").put("autoThawSeconds", 1));
        probe.reply(request(5), 1);
        JsonObject s = probe.awaitState(st -> !st.getBoolean("frozen"), "the auto-thaw");
        assertEquals(1, s.getInteger("autoThaws"));
        assertEquals("THAW (auto-thaw)", s.getJsonArray("operations").getJsonObject(0).getString("operation"));
        assertEquals(List.of("pre", "freeze /srv", "freeze /var", "freeze /", "thaw /", "thaw /var", "thaw /srv", "post"),
                journal());
        assertTrue(s.getLong("lastFreezeMs") >= 1000, s.encode());
    }

    @Test
    void configKeysAreCheckedByName() {
        VssSettings d = settings(new JsonObject());
        assertTrue(d.dryRun());
        assertEquals(List.of(), d.mounts());
        assertEquals(900, d.autoThawSeconds());
        assertEquals(List.of("fsfreeze", "-f"), d.freezeCommand());
        assertEquals(List.of("fsfreeze", "-u"), d.thawCommand());
        assertMessage(new JsonObject().put("mount", new JsonArray()), "unknown key 'mount'");
        assertMessage(new JsonObject().put("mounts", new JsonArray().add("data")), "'mounts[0]' must be an absolute path");
        assertMessage(new JsonObject().put("mounts", new JsonArray().add("/a").add("/a")), "'mounts[1]' repeats /a");
        assertMessage(new JsonObject().put("autoThawSeconds", 0), "'autoThawSeconds' must be 1..86400");
        assertMessage(new JsonObject().put("autoThawSeconds", 1.5), "'autoThawSeconds' must be a whole number");
        assertMessage(new JsonObject().put("preFreezeCommand", "sync"), "'preFreezeCommand' must be an array of strings");
    }

    private static VssSettings settings(JsonObject config) {
        return new VssHandler().settings(new DeviceContext("vss", config, TransportType.SIM));
    }

    private static void assertMessage(JsonObject config, String expected) {
        var e = assertThrows(IllegalArgumentException.class, () -> settings(config));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
