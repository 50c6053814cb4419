package dev.vmbus.host;

import dev.vmbus.channel.ChannelState;
import dev.vmbus.channel.SendStatus;
import dev.vmbus.host.nic.HostNic;
import dev.vmbus.ring.PacketLayout;
import dev.vmbus.ring.PacketType;
import dev.vmbus.runtime.ChannelDriver;
import dev.vmbus.transport.OnContext;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The simulated host as the dashboard drives it: channel-level knobs (rescind, re-offer, inject a malformed
 * packet, delay the host's reading) and each service's actions. Every action runs on the host's context.
 */
public final class SimulatedHostControl implements HostControl, HostChannels {
    private final SimulatedHost host;
    private final Map<String, Function<JsonObject, Future<JsonObject>>> actions = new LinkedHashMap<>();

    public SimulatedHostControl(SimulatedHost host) {
        this.host = host;
        actions.put("rescind", p -> host.transport().rescind(relid(p)).map(v -> ok("rescinded relid " + relid(p))));
        actions.put("offer", p -> {
            HostDevice d = device(relid(p));
            return host.transport().offer(d.offer(), d).map(v -> ok("offered relid " + d.offer().relid()));
        });
        actions.put("reoffer", p -> {
            HostDevice d = device(relid(p));
            return host.transport().rescind(d.offer().relid()).recover(e -> Future.succeededFuture())
                    .compose(v -> offerOnceGone(() -> host.transport().offer(d.offer(), d), REOFFER_ATTEMPTS))
                    .map(v -> ok("rescinded and offered relid " + d.offer().relid() + " again"));
        });
        actions.put("inject-fault", p -> injectFault(relid(p)));
        actions.put("stop-heartbeat", p -> {
            if (!(device(relid(p)) instanceof HeartbeatHostDevice hb)) {
                throw new IllegalArgumentException("channel " + relid(p) + " is not a heartbeat channel");
            }
            hb.halt();
            return Future.succeededFuture(ok("host stops sending heartbeats on channel " + relid(p) + " until it is re-offered"));
        });
        actions.put("flood", p -> {
            open(relid(p));
            if (!(device(relid(p)) instanceof IcHostDevice ic)) {
                throw new IllegalArgumentException("channel " + relid(p) + " is not an integration service's: flood"
                        + " sends IC negotiate requests");
            }
            int n = ic.flood((int) longParam(p, "packets", 1, 10_000));
            return Future.succeededFuture(ok("sent " + n + " negotiate requests on channel " + relid(p)));
        });
        actions.put("delay", p -> delay(relid(p), longParam(p, "ms", 1, 600_000)));
        ServiceActions.register(host, actions);
        actions.put("nic-link", p -> {
            boolean up = boolParam(p, "up", true);
            int k = nicIndex(p);
            host.nics().get(k).link(up);
            return Future.succeededFuture(ok(nicName(k) + "'s link is " + (up ? "up" : "down")
                    + " (the guest hears of it once RNDIS is initialised; a change within 5 s of the last waits)"));
        });
        actions.put("nic-network-change", p -> {
            int k = nicIndex(p);
            if (!host.nics().get(k).networkChange()) {
                throw new IllegalStateException(nicName(k) + " has no RNDIS session with the guest yet: nothing to tell");
            }
            return Future.succeededFuture(ok(nicName(k) + " told the guest its network changed (RNDIS NETWORK_CHANGE)"));
        });
        actions.put("nic-migrated", p -> {
            int k = nicIndex(p);
            String not = host.nics().get(k).migrated();
            if (not != null) {
                throw new IllegalStateException(nicName(k) + " " + not);
            }
            return Future.succeededFuture(ok(nicName(k) + " told the guest its link is connected while it was (RNDIS"
                    + " MEDIA_CONNECT, as Hyper-V after it moved the VM)"));
        });
        actions.put("nic-reoffer", p -> {
            int k = nicIndex(p);
            HostNic n = host.nics().get(k);
            return n.rescind().recover(e -> Future.succeededFuture())
                    .compose(v -> offerOnceGone(n::offerAgain, REOFFER_ATTEMPTS))
                    .map(v -> ok(nicName(k) + " was rescinded and offered again (relid " + n.offer().relid() + ")"));
        });
        actions.put("nic-fault", p -> {
            String knob = stringParam(p, "knob");
            boolean on = boolParam(p, "on", true);
            int k = nicIndex(p);
            HostNic n = host.nics().get(k);
            n.faults(n.faults().with(knob, on));
            return Future.succeededFuture(ok((host.nics().size() > 1 ? "NIC " + k : "NIC") + " fault knob " + knob
                    + " is " + (on ? "on" : "off")));
        });
    }

    /** 50 ms apart: beyond the 5 s an shm host waits for the guest's close of a rescinded channel. */
    private static final int REOFFER_ATTEMPTS = 120;

    /**
     * Offers a channel again once its relid is free: on shm a rescinded channel stays until the guest has closed it
     * (or 5 s have passed), so the offer is retried while the transport still holds the old one.
     */
    private Future<Void> offerOnceGone(java.util.function.Supplier<Future<Void>> offer, int attempts) {
        return offer.get().recover(e -> {
            if (attempts <= 1 || !String.valueOf(e.getMessage()).endsWith("is already offered")) {
                return Future.failedFuture(e);
            }
            Promise<Void> again = Promise.promise();
            host.context().owner().setTimer(50, t -> offerOnceGone(offer, attempts - 1).onComplete(again));
            return again.future();
        });
    }

    @Override
    public List<String> actions() {
        return List.copyOf(actions.keySet());
    }

    @Override
    public Future<JsonObject> state() {
        return onHost(() -> Future.succeededFuture(host.state()));
    }

    @Override
    public Future<JsonObject> act(String action, JsonObject params) {
        Function<JsonObject, Future<JsonObject>> a = actions.get(action);
        if (a == null) {
            return Future.failedFuture(new IllegalArgumentException("no host action '" + action + "'"));
        }
        return onHost(() -> a.apply(params));
    }

    /** The host's ends of the open channels, with their stats. */
    @Override
    public Future<List<End>> channels() {
        return OnContext.supply(host.context(), () -> {
            List<End> out = new java.util.ArrayList<>();
                for (HostDevice d : host.devices()) {
                    boolean open = d.channelState() == ChannelState.OPEN;
                    out.add(new End(d.offer(), d.name(), d.channelState(), open ? d.driver().stats() : null));
                }
                for (HostNic n : host.nics()) {
                    if (n.drivers().isEmpty()) {
                        out.add(new End(n.offer(), n.name(), ChannelState.OFFERED, null));
                    }
                    for (ChannelDriver d : n.drivers()) {
                        out.add(new End(d.offer(), n.name(), d.state(), d.open() ? d.stats() : null));
                    }
                }
            return List.copyOf(out);
        });
    }

    private Future<JsonObject> onHost(java.util.function.Supplier<Future<JsonObject>> task) {
        return OnContext.call(host.context(), task);
    }

    /** The index of the NIC parameter {@code nic} names (0..host.nic.count - 1), 0 without it. */
    private int nicIndex(JsonObject p) {
        int count = host.nics().size();
        if (count == 0) {
            throw new IllegalArgumentException("the host offers no NIC (host.nic.enabled)");
        }
        return p.containsKey("nic") ? (int) longParam(p, "nic", 0, count - 1) : 0;
    }

    /** "the NIC", or "NIC k" when the host offers several. */
    private String nicName(int k) {
        return host.nics().size() > 1 ? "NIC " + k : "the NIC";
    }

    private HostDevice device(int relid) {
        return host.devices().stream().filter(d -> d.offer().relid() == relid).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("the host offers no channel with relid " + relid));
    }

    /** The host's end of open channel {@code relid}: a device's, or one of a NIC's queues. */
    private ChannelDriver open(int relid) {
        ChannelDriver driver = host.nics().stream().flatMap(n -> n.driver(relid).stream()).findFirst()
                .orElseGet(() -> device(relid).driver());
        if (driver == null || !driver.open()) {
            throw new IllegalArgumentException("channel " + relid + " is not open");
        }
        return driver;
    }

    /** Writes a packet whose offset8 points inside its own descriptor: the guest must fault that channel only. */
    private Future<JsonObject> injectFault(int relid) {
        ChannelDriver driver = open(relid);
        MemorySegment bad = MemorySegment.ofArray(new long[4]);
        bad.set(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0,
                PacketLayout.word0(PacketType.DATA_INBAND, 1, 4, 0));
        SendStatus result = driver.writeRaw(bad, 0, 32);
        if (result != SendStatus.OK) {
            return Future.failedFuture("could not write the malformed packet (ring "
                    + (result == SendStatus.TRY_AGAIN ? "full" : "faulted") + ")");
        }
        return Future.succeededFuture(ok("wrote a malformed packet (offset8 = 1) on channel " + relid));
    }

    /** Stops the host reading the channel for {@code ms}: the guest's outbound ring fills meanwhile. */
    private Future<JsonObject> delay(int relid, long ms) {
        ChannelDriver driver = open(relid);
        driver.pause();
        host.context().owner().setTimer(ms, t -> driver.resume());
        return Future.succeededFuture(ok("host stops reading channel " + relid + " for " + ms + " ms"));
    }

    static JsonObject ok(String message) {
        return new JsonObject().put("result", message);
    }

    static int relid(JsonObject p) {
        return (int) longParam(p, "relid", 1, Integer.MAX_VALUE);
    }

    static long longParam(JsonObject p, String key, long min, long max) {
        Object v = p.getValue(key);
        if (!(v instanceof Number n) || n.doubleValue() != n.longValue() || n.longValue() < min || n.longValue() > max) {
            throw new IllegalArgumentException("\"" + key + "\" must be an integer " + min + ".." + max + ", got " + v);
        }
        return n.longValue();
    }

    static boolean boolParam(JsonObject p, String key, boolean absent) {
        Object v = p.getValue(key);
        if (v != null && !(v instanceof Boolean)) {
            throw new IllegalArgumentException("\"" + key + "\" must be true or false, got " + v);
        }
        return v == null ? absent : (Boolean) v;
    }

    static String stringParam(JsonObject p, String key) {
        Object v = p.getValue(key);
        if (!(v instanceof String s)) {
            throw new IllegalArgumentException("\"" + key + "\" must be a string, got " + v);
        }
        return s;
    }
}
