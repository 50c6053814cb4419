package dev.vmbus.device.kvp;

import dev.vmbus.testkit.DeviceProbe;
import dev.vmbus.ic.IcMessage;
import dev.vmbus.ic.IcVersion;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.Inet4Address;
import java.net.InterfaceAddress;
import java.net.NetworkInterface;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;

import static dev.vmbus.testkit.Packets.icReply;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** GET_IP_INFO and SET_IP_INFO in the string form (spec ic-protocols.md sections 3.4.2 and 3.4.4). */
class KvpIpInfoTest {
    static final String GUID = "{5e1b0d44-8ac5-4c1e-a42e-2d11b9b3e0f1}";

    @TempDir
    Path dir;

    /** A string-form request: adapter_id @30, family @286, dhcp @287, ip @288, subnet @2336, gw @4384, dns @5408. */
    static byte[] ipRequest(int op, String adapter, String ip, String subnet, String gw, String dns, int dhcp) {
        byte[] b = IcMessage.request(2, IcVersion.of(3, 0), IcVersion.of(4, 0), 7428, 0).bytes();
        b[28] = (byte) op;
        put(b, 30, adapter);
        b[287] = (byte) dhcp;
        put(b, 288, ip);
        put(b, 2336, subnet);
        put(b, 4384, gw);
        put(b, 5408, dns);
        return b;
    }

    static void put(byte[] b, int at, String s) {
        byte[] u = s.getBytes(StandardCharsets.UTF_16LE);
        System.arraycopy(u, 0, b, at, u.length);
        b[at + u.length] = 0;
        b[at + u.length + 1] = 0;
    }

    private DeviceProbe guest(boolean dryRun, List<String> hook) throws Exception {
        Path proc = Files.createDirectories(dir.resolve("proc"));
        Files.writeString(proc.resolve("route"), "Iface\tDestination\tGateway \tFlags\n"
                + nicName() + "\t00000000\t010200C0\t0003\n" + nicName() + "\t000200C0\t00000000\t0001\n");
        Files.writeString(proc.resolve("ipv6_route"), "0".repeat(32) + " 00 " + "0".repeat(32) + " 00 "
                + "20010db8000000000000000000000001 00000400 00000001 00000000 00000003 " + nicName() + "\n");
        Path resolv = dir.resolve("resolv.conf");
        Files.writeString(resolv, "# comment\nnameserver 192.0.2.53\nnameserver 2001:db8::53\nsearch example\n");
        Path sys = dir.resolve("sys");
        Files.createDirectories(sys.resolve("class/net/eth9/device"));
        Files.writeString(sys.resolve("class/net/eth9/device/device_id"), GUID.toLowerCase() + "\n");
        Files.writeString(sys.resolve("class/net/eth9/address"), "00:15:5d:01:02:03\n");
        KvpSettings settings = new KvpSettings(dir.resolve("pools"), dryRun, hook, sys);
        return DeviceProbe.of("kvp", new KvpDevice(settings, new NetworkFacts(proc, resolv, List.of())));
    }

    private static NetworkInterface nic() throws Exception {
        for (NetworkInterface n : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            if (!n.isLoopback() && n.getHardwareAddress() != null && n.getHardwareAddress().length == 6
                    && !n.getInterfaceAddresses().isEmpty()) {
                return n;
            }
        }
        return null;
    }

    private static String nicName() throws Exception {
        NetworkInterface n = nic();
        return n == null ? "none" : n.getName();
    }

