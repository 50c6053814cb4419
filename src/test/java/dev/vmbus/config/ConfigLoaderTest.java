package dev.vmbus.config;

import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.lang.reflect.RecordComponent;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConfigLoaderTest {
    @Test
    void theShippedConfigLoadsWithItsDocumentedValues() {
        VmbusConfig c = ConfigLoader.load(Path.of("conf/vmbus.json"));
        assertEquals(TransportType.SIM, c.transport().type());
        assertEquals("127.0.0.1", c.dashboard().host());
        assertEquals(2000, c.host().heartbeatIntervalMs());
        assertTrue(c.devices().containsKey("heartbeat"));
    }

    @Test
    void everyKeyHasADefault() {
        VmbusConfig c = ConfigLoader.parse("{}", "test");
        assertEquals(TransportType.SIM, c.transport().type());
        assertEquals("/dev/shm/vmbus", c.transport().shmDir());
        assertEquals("/sys", c.transport().sysfsRoot());
        assertEquals(8080, c.dashboard().port());
        assertTrue(c.dashboard().enabled());
        assertEquals(5000, c.host().timesyncIntervalMs());
        assertEquals(VmbusConfig.Host.DEFAULT_REFERENCE_COUNTER_AHEAD_MS, c.host().referenceCounterAheadMs());
        assertTrue(c.host().referenceCounterAheadMs() > 0, "every timesync test meets a counter that is not our clock");
        assertTrue(c.devices().isEmpty());
        assertEquals(VmbusConfig.Health.DEFAULTS, c.dashboard().health(), "the health defaults' one home");
        assertEquals(2500, ConfigLoader.parse("{\"dashboard\": {\"health\": {\"heartbeatLateMs\": 2500}}}", "t")
                .dashboard().health().heartbeatLateMs(), "a health key still overrides its default");
        assertMessage("{\"dashboard\": {\"health\": {\"heartbeatLate\": 1}}}", "unknown key 'dashboard.health.heartbeatLate'");
    }

    @Test
    void theEmptyConfigIsTheRecordsDefaults() {
        assertEquals(VmbusConfig.DEFAULTS, ConfigLoader.parse("{}", "test"), "the loader adds no default of its own");
        assertEquals(VmbusConfig.DEFAULTS, ConfigLoader.parse("{\"dashboard\": {}, \"host\": {\"nic\": {}}}", "t"));
        VmbusConfig.Dashboard d = ConfigLoader.parse("{}", "test").dashboard();
        assertEquals(VmbusConfig.Dashboard.DEFAULT_PORT, d.port());
        assertEquals(VmbusConfig.Dashboard.DEFAULT_UPDATE_INTERVAL_MS, d.updateIntervalMs());
        assertEquals(VmbusConfig.Health.DEFAULT_HEARTBEAT_LOST_MS, d.health().heartbeatLostMs());
    }

    /**
     * Each section's defaults instance holds exactly its record's {@code DEFAULT_*} constants: one per scalar
     * field (named after it), none left over, so a default is written once.
     */
    @Test
    void eachDefaultsInstanceIsBuiltFromItsRecordsDefaultConstants() throws Exception {
        Map<Class<?>, Object> defaults = new LinkedHashMap<>();
        defaults.put(VmbusConfig.Transport.class, VmbusConfig.Transport.DEFAULTS);
        defaults.put(VmbusConfig.Dashboard.class, VmbusConfig.Dashboard.DEFAULTS);
        defaults.put(VmbusConfig.Health.class, VmbusConfig.Health.DEFAULTS);
        defaults.put(VmbusConfig.Host.class, VmbusConfig.Host.DEFAULTS);
        defaults.put(VmbusConfig.Nic.class, VmbusConfig.Nic.DISABLED);
        int checked = 0;
        for (Map.Entry<Class<?>, Object> e : defaults.entrySet()) {
            Set<String> constants = new HashSet<>();
            for (Field f : e.getKey().getDeclaredFields()) {
                if (Modifier.isStatic(f.getModifiers()) && f.getName().startsWith("DEFAULT_")) {
                    constants.add(f.getName());
                }
            }
            for (RecordComponent c : e.getKey().getRecordComponents()) {
                Object value = c.getAccessor().invoke(e.getValue());
                String constant = "DEFAULT_" + c.getName().replaceAll("([a-z0-9])([A-Z])", "$1_$2").toUpperCase();
                boolean scalar = c.getType().isPrimitive() || c.getType() == String.class || c.getType().isEnum();
                if (!scalar) {
                    assertFalse(constants.contains(constant), constant + " on a section-valued field");
                    continue;
                }
                assertTrue(constants.remove(constant), e.getKey().getSimpleName() + " lacks " + constant);
                assertEquals(e.getKey().getDeclaredField(constant).get(null), value,
                        e.getKey().getSimpleName() + "." + c.getName() + " is not " + constant);
                checked++;
            }
            assertTrue(constants.isEmpty(), e.getKey().getSimpleName() + ": DEFAULT_* of no field: " + constants);
        }
        assertEquals(8 + 5 + 7 + 6 + 7, checked, "every scalar key of the five sections");
    }

    @Test
    void aPartialSectionKeepsTheOtherDefaults() {
        VmbusConfig c = ConfigLoader.parse("{\"dashboard\": {\"port\": 9090}, \"transport\": {\"type\": \"shm\"}}", "t");
        assertEquals(9090, c.dashboard().port());
        assertEquals("127.0.0.1", c.dashboard().host());
        assertEquals(TransportType.SHM, c.transport().type());
        assertFalse(c.transport().shmDir().isEmpty());
    }

    @Test
    void badInputNamesTheKey() {
        assertMessage("{\"dashbord\": {}}", "unknown key 'dashbord'");
        assertMessage("{\"dashboard\": {\"prot\": 1}}", "unknown key 'dashboard.prot'");
        assertMessage("{\"dashboard\": {\"port\": \"x\"}}", "bad value for 'dashboard.port'");
        assertMessage("{\"dashboard\": {\"port\": 70000}}", "dashboard.port must be 0..65535");
        assertMessage("{\"dashboard\": {\"port\": 80.5}}", "bad value for 'dashboard.port'");
        assertMessage("{\"transport\": {\"type\": \"tcp\"}}", "transport.type must be one of sim, shm, uio");
        assertMessage("{\"transport\": 3}", "'transport' must be an object");
        assertMessage("{\"devices\": {\"heartbeat\": true}}", "devices.heartbeat must be an object");
        assertMessage("{\"host\": {\"heartbeatIntervalMs\": 0}}", "host.heartbeatIntervalMs must be at least 10");
        assertMessage("{\"host\": {\"referenceCounterAheadMs\": -1}}", "host.referenceCounterAheadMs must be 0..");
        assertMessage("{\"host\": ", "is not valid JSON");
        assertMessage("[]", "must hold a JSON object");
    }

    @Test
    void theHostNicKeysHaveDefaultsAndCheckedValues() {
        VmbusConfig.Nic nic = ConfigLoader.parse("{}", "f.json").host().nic();
        assertEquals(VmbusConfig.Nic.DISABLED, nic);
        VmbusConfig.Nic on = ConfigLoader.parse("{\"host\": {\"nic\": {\"enabled\": true, \"backend\": \"loopback\","
                + " \"queues\": 4, \"faults\": {\"failInit\": true}}}}", "f.json").host().nic();
        assertTrue(on.enabled());
        assertEquals("loopback", on.backend());
        assertEquals(4, on.queues());
        assertEquals(1500, on.mtu());
        assertEquals(VmbusConfig.NicFaults.NONE.with("failInit", true), on.faults());
        assertMessage("{\"host\": {\"nic\": {\"backend\": \"wire\"}}}", "host.nic.backend must be one of");
        assertMessage("{\"host\": {\"nic\": {\"queues\": 0}}}", "host.nic.queues must be 1..64, got 0");
        assertMessage("{\"host\": {\"nic\": {\"mac\": \"00:15:5d:56:4d\"}}}", "host.nic.mac must be six hex pairs");
        assertMessage("{\"host\": {\"nic\": {\"mac\": \"01:15:5d:56:4d:01\"}}}", "is a multicast address");
        assertMessage("{\"host\": {\"nic\": {\"mtu\": 9203}}}", "host.nic.mtu must be 1280..9202");
        assertMessage("{\"host\": {\"nic\": {\"tap\": \"a/b\"}}}", "host.nic.tap must be an interface name");
        // the guest's rule (Linux's dev_valid_name), not a stricter one: a name Linux takes is taken
        assertEquals("vm@0", ConfigLoader.parse("{\"host\": {\"nic\": {\"tap\": \"vm@0\"}}}", "f.json").host().nic()
                .tap());
        assertMessage("{\"host\": {\"nic\": {\"faults\": {\"lateOffer\": true}}}}",
                "unknown key 'host.nic.faults.lateOffer'");
        assertEquals(1, on.count());
        assertMessage("{\"host\": {\"nic\": {\"count\": 0}}}", "host.nic.count must be 1..8, got 0");
        assertMessage("{\"host\": {\"nic\": {\"count\": 9}}}", "host.nic.count must be 1..8, got 9");
        assertMessage("{\"host\": {\"nic\": {\"count\": 2, \"mac\": \"00:15:5d:56:4d:ff\"}}}",
                "host.nic.mac 00:15:5d:56:4d:ff leaves no room for 2 NICs");
        assertMessage("{\"host\": {\"nic\": {\"count\": 2, \"tap\": \"vmbushostname99\"}}}",
                "gives 'vmbushostname100', which is no interface name");
    }

    /** NIC k of {@code host.nic.count}: the MAC's last byte and the TAP's number moved on by k. */
    @Test
    void eachNicOfSeveralTakesTheNextMacAndTapName() {
        VmbusConfig.Nic nic = ConfigLoader.parse("{\"host\": {\"nic\": {\"count\": 3, \"mac\": \"02:00:00:00:00:fd\","
                + " \"tap\": \"hostnic\"}}}", "f.json").host().nic();
        assertEquals(nic, nic.adapter(0));
        assertEquals("02:00:00:00:00:fe", nic.adapter(1).mac());
        assertEquals("02:00:00:00:00:ff", nic.adapter(2).mac());
        assertEquals(List.of("hostnic", "hostnic1", "hostnic2"),
                List.of(nic.adapter(0).tap(), nic.adapter(1).tap(), nic.adapter(2).tap()));
        assertThrows(IllegalArgumentException.class, () -> nic.adapter(3));
        assertEquals("vmbushost9", ConfigLoader.parse("{\"host\": {\"nic\": {\"count\": 8, \"tap\": \"vmbushost2\"}}}",
                "f.json").host().nic().adapter(7).tap());
    }

    private static void assertMessage(String json, String text) {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse(json, "f.json"));
        assertTrue(e.getMessage().contains(text), "expected '" + text + "' in: " + e.getMessage());
        assertTrue(e.getMessage().startsWith("f.json"), e.getMessage());
    }
}
