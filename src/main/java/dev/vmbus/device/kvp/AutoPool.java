package dev.vmbus.device.kvp;

import dev.vmbus.config.ProjectVersion;
import dev.vmbus.ic.kvp.KvpRecord;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * KVP pool 2 (AUTO), generated rather than stored (spec ic-protocols.md section 3.4.5): ten fixed keys whose
 * index is their position, with this machine's values. The host name is resolved once, as the daemon caches
 * it, because a slow resolver must not delay every enumeration; the rest is read fresh each time. Blocking.
 */
final class AutoPool {
    static final List<String> KEYS = List.of("FullyQualifiedDomainName", "IntegrationServicesVersion",
            "NetworkAddressIPv4", "NetworkAddressIPv6", "OSBuildNumber", "OSName", "OSMajorVersion",
            "OSMinorVersion", "OSVersion", "ProcessorArchitecture");

    private final Path etc;
    private final Path procSys;
    private final String fqdn;

    /** @param etc where {@code os-release} is; @param procSys {@code /proc/sys} */
    AutoPool(Path etc, Path procSys) {
        this.etc = etc;
        this.procSys = procSys;
        this.fqdn = resolveFqdn();
    }

    AutoPool() {
        this(Path.of("/etc"), Path.of("/proc/sys"));
    }

    /** The value at {@code index}, or empty past the last key (the host's end of enumeration). */
    Optional<KvpRecord> record(int index) {
        if (index < 0 || index >= KEYS.size()) {
            return Optional.empty();
        }
        return Optional.of(KvpRecord.of(KEYS.get(index), value(index)));
    }

    Optional<String> get(String key) {
        int index = KEYS.indexOf(key);
        return index < 0 ? Optional.empty() : Optional.of(value(index));
    }

    List<KvpRecord> all() {
        List<KvpRecord> out = new ArrayList<>();
        for (int i = 0; i < KEYS.size(); i++) {
            out.add(KvpRecord.of(KEYS.get(i), value(i)));
        }
        return out;
    }

    private String value(int index) {
        String kernel = sysctl("kernel/osrelease").orElse(System.getProperty("os.version"));
        return switch (index) {
            case 0 -> fqdn;
            case 1 -> projectVersion();
            case 2 -> String.join(";", addresses(true));
            case 3 -> String.join(";", addresses(false));
            case 4 -> kernel;
            case 5 -> osRelease("NAME").orElse(System.getProperty("os.name"));
            case 6 -> osRelease("VERSION_ID").orElse("");
            case 7 -> ""; // os-release has no minor version; Linux also reports ""
            case 8 -> kernel.split("-", 2)[0];
            case 9 -> sysctl("kernel/arch").orElse(machine());
            default -> throw new IllegalArgumentException("AUTO pool index " + index);
        };
    }

    private String resolveFqdn() {
        String host = sysctl("kernel/hostname").orElse("localhost");
        try {
            return InetAddress.getByName(host).getCanonicalHostName();
        } catch (IOException e) {
            return host; // unresolvable: the plain host name is still the most useful answer
        }
    }

    /** Every non-loopback address of every interface, scope suffix removed, as the daemon lists them. */
    static List<String> addresses(boolean ipv4) {
        List<String> out = new ArrayList<>();
        try {
            for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                if (nic.isLoopback()) {
                    continue;
                }
                for (InetAddress a : Collections.list(nic.getInetAddresses())) {
                    if ((a instanceof Inet4Address) == ipv4) {
                        out.add(NetworkFacts.text(a));
                    }
                }
            }
        } catch (SocketException e) {
            return out;
        }
        return out;
    }

    private Optional<String> sysctl(String name) {
        try {
            return Optional.of(Files.readString(procSys.resolve(name)).strip());
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** A value from {@code os-release}, unquoted. */
    private Optional<String> osRelease(String key) {
        try {
            for (String line : Files.readAllLines(etc.resolve("os-release"))) {
                if (line.startsWith(key + "=")) {
                    return Optional.of(line.substring(key.length() + 1).strip().replaceAll("^[\"']|[\"']$", ""));
                }
            }
        } catch (IOException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    /** {@code uname -m} from the JVM's architecture name when the kernel does not publish it. */
    private static String machine() {
        String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
        return switch (arch) {
            case "amd64" -> "x86_64";
            case "x86" -> "i686";
            default -> arch;
        };
    }

    /** This project's version, filtered into {@code dev/vmbus/version.properties} by the build. */
    static String projectVersion() {
        // "Unknown version" is the daemon's own text when it was not told a version
        return ProjectVersion.read().map(v -> "vertx-vmbus " + v).orElse("Unknown version");
    }
}
