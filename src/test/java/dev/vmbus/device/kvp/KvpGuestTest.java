package dev.vmbus.device.kvp;

import dev.vmbus.testkit.DeviceProbe;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import static dev.vmbus.testkit.Packets.icReply;
import static dev.vmbus.device.kvp.KvpWire.le;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The guest's KVP answers, byte for byte (spec ic-protocols.md sections 1.5, 1.6, 3.4). */
class KvpGuestTest {
    static final int OK = 0;
    static final int E_FAIL = 0x80004005;
    static final int S_CONT = 0x80070103;
    static final int NOT_SUPPORTED = 0x80070032;

    @TempDir
    Path dir;
    private DeviceProbe guest;

    @BeforeEach
    void start() throws Exception {
        KvpSettings settings = new KvpSettings(dir.resolve("pools"), true, List.of("true"), dir.resolve("sys"));
        guest = DeviceProbe.of("kvp", new KvpDevice(settings));
    }

    @AfterEach
    void stop() throws Exception {
        guest.close();
    }

    @Test
    void setEnumerateGetDeleteAnswerWithTheExactBytes() throws Exception {
        String key = "Göteborg-𝄞";
        String value = "ünïcode ✓";
        byte[] set = KvpWire.set(0, key, value);
        assertArrayEquals(icReply(set, OK), guest.exchange(set), "SET echoes the request with flags 0x05");

        byte[] en = KvpWire.enumerate(0, 0);
        byte[] expected = icReply(en, OK);
        le(expected).putInt(36, 1); // everything is reported as REG_SZ
        KvpWire.string(expected, 40, 48, key);
        KvpWire.string(expected, 44, 560, value);
        assertArrayEquals(expected, guest.exchange(en), "ENUMERATE fills key @48 and value @560");

        byte[] end = KvpWire.enumerate(0, 1);
        assertArrayEquals(icReply(end, S_CONT), guest.exchange(end), "past the end: no more items, echoed");

        byte[] get = KvpWire.get(0, key);
        byte[] got = icReply(get, OK);
        le(got).putInt(32, 1);
        KvpWire.string(got, 40, 556, value);
        assertArrayEquals(got, guest.exchange(get), "GET fills the value @556 (Linux does not)");

        byte[] del = KvpWire.delete(0, key);
        assertArrayEquals(icReply(del, OK), guest.exchange(del));
        assertArrayEquals(icReply(del, S_CONT), guest.exchange(del), "deleting a missing key");
        byte[] missing = KvpWire.get(0, key);
        assertArrayEquals(icReply(missing, S_CONT), guest.exchange(missing));
    }

    @Test
    void integerValuesAreStoredAsUnsignedDecimalIncludingQword() throws Exception {
        byte[] dword = KvpWire.set(1, "d", "");
        le(dword).putInt(32, 4).putInt(40, 4).putInt(556, -1);
        byte[] u64 = KvpWire.set(1, "u", "");
        le(u64).putInt(32, 8).putInt(40, 8).putLong(556, 42);
        byte[] qword = KvpWire.set(1, "q", "");
        le(qword).putInt(32, 11).putInt(40, 8).putLong(556, -1L);
        for (byte[] r : List.of(dword, u64, qword)) {
            assertEquals(OK, KvpWire.status(guest.exchange(r)));
        }
        String[] expected = {"4294967295", "42", "18446744073709551615"};
        for (int i = 0; i < 3; i++) {
            byte[] reply = guest.exchange(KvpWire.enumerate(1, i));
            assertEquals(expected[i], KvpWire.text(reply, 44, 560));
        }
        byte[] replace = KvpWire.set(1, "u", "now text");
        assertEquals(OK, KvpWire.status(guest.exchange(replace)));
        assertEquals("now text", KvpWire.text(guest.exchange(KvpWire.enumerate(1, 1)), 44, 560),
                "a modified key keeps its place");
    }

