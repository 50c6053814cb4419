package dev.vmbus.net;

import dev.vmbus.agent.Agent;
import dev.vmbus.bench.Netns;
import dev.vmbus.config.ConfigLoader;
import dev.vmbus.config.InterfaceNames;
import dev.vmbus.host.SimulatedHostControl;
import dev.vmbus.os.Posix;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static dev.vmbus.net.TapGuest.*;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A hostile host against a guest NIC whose backend is a real TAP: the guest ({@code vmbus run}, netvsc backend
 * {@code tap}) runs in a network namespace this test creates, the simulated host ({@code host.nic.backend
 * loopback}) in this JVM over {@code shm}. Once the NIC is up and its TAP carries traffic, the host turns on a fault
 * knob that breaks what the guest checks in every transfer-page packet, and the guest's next received frame (an
 * IPv6 neighbour solicitation the TAP sent, echoed back by the host) carries it. The guest faults the NIC's channel
 * with the reason (the check, made before any byte of the range is read), its other channels keep serving (the
 * heartbeat goes on answering), the agent keeps running, and the TAP:
 * <ul>
 *   <li>one the agent created (the usual case) is removed with the NIC's backend: the interface is gone;</li>
 *   <li>a persistent one an administrator made ({@code ip tuntap add}) stays, with its address, but has no
 *       carrier (nothing holds it open).</li>
 * </ul>
 * First, with no fault, the TAP is what the issue asks of the {@code tap} backend: given the NIC's MAC address and
 * MTU, and up or down with the link the host indicates. Needs root (namespaces, TAPs) and ping.
 */
@Tag("slow") // a guest process in a namespace per case
class NicHostileTapTest {

    @TempDir
    Path tmp;

    /**
     * Issue 21: the TAP is "given the NIC's MAC, MTU and link state". The host's NIC has MAC 00:15:5d:12:34:56 and MTU
     * 4000 (the guest asks 9000: the host's is smaller), so the guest's TAP has that address and MTU 4000, and is up;
     * the host takes the link down (the guest hears of it once 5 s have passed since the last indication, H7): the
     * TAP loses its carrier and stays up, keeping its MAC, MTU and the address an administrator gave it (it used to
     * go administratively down, which took the address); and has a carrier again with the link.
     */
    @Test
    void theTapTakesTheNicsMacMtuAndLinkState() throws Exception {
        Assumptions.assumeTrue(Posix.geteuid() == 0, "skipped: network namespaces and TAPs need root");
        String mac = "00:15:5d:12:34:56";
        Path shm = tmp.resolve("shm");
        JsonObject config = new JsonObject()
                .put("transport", new JsonObject().put("type", "shm").put("shmDir", shm.toString()))
                .put("devices", new JsonObject().put("netvsc", new JsonObject().put("enabled", true)
                        .put("backend", "tap").put("tap", TAP).put("mtu", 9000)))
                .put("host", new JsonObject().put("nic", new JsonObject().put("enabled", true)
                        .put("backend", "loopback").put("mac", mac).put("mtu", 4000)))
                .put("dashboard", new JsonObject().put("enabled", false));
        Path conf = tmp.resolve("vmbus.json");
        Files.writeString(conf, config.encodePrettily());
        Path log = tmp.resolve("run.log");
        try (Netns ns = Netns.create("taplink");
             Agent host = Agent.hostBuilder(ConfigLoader.parse(config.encode(), "test")).start()) {
            Process guest = startGuest(tmp, ns, conf, log);
            try {
                SimulatedHostControl control = new SimulatedHostControl(host.simulatedHost().orElseThrow());
                awaitLog(guest, log, "netvsc " + TAP + " up on channel");
                awaitTap(guest, log, ns, true);
                JsonObject link = tapLink(ns);
                assertEquals(mac, link.getString("address"), link.encode());
                assertEquals(4000, link.getInteger("mtu"), link.encode());
                assertTrue(link.getJsonArray("flags").contains("UP"), link.encode());
                assertTrue(link.getJsonArray("flags").contains("LOWER_UP"), link.encode());
                ns.ip("addr", "add", "fe80::b/64", "dev", TAP, "nodad");

                for (boolean up : new boolean[] {false, true}) {
                    control.act("nic-link", new JsonObject().put("up", up)).await(10, TimeUnit.SECONDS);
                    String carrier = up ? "LOWER_UP" : "NO-CARRIER";
                    awaitGuest(guest, log, "TAP " + TAP + " " + carrier,
                            () -> tapLink(ns).getJsonArray("flags").contains(carrier),
                            () -> "TAP " + TAP + " did not follow the link " + (up ? "up" : "down") + ": "
                                    + tapLink(ns).encode() + "; the guest's output:\n" + tail(log));
                    link = tapLink(ns);
                    assertTrue(link.getJsonArray("flags").contains("UP"), link.encode());
                    assertEquals(mac, link.getString("address"), link.encode());
                    assertEquals(4000, link.getInteger("mtu"), link.encode());
                    assertTrue(ns.ip("addr", "show", "dev", TAP).contains("fe80::b/64"), "the address stays");
                }
                checkAlive(guest, log);
            } finally {
                stop(guest);
            }
        }
    }

