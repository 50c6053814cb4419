package dev.vmbus.cli;

import dev.vmbus.channel.DeviceClass;
import dev.vmbus.transport.uio.KernelFixtures.Generation;
import dev.vmbus.transport.uio.VmbusDevices;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code vmbus doctor} lists the recorded {@code vmbus bind --force} decisions (class, devices with the reasons
 * accepted, buffer share) and says what the boot's {@code bind --enabled} would do with each on this machine: the
 * verdict is checked against what {@code bind --enabled} then really does after a reboot of the fixture.
 */
class DoctorForcedTest {
    private static final String NETVSC = DeviceClass.byName("netvsc").orElseThrow().classId().toString();

    @TempDir
    Path dir;
    private BindFixture b;
    private String text;

    @BeforeEach
    void fixture() {
        b = new BindFixture(dir);
    }

    private int doctor(String... more) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        String[] argv = new String[3 + more.length];
        argv[0] = "doctor";
        argv[1] = "--conf";
        argv[2] = b.conf.toString();
        System.arraycopy(more, 0, argv, 3, more.length);
        int code = Vmbus.execute(argv, new PrintStream(bytes, true, StandardCharsets.UTF_8), System.err);
        text = bytes.toString(StandardCharsets.UTF_8);
        return code;
    }

    private JsonObject forcedJson() throws Exception {
        doctor("--json");
        return new JsonObject(text).getJsonObject("forced");
    }

    /** The one record of the doctor's JSON, checked to be the only one. */
    private JsonObject record() throws Exception {
        JsonArray records = forcedJson().getJsonArray("records");
        assertEquals(1, records.size(), records.encodePrettily());
        return records.getJsonObject(0);
    }

    private void disable(String... names) throws Exception {
        JsonObject c = new JsonObject(Files.readString(b.conf));
        for (String n : names) {
            c.getJsonObject("devices").put(n, new JsonObject().put("enabled", false));
        }
        Files.writeString(b.conf, c.encode());
    }

    @Test
    void aForcedNicIsListedWithItsDeviceAndReasonAndWhatTheBootWouldDoWithIt() throws Exception {
        b.on(Generation.V6_16, null);
        b.enable("netvsc");
        String nic = b.tree.dev("netvsc").instance();
        doctor();
        assertTrue(text.contains("forced binds: none recorded in " + b.stateDir().resolve("forced")), text);
        assertEquals(new JsonArray(), forcedJson().getJsonArray("records"));

        assertEquals(0, b.run("bind", "netvsc", "--force"), b.text());
        doctor();
        assertTrue(text.contains("forced binds recorded in " + b.stateDir().resolve("forced")), text);
        assertTrue(text.contains("  netvsc  class " + NETVSC + "  forced ") && text.contains(" on kernel 6.16.3 ("
                + NETVSC + ".json)"), text);
        assertTrue(text.contains("    device " + nic + " moved despite class-network"), text);
        assertTrue(text.contains("    buffers: within transport.maxBufferPercent when forced"), text);
        assertTrue(text.contains("    at boot: binds it again (the record still holds on this machine)"), text);
        JsonObject r = record();
        assertEquals("netvsc", r.getString("class"));
        assertEquals(new JsonObject().put(nic, new JsonArray().add("class-network")), r.getJsonObject("devices"));
        assertEquals("6.16.3", r.getString("kernel"));
        assertEquals("binds", r.getString("atBoot"));

        // A reboot: the record still holds, and bind --enabled does what doctor said.
        b.reboot(Generation.V6_16);
        b.enable("netvsc");
        assertEquals("binds", record().getString("atBoot"), "judged as after a reboot, the NIC back on hv_netvsc");
        assertEquals(0, b.bindEnabled(new ArrayList<>()), b.text());
        assertEquals(VmbusDevices.UIO_DRIVER, b.drivers().get("netvsc"));

        // A second NIC the operator never accepted: doctor says the boot refuses, with the reason, and it does.
        b.reboot(Generation.V6_16);
        b.enable("netvsc");
        String second = "000d3a6e-4548-000d-3a6e-4548000d3a6f";
        b.tree.addDevice("netvsc", second, 17);
        doctor();
        assertTrue(text.contains("    at boot: REFUSED, the record no longer holds on this machine ('vmbus bind netvsc"
                + " --force' accepts it anew):"), text);
        assertTrue(text.contains(second) && text.contains("a device it did not move"), text);
        r = record();
        assertEquals("refused", r.getString("atBoot"));
        assertTrue(r.getJsonArray("reasons").getString(0).contains("a device it did not move"), r.encode());
        assertEquals(1, b.bindEnabled(new ArrayList<>()), b.text());
        assertEquals("hv_netvsc", b.tree.driverOf(nic), b.text());

        // netvsc no longer enabled: bind --enabled leaves it alone, and doctor says so.
        disable("netvsc");
        doctor();
        assertTrue(text.contains("    at boot: nothing: netvsc is not enabled in the configuration"), text);
        assertEquals("notEnabled", record().getString("atBoot"));

        // A confidential VM now: what the kernel cannot do is refused whatever was accepted.
        b.reboot(Generation.V6_16);
        b.enable("netvsc");
        Files.writeString(b.tree.proc().resolve("cpuinfo"), "flags\t\t: fpu sev_snp\n");
        assertEquals("refused", record().getString("atBoot"));
        doctor();
        assertTrue(text.contains("this is a confidential VM"), text);
    }

    @Test
    void theBufferShareAForceAcceptedIsShownAndABootThatWouldPassItIsNamed() throws Exception {
        b.on(Generation.V6_10, null);
        Files.writeString(b.tree.proc().resolve("meminfo"), "MemTotal:        1048576 kB\n"); // 10% is 102.4 MiB
        disable("timesync", "shutdown", "vss");
        assertEquals(0, b.run("bind", "kvp"));
        assertEquals(0, b.run("bind", "fcopy"));
        assertEquals(0, b.run("bind", "heartbeat", "--force"), b.text()); // 141 MiB, 13.8%
        doctor();
        assertTrue(text.contains("  heartbeat  class " + BindFixture.HEARTBEAT + "  forced "), text);
        assertTrue(text.contains("    buffers: 13.8% of MemTotal accepted"), text);
        assertTrue(text.contains("    at boot: binds it again"), text);
        assertEquals(13.8, record().getDouble("bufferPercent"), 0.05);

        // vss enabled since: four classes would take 18.4%, past the 13.8% accepted, and the boot refuses one.
        b.reboot(Generation.V6_10);
        Files.writeString(b.tree.proc().resolve("meminfo"), "MemTotal:        1048576 kB\n");
        disable("timesync", "shutdown");
        doctor();
        assertTrue(text.contains("    at boot: binds its devices, but NOT every enabled class:"), text);
        assertTrue(text.contains("would take 18.4% of MemTotal, above transport.maxBufferPercent (10.0%) and the 13.8%"
                + " the records accepted: 'bind --enabled' refuses whichever class crosses it"), text);
        assertEquals("buffersExceeded", record().getString("atBoot"));
        assertEquals(1, b.bindEnabled(new ArrayList<>()), b.text());
        assertTrue(b.text().contains("above the 13.8% that the 'vmbus bind --force' recorded in"), b.text());
    }
}
