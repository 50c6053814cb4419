package dev.vmbus.device.kvp;

import dev.vmbus.ic.IcConstants;
import dev.vmbus.ic.IcStatus;
import dev.vmbus.ic.kvp.KvpIpInfo;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * SET_IP_INFO (spec ic-protocols.md section 3.4.4): find the NIC by its VMBus instance id in sysfs, check every
 * address, write {@code ifcfg-<nic>} in the pool directory (atomically), then run the configured hook with the
 * file's path unless this is a dry run. Blocking.
 */
final class IpSettingsWriter {
    private static final Logger LOG = Logger.getLogger(IpSettingsWriter.class.getName());
    static final long HOOK_TIMEOUT_SECONDS = 60;

    private final KvpSettings settings;
    private final List<String> applied = new ArrayList<>();

    IpSettingsWriter(KvpSettings settings) {
        this.settings = settings;
    }

    /** The files written so far (the record of dry runs, for the dashboard). */
    synchronized List<String> applied() {
        return List.copyOf(applied);
    }

    /** Applies the request; returns the status for the host. */
    IcStatus apply(KvpIpInfo info) {
        Optional<String> nic;
        try {
            nic = nicFor(info.adapterId());
        } catch (IOException e) {
            LOG.warning("SET_IP_INFO: cannot read " + settings.sysfsRoot() + "/class/net: " + e.getMessage());
            return IcConstants.E_FAIL;
        }
        if (nic.isEmpty()) {
            LOG.warning("SET_IP_INFO: no NIC has VMBus instance " + info.adapterId());
            return IcConstants.GUID_NOTFOUND;
        }
        String text;
        try {
            text = ifcfg(nic.get(), info);
        } catch (IllegalArgumentException e) {
            LOG.warning("SET_IP_INFO for " + nic.get() + ": " + e.getMessage());
            return IcConstants.INVALIDARG;
        }
        Path file = settings.poolDir().resolve("ifcfg-" + nic.get());
        try {
            Files.createDirectories(settings.poolDir());
            Path temp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.writeString(temp, text, StandardCharsets.UTF_8);
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            LOG.warning("SET_IP_INFO: cannot write " + file + ": " + e.getMessage());
            return IcConstants.E_FAIL;
        }
        synchronized (this) {
            applied.add(file.toString());
        }
        if (settings.dryRun()) {
            LOG.info("SET_IP_INFO (dry run): wrote " + file + "; not running " + settings.setIpCommand());
            return IcConstants.S_OK;
        }
        return runHook(file);
    }

