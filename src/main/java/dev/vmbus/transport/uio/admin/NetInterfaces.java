package dev.vmbus.transport.uio.admin;

import dev.vmbus.transport.uio.VmbusDevice;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The network interfaces the kernel made for a VMBus device ({@code <sysfsRoot>/class/net/<if>/device} links to the
 * device's directory) and whether one of them carries a default route ({@code <procRoot>/net/route} destination
 * 00000000, or {@code <procRoot>/net/ipv6_route} ::/0): the guest's primary interface, which binding the device to
 * {@code uio_hv_generic} would take down. Stateless; blocking file I/O.
 */
public final class NetInterfaces {
    private NetInterfaces() {
    }

    /** One interface of the device; {@code defaultRoute} when it carries the default route. */
    public record Interface(String name, boolean defaultRoute) {
    }

    public static List<Interface> of(Path sysfsRoot, Path procRoot, VmbusDevice device) {
        List<Interface> out = new ArrayList<>();
        Path net = sysfsRoot.resolve("class/net");
        String instance = device.dir().getFileName().toString();
        List<Path> ifs;
        try (Stream<Path> s = Files.list(net)) {
            ifs = s.sorted().toList();
        } catch (IOException e) {
            return out; // no class/net: no interface to lose
        }
        List<String> defaults = defaultRouteInterfaces(procRoot);
        for (Path i : ifs) {
            Path link = i.resolve("device");
            try {
                if (Files.isSymbolicLink(link)
                        && Files.readSymbolicLink(link).getFileName().toString().equals(instance)) {
                    String name = i.getFileName().toString();
                    out.add(new Interface(name, defaults.contains(name)));
                }
            } catch (IOException e) {
                // an interface that went away while we looked
            }
        }
        return out;
    }

    /** A device as an operator knows it: {@code eth0 (<instance>)}, or its instance alone when it has no interface. */
    public static String describe(Path sysfsRoot, Path procRoot, VmbusDevice device) {
        List<String> names = of(sysfsRoot, procRoot, device).stream().map(Interface::name).toList();
        return names.isEmpty() ? device.instanceId().toString()
                : String.join(", ", names) + " (" + device.instanceId() + ")";
    }

    /** The interfaces of the IPv4 and IPv6 default routes. */
    static List<String> defaultRouteInterfaces(Path procRoot) {
        List<String> out = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(procRoot.resolve("net/route"))) {
                String[] f = line.trim().split("\\s+");
                if (f.length > 2 && f[1].equals("00000000") && !f[0].equals("Iface")) {
                    out.add(f[0]);
                }
            }
        } catch (IOException e) {
            // no IPv4 routing table
        }
        try {
            for (String line : Files.readAllLines(procRoot.resolve("net/ipv6_route"))) {
                String[] f = line.trim().split("\\s+");
                // destination, prefix length, ..., interface last; ::/0 is 32 zeros with length 00
                if (f.length >= 10 && f[0].equals("0".repeat(32)) && f[1].equals("00") && !f[9].equals("lo")) {
                    out.add(f[9]);
                }
            }
        } catch (IOException e) {
            // no IPv6 routing table
        }
        return out;
    }
}
