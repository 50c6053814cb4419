package dev.vmbus.device.netvsc;

import dev.vmbus.channel.Packet;
import dev.vmbus.spi.BatchHandler;
import dev.vmbus.spi.ChannelPort;
import dev.vmbus.spi.Device;
import dev.vmbus.spi.DeviceChannel;
import dev.vmbus.spi.Reply;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The synthetic NIC device: one {@link Nic} per primary channel of the netvsc class (the first named
 * {@code devices.netvsc.tap}, later ones numbered on from it: {@code vmbus1}, {@code vmbus2} ...), its subchannels
 * handed to it as extra receive queues.
 *
 * <p>Threads: the maps are the device's context's; each NIC's packets run on its primary channel's context
 * ({@link #batchHandler}), see {@link Nic}.
 */
final class NetvscDevice implements Device {
    /** How long a NIC's backend waits for the one it replaces to let its TAP go. */
    static final long CLOSE_WAIT_SECONDS = 10;
    private final NetvscSettings settings;
    private final Nic.PortFactory ports;
    private final Map<Integer, Nic> nics = new LinkedHashMap<>();
    private final Map<Integer, Nic> byRelid = new HashMap<>();
    private Vertx vertx;
    /** NICs made by {@link #batchHandler} whose channel has not opened yet, by relid. */
    private final Map<Integer, Nic> attached = new HashMap<>();
    /** The close of each NIC whose primary ended, by name, until done: a NIC of that name waits for it. */
    private final Map<String, Future<Void>> closing = new HashMap<>();
    /**
     * What each NIC that failed said, by name, until a NIC of that name opens again: its state leaves
     * {@link #state}'s {@code nics} when its channel ends, and this keeps why in {@code failed}. At most
     * {@link #FAILED_KEPT}, the oldest dropped first.
     */
    private final Map<String, JsonObject> failed = new LinkedHashMap<>();
    static final int FAILED_KEPT = 8;

    NetvscDevice(NetvscSettings settings, Nic.PortFactory ports) {
        this.settings = settings;
        this.ports = ports;
    }

    @Override
    public Future<?> start(Vertx vertx) {
        this.vertx = vertx;
        return Future.succeededFuture();
    }

    /** Every netvsc channel takes its packets in batches ({@link #batchHandler}); none come here. */
    @Override
    public Future<Reply> handle(Packet packet) {
        return Future.failedFuture("netvsc: a packet on channel " + packet.relid()
                + " outside its batches, which is no open NIC's channel");
    }

    /**
     * A primary channel becomes a NIC whose batches it handles; a subchannel's batches go to the NIC of its
     * instance (on that NIC's context).
     */
    @Override
    public BatchHandler batchHandler(ChannelPort port) {
        if (port.channel().offer().subchannel() == 0) {
            String name = freeName();
            Future<Void> before = closing.get(name);
            Nic.PortFactory opener = before == null ? ports : (v, n, mac, mtu, maxFrame, link) -> {
                // the NIC this one replaces still holds the name's TAP until its close is done
                try {
                    before.toCompletionStage().toCompletableFuture().get(CLOSE_WAIT_SECONDS, TimeUnit.SECONDS);
                } catch (java.util.concurrent.TimeoutException e) {
                    throw new java.io.IOException("the NIC " + n + " replaces did not let its backend go within "
                            + CLOSE_WAIT_SECONDS + " s");
                } catch (java.util.concurrent.ExecutionException e) {
                    // its close failed: what it held is given back as far as it could be; try the open
                }
                return ports.open(v, n, mac, mtu, maxFrame, link);
            };
            Nic nic = new Nic(vertx, port, settings, name, opener);
            attached.put(port.relid(), nic);
            return new BatchHandler() {
                @Override
                public void packets(java.util.List<Packet> batch) {
                    nic.batch(batch);
                }

                @Override
                public Future<Void> closing() {
                    return nic.goodbye(); // RNDIS HALT and the buffers' revokes, as Linux's netvsc sends them
                }
            };
        }
        for (Nic nic : nics.values()) {
            if (nic.instance().equals(port.channel().offer().instanceId())) {
                nic.subchannelPort(port);
                return nic::subchannelBatch;
            }
        }
        return batch -> {
            throw new IllegalStateException("netvsc: subchannel " + port.relid() + " has no open NIC");
        };
    }

    /**
     * The first of {@code vmbus0}, {@code vmbus1} ... ({@link dev.vmbus.config.InterfaceNames#nth} of {@code
     * devices.netvsc.tap}) that no NIC holds: a NIC the host offers again after a rescind (the same instance, or
     * another) takes its old name back, as Linux names a re-added NIC, so an administrator's configuration of that
     * interface still applies.
     */
    private String freeName() {
        for (int n = 0; ; n++) {
            String name = dev.vmbus.config.InterfaceNames.nth(settings.tap(), n);
            if (nics.values().stream().noneMatch(x -> x.name().equals(name))
                    && attached.values().stream().noneMatch(x -> x.name().equals(name))) {
                return name;
            }
        }
    }

    @Override
    public void channelOpened(DeviceChannel channel) {
        Nic nic = attached.remove(channel.relid());
        if (nic == null) {
            return; // a subchannel: subchannelOpened says which queue it is
        }
        nics.put(channel.relid(), nic);
        byRelid.put(channel.relid(), nic);
        failed.remove(nic.name());
        nic.start();
    }

    @Override
    public void subchannelOpened(int primaryRelid, int relid, int index) {
        Nic nic = nics.get(primaryRelid);
        if (nic != null) {
            nic.subchannelOpened(relid, index);
            byRelid.put(relid, nic);
        }
    }

    @Override
    public void channelEnded(int relid) {
        Nic early = attached.remove(relid);
        if (early != null) {
            early.close();
        }
        Nic nic = byRelid.remove(relid);
        if (nic != null && nic.channelEnded(relid)) {
            nics.remove(relid);
            byRelid.values().removeIf(n -> n == nic);
            String why = nic.failure;
            if (why != null) {
                failed.remove(nic.name());
                failed.put(nic.name(), new JsonObject().put("name", nic.name()).put("relid", relid)
                        .put("instance", nic.instance().toString()).put("failure", why)
                        .put("at", java.time.Instant.now().toString()));
                if (failed.size() > FAILED_KEPT) {
                    failed.remove(failed.keySet().iterator().next());
                }
            }
            Future<Void> closed = nic.close(); // after the close channelEnded started, on the NIC's context
            closing.put(nic.name(), closed);
            io.vertx.core.Context here = vertx.getOrCreateContext(); // the device's: the maps are its own
            closed.onComplete(ar -> here.runOnContext(x -> closing.remove(nic.name(), closed)));
        }
    }

    @Override
    public Future<?> stop() {
        java.util.List<Future<Void>> closed = new java.util.ArrayList<>();
        nics.values().forEach(n -> closed.add(n.close()));
        attached.values().forEach(n -> closed.add(n.close()));
        nics.clear();
        attached.clear();
        byRelid.clear();
        return Future.join(closed);
    }

    @Override
    public JsonObject state() {
        JsonArray list = new JsonArray();
        nics.values().forEach(n -> list.add(NicState.of(n)));
        return new JsonObject().put("backend", settings.backend().key()).put("nics", list)
                .put("failed", new JsonArray(new java.util.ArrayList<>(failed.values())));
    }
}