    /**
     * The host removes the adapter and adds it back ({@code nic-reoffer}): the guest's new NIC takes the same TAP
     * name once the old one has let it go (an agent-made TAP is made again; a persistent one keeps the
     * administrator's address), and frames flow through it again.
     */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aNicTheHostOffersAgainTakesItsTapBack(boolean persistentTap) throws Exception {
        Assumptions.assumeTrue(Posix.geteuid() == 0, "skipped: network namespaces and TAPs need root");
        withGuest(tmp, "reoffer", persistentTap, (ns, guest, log, control) -> {
            long opens = nic(control).getLong("opens");
            control.act("nic-reoffer", new JsonObject()).await(10, TimeUnit.SECONDS);
            awaitGuest(guest, log, "the NIC up again", () -> nic(control).getLong("opens") > opens
                    && Files.readAllLines(log).stream().filter(l -> l.contains("netvsc " + TAP + " up on channel"))
                    .count() == 2, () -> "no second NIC " + TAP + "; its output:\n" + tail(log));
            assertFalse(Files.readString(log).contains(InterfaceNames.nth(TAP, 1)), "a new name:\n" + tail(log));
            awaitTap(guest, log, ns, true);
            if (!persistentTap) {
                ns.ip("addr", "add", "fe80::b/64", "dev", TAP, "nodad");
            }
            assertTrue(ns.ip("addr", "show", "dev", TAP).contains("fe80::b/64"), ns.ip("addr", "show", "dev", TAP));
            aFrameReachesTheGuest(ns, control, "no frame through the new NIC");
            checkAlive(guest, log);
        });
    }

    @ParameterizedTest
    @CsvSource({
        "rangePastBuffer, false, is outside the receive buffer's",
        "transactionIdPastSlots, true, is past the receive buffer's"})
    void theNicFaultsAloneAndItsTapGoesCleanly(String knob, boolean persistentTap, String reason) throws Exception {
        Assumptions.assumeTrue(Posix.geteuid() == 0, "skipped: network namespaces and TAPs need root");
        withGuest(tmp, "hostile", persistentTap, (ns, guest, log, control) -> {
            // the NIC carries frames both ways before the fault: the host loops back what the TAP sends
            aFrameReachesTheGuest(ns, control, "no frame reached the guest");
            long replies = heartbeat(control).getLong("replies");

            control.act("nic-fault", new JsonObject().put("knob", knob)).await(10, TimeUnit.SECONDS);
            String failed = "netvsc " + TAP + " (channel ";
            // each look that finds no failure yet pings once: a frame through the NIC meets the fault
            awaitGuest(guest, log, "the guest's NIC to fail", () -> {
                if (Files.readString(log).contains(failed)) {
                    return true;
                }
                ping(ns);
                return false;
            }, () -> "the guest's NIC did not fail; its output:\n" + tail(log));
            String line = Files.readAllLines(log).stream().filter(l -> l.contains(failed)).findFirst()
                    .orElseThrow(() -> new AssertionError("the guest's NIC did not fail; its output:\n"
                            + tail(log)));
            assertTrue(line.contains(reason), knob + ": " + line);
            // the channel faulted with the same reason (the agent's log names the state and the reason)
            awaitLog(guest, log, "faulted: ");
            String faulted = Files.readAllLines(log).stream().filter(l -> l.contains("faulted: ")).findFirst()
                    .orElseThrow();
            assertTrue(faulted.contains(reason), faulted);
            System.out.println(knob + ": " + faulted.strip());

            // the TAP goes: removed if the agent made it, without carrier if it is persistent
            if (persistentTap) {
                awaitTap(guest, log, ns, false);
                JsonObject link = new JsonArray(ns.ip("-j", "addr", "show", "dev", TAP)).getJsonObject(0);
                assertTrue(link.getJsonArray("flags").contains("NO-CARRIER"), link.encode());
                assertTrue(link.getJsonArray("addr_info").encode().contains("fe80::b"),
                        "the administrator's address went: " + link.encode());
            } else {
                awaitGuest(guest, log, "the TAP the agent made to go with its NIC", () -> !tapExists(ns),
                        () -> "the TAP the agent made outlived its NIC");
            }

            // the other channels keep serving and the agent keeps running
            awaitGuest(guest, log, "three more heartbeat replies",
                    () -> heartbeat(control).getLong("replies") >= replies + 3,
                    () -> "the heartbeat stopped answering after the NIC faulted: " + heartbeat(control).encode());
            checkAlive(guest, log);
            System.out.println(knob + ": TAP " + (tapExists(ns) ? ns.ip("link", "show", "dev", TAP).strip()
                    : "removed") + "; heartbeat " + heartbeat(control).encode());
        });
    }

