package dev.vmbus.device.kvp;

import dev.vmbus.ic.kvp.KvpIpInfo;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InterfaceAddress;
import java.net.NetworkInterface;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * What GET_IP_INFO reports about one NIC (spec ic-protocols.md section 3.4.4), read from the OS: addresses and
 * prefix lengths from {@link NetworkInterface}, default gateways from {@code /proc/net/route} and
 * {@code /proc/net/ipv6_route}, DNS servers from {@code resolv.conf}, and DHCP from the presence of a lease of
 * a common DHCP client (Linux asks a distro script instead). Blocking.
 */
final class NetworkFacts {
    private final Path procNet;
    private final Path resolvConf;
    private final List<Path> leaseDirs;

    NetworkFacts(Path procNet, Path resolvConf, List<Path> leaseDirs) {
        this.procNet = procNet;
        this.resolvConf = resolvConf;
        this.leaseDirs = List.copyOf(leaseDirs);
    }

    NetworkFacts() {
        this(Path.of("/proc/net"), Path.of("/etc/resolv.conf"), List.of(Path.of("/run/systemd/netif/leases"),
                Path.of("/var/lib/dhcp"), Path.of("/var/lib/NetworkManager"), Path.of("/run/dhcpcd")));
    }

    /** The NIC whose MAC address is {@code mac} (':' or '-' separated, any case). */
    Optional<NetworkInterface> byMac(String mac) throws IOException {
        String wanted = mac.replace('-', ':').toLowerCase(java.util.Locale.ROOT);
        for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            byte[] hw = nic.getHardwareAddress();
            if (hw != null && hw.length > 0 && HexFormat.ofDelimiter(":").formatHex(hw).equals(wanted)) {
                return Optional.of(nic);
            }
        }
        return Optional.empty();
    }

    /** The string-form answer for {@code nic}, echoing the host's {@code adapterId}. */
    KvpIpInfo describe(NetworkInterface nic, String adapterId) throws IOException {
        List<String> v4 = new ArrayList<>();
        List<String> v6 = new ArrayList<>();
        List<String> v4Masks = new ArrayList<>();
        List<String> v6Masks = new ArrayList<>();
        for (InterfaceAddress a : nic.getInterfaceAddresses()) {
            if (a.getAddress() instanceof Inet4Address) {
                v4.add(text(a.getAddress()));
                v4Masks.add(dottedMask(a.getNetworkPrefixLength()));
            } else if (a.getAddress() instanceof Inet6Address) {
                v6.add(text(a.getAddress()));
                v6Masks.add("/" + a.getNetworkPrefixLength());
            }
        }
        int family = (v4.isEmpty() ? 0 : KvpIpInfo.FAMILY_IPV4) | (v6.isEmpty() ? 0 : KvpIpInfo.FAMILY_IPV6);
        List<String> addresses = new ArrayList<>(v4);
        addresses.addAll(v6);
        List<String> masks = new ArrayList<>(v4Masks);
        masks.addAll(v6Masks);
        List<String> gateways = new ArrayList<>(ipv4Gateways(nic.getName()));
        gateways.addAll(ipv6Gateways(nic.getName()));
        return new KvpIpInfo(adapterId, family, dhcp(nic), String.join(";", addresses), String.join(";", masks),
                terminated(gateways), terminated(dnsServers()));
    }

    /** Each entry followed by ';', as the daemon writes gateways and DNS servers. */
    private static String terminated(List<String> items) {
        StringBuilder sb = new StringBuilder();
        items.forEach(i -> sb.append(i).append(';'));
        return sb.toString();
    }

    static String text(InetAddress a) {
        String s = a.getHostAddress();
        int scope = s.indexOf('%');
        return scope < 0 ? s : s.substring(0, scope);
    }

    static String dottedMask(int prefix) {
        long mask = prefix == 0 ? 0 : (0xFFFF_FFFFL << (32 - prefix)) & 0xFFFF_FFFFL;
        return (mask >>> 24) + "." + (mask >>> 16 & 0xFF) + "." + (mask >>> 8 & 0xFF) + "." + (mask & 0xFF);
    }

    /** Default routes of {@code ifname} in {@code /proc/net/route} (gateway as little-endian hex). */
    List<String> ipv4Gateways(String ifname) throws IOException {
        List<String> out = new ArrayList<>();
        Path route = procNet.resolve("route");
        if (!Files.exists(route)) {
            return out;
        }
        for (String line : Files.readAllLines(route)) {
            String[] f = line.trim().split("\\s+");
            if (f.length < 3 || !f[0].equals(ifname) || !f[1].equals("00000000") || f[2].equals("00000000")
                    || !f[2].matches("[0-9A-Fa-f]{8}")) {
                continue;
            }
            long g = Long.parseLong(f[2], 16);
            out.add((g & 0xFF) + "." + (g >>> 8 & 0xFF) + "." + (g >>> 16 & 0xFF) + "." + (g >>> 24 & 0xFF));
        }
        return out;
    }

    /** Default routes ({@code ::/0}) of {@code ifname} in {@code /proc/net/ipv6_route}. */
    List<String> ipv6Gateways(String ifname) throws IOException {
        List<String> out = new ArrayList<>();
        Path route = procNet.resolve("ipv6_route");
        if (!Files.exists(route)) {
            return out;
        }
        String zeros = "0".repeat(32);
        for (String line : Files.readAllLines(route)) {
            String[] f = line.trim().split("\\s+");
            if (f.length < 10 || !f[9].equals(ifname) || !f[0].equals(zeros) || !f[1].equals("00")
                    || f[4].equals(zeros)) {
                continue;
            }
            out.add(text(InetAddress.getByAddress(HexFormat.of().parseHex(f[4]))));
        }
        return out;
    }

    /** The {@code nameserver} lines of resolv.conf. */
    List<String> dnsServers() throws IOException {
        List<String> out = new ArrayList<>();
        if (!Files.exists(resolvConf)) {
            return out;
        }
        for (String line : Files.readAllLines(resolvConf)) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 2 && f[0].equals("nameserver")) {
                out.add(f[1]);
            }
        }
        return out;
    }

    /** Whether a DHCP client holds a lease for the NIC (systemd-networkd by index, others by name). */
    private boolean dhcp(NetworkInterface nic) throws IOException {
        for (Path dir : leaseDirs) {
            if (Files.exists(dir.resolve(Integer.toString(nic.getIndex())))) {
                return true;
            }
            if (Files.isDirectory(dir)) {
                try (var files = Files.list(dir)) {
                    if (files.map(p -> p.getFileName().toString())
                            .anyMatch(n -> n.contains(nic.getName()) && n.contains("lease"))) {
                        return true;
                    }
                }
            }
        }
        return false;
    }
}
