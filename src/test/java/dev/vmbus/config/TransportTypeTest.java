package dev.vmbus.config;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class TransportTypeTest {

    @Test
    void namesAreTheConfigNames() {
        for (TransportType t : TransportType.values()) {
            assertEquals(t, TransportType.parse(t.configName()));
        }
        assertEquals("sim", TransportType.SIM.configName());
        assertEquals("shm", TransportType.SHM.configName());
        assertEquals("uio", TransportType.UIO.configName());
    }

    @Test
    void anUnknownNameIsRefusedWithTheAllowedOnes() {
        assertEquals("must be one of sim, shm, uio; got 'SIM'",
                assertThrows(IllegalArgumentException.class, () -> TransportType.parse("SIM")).getMessage());
        assertEquals("must be one of sim, shm, uio; got 'null'",
                assertThrows(IllegalArgumentException.class, () -> TransportType.parse(null)).getMessage());
    }

    @Test
    void aNonTextTypeInTheConfigGetsTheSameMessage() {
        assertEquals("t: transport.type must be one of sim, shm, uio; got '7'", assertThrows(ConfigException.class,
                () -> ConfigLoader.parse("{\"transport\": {\"type\": 7}}", "t")).getMessage());
        assertEquals("t: transport.type must be one of sim, shm, uio; got 'null'", assertThrows(ConfigException.class,
                () -> ConfigLoader.parse("{\"transport\": {\"type\": null}}", "t")).getMessage());
    }
}