    @Test
    void getIpInfoReportsTheInterfacesAddressesGatewaysAndDns() throws Exception {
        NetworkInterface nic = nic();
        assumeTrue(nic != null, "needs a NIC with a MAC address");
        String mac = HexFormat.ofDelimiter(":").formatHex(nic.getHardwareAddress()).toUpperCase();
        List<String> v4 = new ArrayList<>();
        List<String> v4m = new ArrayList<>();
        List<String> v6 = new ArrayList<>();
        List<String> v6m = new ArrayList<>();
        for (InterfaceAddress a : nic.getInterfaceAddresses()) {
            String text = a.getAddress().getHostAddress().replaceAll("%.*", "");
            if (a.getAddress() instanceof Inet4Address) {
                v4.add(text);
                long m = (0xFFFF_FFFFL << (32 - a.getNetworkPrefixLength())) & 0xFFFF_FFFFL;
                v4m.add((m >> 24) + "." + (m >> 16 & 255) + "." + (m >> 8 & 255) + "." + (m & 255));
            } else {
                v6.add(text);
                v6m.add("/" + a.getNetworkPrefixLength());
            }
        }
        int family = (v4.isEmpty() ? 0 : 1) | (v6.isEmpty() ? 0 : 2);
        v4.addAll(v6);
        v4m.addAll(v6m);
        byte[] request = ipRequest(4, mac, "", "", "", "", 0);
        byte[] expected = icReply(request, 0);
        expected[286] = (byte) family;
        put(expected, 288, String.join(";", v4));
        put(expected, 2336, String.join(";", v4m));
        put(expected, 4384, "192.0.2.1;2001:db8:0:0:0:0:0:1;");
        put(expected, 5408, "192.0.2.53;2001:db8::53;");
        try (DeviceProbe guest = guest(true, List.of("true"))) {
            assertArrayEquals(expected, guest.exchange(request));
            byte[] unknown = ipRequest(4, "00:00:00:00:00:01", "", "", "", "", 0);
            assertArrayEquals(icReply(unknown, 0x80004005), guest.exchange(unknown), "no such MAC");
        }
    }

    @Test
    void setIpInfoWritesTheFileAndRunsTheHook() throws Exception {
        Path marker = dir.resolve("hook-saw");
        byte[] request = ipRequest(5, GUID.toUpperCase(), "192.0.2.3;198.51.100.3;2001:db8::7", "255.255.255.0;255.255.0.0;64",
                "192.0.2.1;", "8.8.8.8;1.1.1.1;", 0);
        String ifcfg = """
                HWADDR=00:15:5D:01:02:03
                DEVICE=eth9
                BOOTPROTO=none
                IPADDR=192.0.2.3
                NETMASK=255.255.255.0
                IPADDR1=198.51.100.3
                NETMASK1=255.255.0.0
                IPV6ADDR=2001:db8:0:0:0:0:0:7
                IPV6NETMASK=64
                GATEWAY=192.0.2.1
                DNS1=8.8.8.8
                DNS2=1.1.1.1
                """;
        try (DeviceProbe guest = guest(false, List.of("sh", "-c", "cp \"$1\" " + marker, "sh"))) {
            assertArrayEquals(icReply(request, 0), guest.exchange(request));
            assertEquals(ifcfg, Files.readString(dir.resolve("pools/ifcfg-eth9")));
            assertEquals(ifcfg, Files.readString(marker), "the hook ran with the file's path");

            byte[] unknown = ipRequest(5, "{00000000-0000-0000-0000-000000000000}", "203.0.113.1", "", "", "", 0);
            assertArrayEquals(icReply(unknown, 0x80041002), guest.exchange(unknown), "GUID not found");
            byte[] bad = ipRequest(5, GUID, "192.0.2.300", "255.255.255.0", "", "", 0);
            assertArrayEquals(icReply(bad, 0x80070057), guest.exchange(bad), "invalid address");
            byte[] name = ipRequest(5, GUID, "example.com", "", "", "", 0);
            assertArrayEquals(icReply(name, 0x80070057), guest.exchange(name), "a host name is not looked up");
            byte[] broken = ipRequest(5, GUID, "203.0.113.1", "", "", "", 0);
            broken[31] = (byte) 0xDC; // the adapter id starts with a lone low surrogate
            assertArrayEquals(icReply(broken, 0x80004005), guest.exchange(broken), "invalid UTF-16");
            byte[] cut = java.util.Arrays.copyOf(request, 4000);
            assertArrayEquals(icReply(cut, 0x80004005), guest.exchange(cut), "short IP message");
        }
        try (DeviceProbe failing = guest(false, List.of("false"))) {
            assertArrayEquals(icReply(request, 0x80004005), failing.exchange(request), "the hook failed");
        }
    }
}
