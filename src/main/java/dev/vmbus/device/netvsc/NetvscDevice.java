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

/**
 * The synthetic NIC device: one {@link Nic} per primary channel of the netvsc class (the first named
 * {@code devices.netvsc.tap}, later ones with {@code -1}, {@code -2} ... appended), its subchannels handed to it
 * as extra receive queues.
 *
 * <p>Threads: the maps are the device's context's; each NIC's packets run on its primary channel's context
 * ({@link #batchHandler}), see {@link Nic}.
 */
final class NetvscDevice implements Device {
    private final NetvscSettings settings;
    private final Nic.PortFactory ports;
    private final Map<Integer, Nic> nics = new LinkedHashMap<>();
    private final Map<Integer, Nic> byRelid = new HashMap<>();
    private Vertx vertx;
    /** NICs made by {@link #batchHandler} whose channel has not opened yet, by relid. */
    private final Map<Integer, Nic> attached = new HashMap<>();
    private int made;

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
            String name = made == 0 ? settings.tap() : settings.tap() + "-" + made;
            made++;
            Nic nic = new Nic(vertx, port, settings, name, ports);
            attached.put(port.relid(), nic);
            return nic::batch;
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

    @Override
    public void channelOpened(DeviceChannel channel) {
        Nic nic = attached.remove(channel.relid());
        if (nic == null) {
            return; // a subchannel: subchannelOpened says which queue it is
        }
        nics.put(channel.relid(), nic);
        byRelid.put(channel.relid(), nic);
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
        nics.values().forEach(n -> list.add(n.state()));
        return new JsonObject().put("backend", settings.backend().key()).put("nics", list);
    }
}