    @Test
    void everyErrorStatusForBadRequests() throws Exception {
        byte[] tooBig = KvpWire.set(0, "k", "v");
        le(tooBig).putInt(36, 1024);
        assertArrayEquals(icReply(tooBig, S_CONT), guest.exchange(tooBig), "key_size over 512");
        byte[] utf8TooLong = KvpWire.set(0, "€".repeat(200), "v"); // 402 bytes of UTF-16, 600 of UTF-8
        assertArrayEquals(icReply(utf8TooLong, S_CONT), guest.exchange(utf8TooLong), "does not fit a record");
        byte[] odd = KvpWire.set(0, "k", "v");
        le(odd).putInt(36, 3);
        assertArrayEquals(icReply(odd, E_FAIL), guest.exchange(odd), "odd key size");
        byte[] noNul = KvpWire.set(0, "kk", "v");
        le(noNul).putInt(36, 4);
        assertArrayEquals(icReply(noNul, E_FAIL), guest.exchange(noNul), "no NUL within key_size");
        byte[] surrogate = KvpWire.set(0, "ab", "v");
        surrogate[44] = 0x00;
        surrogate[45] = (byte) 0xD8; // a lone high surrogate followed by 'b'
        assertArrayEquals(icReply(surrogate, E_FAIL), guest.exchange(surrogate), "invalid UTF-16");
        byte[] type3 = KvpWire.set(0, "k", "v");
        le(type3).putInt(32, 3);
        assertArrayEquals(icReply(type3, NOT_SUPPORTED), guest.exchange(type3), "unknown value type");
        byte[] auto = KvpWire.set(2, "k", "v");
        assertArrayEquals(icReply(auto, NOT_SUPPORTED), guest.exchange(auto), "AUTO is generated");
        byte[] pool9 = KvpWire.enumerate(9, 0);
        assertArrayEquals(icReply(pool9, E_FAIL), guest.exchange(pool9), "no pool 9");
        byte[] op7 = KvpWire.request(7, 0);
        assertArrayEquals(icReply(op7, E_FAIL), guest.exchange(op7), "unknown operation");
        byte[] shortSet = Arrays.copyOf(KvpWire.set(0, "k", "v"), 600);
        assertArrayEquals(icReply(shortSet, E_FAIL), guest.exchange(shortSet), "SET cut at 600 bytes");
        byte[] headerOnly = Arrays.copyOf(KvpWire.request(3, 0), 32);
        headerOnly[28] = 3;
        assertArrayEquals(icReply(headerOnly, E_FAIL), guest.exchange(headerOnly));
        assertEquals(Optional.empty(), guest.send(Arrays.copyOf(KvpWire.request(3, 0), 24), DeviceProbe.TRANSACTION_ID), "shorter than the IC header: dropped");
        byte[] heartbeat = KvpWire.enumerate(0, 0);
        heartbeat[12] = 1;
        assertEquals(Optional.empty(), guest.send(heartbeat, DeviceProbe.TRANSACTION_ID), "another message type: KVP sends no reply");
    }

    @Test
    void theAutoPoolHoldsTheTenKeysWithThisMachinesValues() throws Exception {
        List<String> keys = List.of("FullyQualifiedDomainName", "IntegrationServicesVersion", "NetworkAddressIPv4",
                "NetworkAddressIPv6", "OSBuildNumber", "OSName", "OSMajorVersion", "OSMinorVersion", "OSVersion",
                "ProcessorArchitecture");
        String[] values = new String[10];
        for (int i = 0; i < 10; i++) {
            byte[] reply = guest.exchange(KvpWire.enumerate(2, i));
            assertEquals(OK, KvpWire.status(reply));
            assertEquals(keys.get(i), KvpWire.text(reply, 40, 48));
            values[i] = KvpWire.text(reply, 44, 560);
        }
        byte[] end = KvpWire.enumerate(2, 10);
        assertArrayEquals(icReply(end, S_CONT), guest.exchange(end));
        String kernel = Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip();
        assertEquals(kernel, values[4]);
        assertEquals(kernel.split("-")[0], values[8]);
        String osRelease = Files.readString(Path.of("/etc/os-release"));
        assertEquals(osRelease.lines().filter(l -> l.startsWith("NAME=")).findFirst().orElseThrow()
                .substring(5).replace("\"", ""), values[5]);
        assertEquals(Files.readString(Path.of("/proc/sys/kernel/arch")).strip(), values[9]);
        assertEquals("vertx-vmbus 0.1.0-SNAPSHOT", values[1]);
        for (String a : values[2].split(";")) {
            assertEquals(true, a.matches("\\d+\\.\\d+\\.\\d+\\.\\d+"), "IPv4 list: " + values[2]);
        }
        byte[] get = KvpWire.get(2, "OSBuildNumber");
        assertEquals(kernel, KvpWire.text(guest.exchange(get), 40, 556), "GET works on the AUTO pool too");
        assertEquals(StandardCharsets.UTF_8.name(), "UTF-8");
    }
}