    private IcStatus runHook(Path file) {
        List<String> command = new ArrayList<>(settings.setIpCommand());
        command.add(file.toString());
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(HOOK_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                LOG.warning("SET_IP_INFO: " + command + " did not finish within " + HOOK_TIMEOUT_SECONDS + " s");
                return IcConstants.E_FAIL;
            }
            if (p.exitValue() != 0) {
                LOG.warning("SET_IP_INFO: " + command + " exited with " + p.exitValue());
                return IcConstants.E_FAIL;
            }
            return IcConstants.S_OK;
        } catch (IOException e) {
            LOG.warning("SET_IP_INFO: cannot run " + command + ": " + e.getMessage());
            return IcConstants.E_FAIL;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return IcConstants.E_FAIL;
        }
    }

    /** The NIC whose {@code device/device_id} (sysfs, {@code {guid}}) matches, compared without case. */
    private Optional<String> nicFor(String instanceId) throws IOException {
        Path net = settings.sysfsRoot().resolve("class/net");
        if (!Files.isDirectory(net)) {
            return Optional.empty();
        }
        String wanted = instanceId.strip().toLowerCase(Locale.ROOT);
        try (DirectoryStream<Path> nics = Files.newDirectoryStream(net)) {
            for (Path nic : nics) {
                Path id = nic.resolve("device/device_id");
                if (Files.isReadable(id) && Files.readString(id).strip().toLowerCase(Locale.ROOT).equals(wanted)) {
                    return Optional.of(nic.getFileName().toString());
                }
            }
        }
        return Optional.empty();
    }

    /**
     * The ifcfg text: {@code HWADDR}, {@code DEVICE}, {@code BOOTPROTO}, then per address {@code IPADDR}/
     * {@code NETMASK} (IPv4, numbered from the second on) or {@code IPV6ADDR}/{@code IPV6NETMASK} (suffix
     * {@code _n}), gateways {@code GATEWAY}/{@code IPV6_DEFAULTGW}, and {@code DNS1..n}.
     *
     * @throws IllegalArgumentException naming an address that is not an IP literal
     */
    private String ifcfg(String nic, KvpIpInfo info) {
        List<String> addresses = split(info.addresses());
        List<String> masks = split(info.subnets());
        StringBuilder out = new StringBuilder();
        String mac;
        try {
            mac = Files.readString(settings.sysfsRoot().resolve("class/net").resolve(nic).resolve("address")).strip();
        } catch (IOException e) {
            mac = "";
        }
        out.append("HWADDR=").append(mac.toUpperCase(Locale.ROOT)).append('\n');
        out.append("DEVICE=").append(nic).append('\n');
        out.append("BOOTPROTO=").append(info.dhcp() ? "dhcp" : "none").append('\n');
        int v4 = 0;
        int v6 = 0;
        for (int i = 0; i < addresses.size(); i++) {
            InetAddress a = literal(addresses.get(i), "ip_addr");
            String mask = i < masks.size() ? masks.get(i) : "";
            if (a instanceof Inet6Address) {
                String suffix = v6++ == 0 ? "" : "_" + (v6 - 1);
                out.append("IPV6ADDR").append(suffix).append('=').append(NetworkFacts.text(a)).append('\n');
                if (!mask.isEmpty()) {
                    String prefix = mask.startsWith("/") ? mask.substring(1) : mask;
                    if (!prefix.matches("\\d{1,3}") || Integer.parseInt(prefix) > 128) {
                        throw new IllegalArgumentException("sub_net '" + mask + "' is not an IPv6 prefix length");
                    }
                    out.append("IPV6NETMASK").append(suffix).append('=').append(prefix).append('\n');
                }
            } else {
                String suffix = v4++ == 0 ? "" : Integer.toString(v4 - 1);
                out.append("IPADDR").append(suffix).append('=').append(NetworkFacts.text(a)).append('\n');
                if (!mask.isEmpty()) {
                    out.append("NETMASK").append(suffix).append('=').append(NetworkFacts.text(literal(mask, "sub_net")))
                            .append('\n');
                }
            }
        }
        int g4 = 0;
        int g6 = 0;
        for (String g : split(info.gateways())) {
            InetAddress a = literal(g, "gate_way");
            if (a instanceof Inet6Address) {
                out.append("IPV6_DEFAULTGW").append(g6++ == 0 ? "" : "_" + (g6 - 1)).append('=')
                        .append(NetworkFacts.text(a)).append('\n');
            } else {
                out.append("GATEWAY").append(g4++ == 0 ? "" : Integer.toString(g4 - 1)).append('=')
                        .append(NetworkFacts.text(a)).append('\n');
            }
        }
        int d = 0;
        for (String dns : split(info.dns())) {
            out.append("DNS").append(++d).append('=').append(NetworkFacts.text(literal(dns, "dns_addr"))).append('\n');
        }
        return out.toString();
    }

    private static List<String> split(String list) {
        List<String> out = new ArrayList<>();
        for (String s : list.split("[;,]")) {
            if (!s.isBlank()) {
                out.add(s.strip());
            }
        }
        return out;
    }

    /** Parses an IP literal without ever asking a resolver (a host name here is an error, not a lookup). */
    static InetAddress literal(String text, String field) {
        boolean v4 = text.matches("(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");
        boolean v6 = text.contains(":") && text.matches("[0-9A-Fa-f:.]+");
        if (!v4 && !v6) {
            throw new IllegalArgumentException(field + " entry '" + text + "' is not an IP address");
        }
        try {
            return InetAddress.getByName(text);
        } catch (IOException e) {
            throw new IllegalArgumentException(field + " entry '" + text + "' is not an IP address");
        }
    }
}