    /**
     * What an administrator does to the TAP under a running agent. A larger MTU than the NIC's ({@code ip link set
     * mtu 9000}): a frame over the NIC's is dropped, and the log says why and how to set it back. Then the TAP is
     * deleted ({@code ip link delete}; one the agent made, or a persistent one): the NIC fails with that reason and
     * its channel faults with it (what the dashboard and metrics show), its other channels keep serving, and
     * nothing spins: the agent's CPU over 2 s afterwards is printed (a detached TAP polls as an error for ever; a
     * reader thread polling it once used a whole CPU).
     */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void theAdministratorsMtuAndDeleteAreTakenAndTold(boolean persistentTap) throws Exception {
        Assumptions.assumeTrue(Posix.geteuid() == 0, "skipped: network namespaces and TAPs need root");
        withGuest(tmp, "tapadmin", persistentTap, (ns, guest, log, control) -> {
            // the peer's address resolved for good: the echo request itself goes out, no solicitation first
            ns.ip("neigh", "add", PEER, "lladdr", "02:00:5e:10:00:0a", "dev", TAP, "nud", "permanent");
            ns.ip("link", "set", "dev", TAP, "mtu", "9000");
            String mtuLine = "TAP " + TAP + " gave a 3062-byte frame, over the 1514 bytes this port carries (MTU"
                    + " 1500; 1518 with an 802.1Q tag): its MTU is 9000, set outside";
            awaitGuest(guest, log, "the guest to say its TAP's MTU is over the NIC's", () -> {
                if (Files.readString(log).contains(mtuLine)) {
                    return true;
                }
                ping(ns, 3000); // a 3,062-byte echo request
                return false;
            }, () -> "no '" + mtuLine + "'; the guest's output:\n" + tail(log));
            assertTrue(Files.readString(log).contains("'ip link set dev " + TAP + " mtu 1500'"), tail(log));
            ns.ip("link", "set", "dev", TAP, "mtu", "1500");

            long replies = heartbeat(control).getLong("replies");
            ns.ip("link", "delete", "dev", TAP);
            String failed = "netvsc " + TAP + " (channel ";
            String reason = "netvsc " + TAP + ": the tap backend failed: TAP " + TAP
                    + " is gone: it was deleted outside this process";
            awaitLog(guest, log, "faulted: handler 'netvsc': " + reason);
            String line = Files.readAllLines(log).stream().filter(l -> l.contains(failed)).findFirst()
                    .orElseThrow();
            assertTrue(line.contains("failed: " + reason), line);
            long cpu = cpuTicks(guest);
            Thread.sleep(2000); // pacing: the window the CPU is read over (printed, not asserted)
            System.out.printf("TAP %s deleted (persistent: %s): the agent used %d clock ticks of CPU in 2 s%n",
                    TAP, persistentTap, cpuTicks(guest) - cpu);

            assertFalse(tapExists(ns), "the deleted TAP came back");
            awaitGuest(guest, log, "three more heartbeat replies",
                    () -> heartbeat(control).getLong("replies") >= replies + 3,
                    () -> "the heartbeat stopped answering after the TAP went: " + heartbeat(control).encode());
            checkAlive(guest, log);
            assertEquals(List.of(), Files.readAllLines(log).stream().filter(l -> l.contains("\tat ")).toList(),
                    "the guest logged a stack trace");
        });
    }

    /**
     * The NIC's packet filter follows its TAP's promiscuity as Linux's netvsc follows its interface's
     * ({@code rndis_set_multicast}): {@code ip link set promisc on} makes the host's filter PROMISCUOUS (0x20),
     * {@code off} puts back DIRECTED|ALL_MULTICAST|BROADCAST (0x0d); a bridge the TAP is put in makes it promiscuous
     * without the PROMISC flag (only the count, IFLA_PROMISCUITY, says so), and leaving it puts the filter back;
     * {@code ip link set down} makes it none, as Linux's {@code netvsc_close} does, and {@code up} puts it back.
     */
    @Test
    void thePacketFilterFollowsTheTapsPromiscuityAndUpDown() throws Exception {
        Assumptions.assumeTrue(Posix.geteuid() == 0, "skipped: network namespaces and TAPs need root");
        withGuest(tmp, "promisc", false, (ns, guest, log, control) -> {
            int usual = Rndis.FILTER_DIRECTED | Rndis.FILTER_ALL_MULTICAST | Rndis.FILTER_BROADCAST;
            awaitFilter(guest, log, control, usual);
            ns.ip("link", "set", "dev", TAP, "promisc", "on");
            awaitFilter(guest, log, control, Rndis.FILTER_PROMISCUOUS);
            ns.ip("link", "set", "dev", TAP, "promisc", "off");
            awaitFilter(guest, log, control, usual);

            ns.ip("link", "add", "br0", "type", "bridge");
            ns.ip("link", "set", "dev", TAP, "master", "br0");
            awaitFilter(guest, log, control, Rndis.FILTER_PROMISCUOUS);
            JsonObject link = new JsonArray(ns.ip("-d", "-j", "link", "show", "dev", TAP)).getJsonObject(0);
            assertFalse(link.getJsonArray("flags").contains("PROMISC"), "the flag says nothing of a bridge's: "
                    + link.encode());
            assertEquals(1, link.getInteger("promiscuity"), link.encode());
            ns.ip("link", "set", "dev", TAP, "nomaster");
            awaitFilter(guest, log, control, usual);
            assertTrue(Files.readString(log).contains("netvsc " + TAP + ": packet filter 0x20 (was 0xd)"), tail(log));

            // down, as Linux's netvsc_close: none, so the host delivers nothing; up: the filter comes back
            ns.ip("link", "set", "dev", TAP, "down");
            awaitFilter(guest, log, control, Rndis.FILTER_NONE);
            ns.ip("link", "set", "dev", TAP, "up");
            awaitFilter(guest, log, control, usual);
            assertTrue(Files.readString(log).contains("netvsc " + TAP + ": packet filter 0x0 (was 0xd): its backend's"
                    + " interface is down"), tail(log));
            checkAlive(guest, log);
        });
    }

    /**
     * The host's NETWORK_CHANGE (Hyper-V's, when the adapter moves to another switch): the TAP's carrier goes off
     * ({@code NO-CARRIER}, what a DHCP client and router discovery watch) and comes back about 2 s later, as Linux's
     * netvsc takes its own; the interface stays up, with its address.
     */
    @Test
    void theHostsNetworkChangeTakesTheTapsCarrierDownAndUpAgain() throws Exception {
        Assumptions.assumeTrue(Posix.geteuid() == 0, "skipped: network namespaces and TAPs need root");
        withGuest(tmp, "netchange", false, (ns, guest, log, control) -> {
            assertFalse(flags(ns).contains("NO-CARRIER"), flags(ns).toString());
            control.act("nic-network-change", new JsonObject()).await(10, TimeUnit.SECONDS);
            awaitGuest(guest, log, "the TAP without its carrier", () -> flags(ns).contains("NO-CARRIER"),
                    () -> "the TAP's flags stayed " + flags(ns) + "; the guest's output:\n" + tail(log));
            awaitGuest(guest, log, "the TAP's carrier back", () -> flags(ns).contains("LOWER_UP"),
                    () -> "the TAP's flags are " + flags(ns) + "; the guest's output:\n" + tail(log));
            assertTrue(flags(ns).contains("UP"), flags(ns).toString());
            assertTrue(Files.readString(log).contains("netvsc " + TAP + ": the host's network changed: the link goes"
                    + " down for 2 s and up again"), tail(log));
            checkAlive(guest, log);
        });
    }

    /** The TAP's flags as {@code ip -j link show} lists them. */
    private static List<Object> flags(Netns ns) throws Exception {
        return new JsonArray(ns.ip("-j", "link", "show", "dev", TAP)).getJsonObject(0).getJsonArray("flags").getList();
    }

    private static void awaitFilter(Process guest, Path log, SimulatedHostControl control, int filter)
            throws Exception {
        awaitGuest(guest, log, "the host's packet filter 0x" + Integer.toHexString(filter),
                () -> nic(control).getInteger("packetFilter") == filter,
                () -> "the host's packet filter is " + nic(control).getInteger("packetFilter") + ", not " + filter
                        + "; the guest's output:\n" + tail(log));
    }

}
