package dev.vmbus.device.netvsc;

import dev.vmbus.channel.Packet;
import dev.vmbus.spi.Device;
import dev.vmbus.spi.DeviceChannel;
import dev.vmbus.spi.Reply;
import io.vertx.core.Context;
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
 * <p>Threads: the device's context only, like every {@link Device}.
 */
final class NetvscDevice implements Device {
    private final NetvscSettings settings;
    private final Nic.PortFactory ports;
    private final Map<Integer, Nic> nics = new LinkedHashMap<>();
    private final Map<Integer, Nic> byRelid = new HashMap<>();
    private Vertx vertx;
    private Context context;
    private int made;

    NetvscDevice(NetvscSettings settings, Nic.PortFactory ports) {
        this.settings = settings;
        this.ports = ports;
    }

    @Override
    public Future<?> start(Vertx vertx) {
        this.vertx = vertx;
        this.context = Vertx.currentContext() != null ? Vertx.currentContext() : vertx.getOrCreateContext();
        return Future.succeededFuture();
    }

    @Override
    public Future<Reply> handle(Packet packet) {
        Nic nic = byRelid.get(packet.relid());
        if (nic == null) {
            return Future.failedFuture("netvsc: a packet on channel " + packet.relid()
                    + ", which is no open NIC's channel");
        }
        return nic.handle(packet);
    }

    @Override
    public void channelOpened(DeviceChannel channel) {
        if (channel.offer().subchannel() != 0) {
            return; // a queue of its NIC: subchannelOpened says which
        }
        String name = made == 0 ? settings.tap() : settings.tap() + "-" + made;
        made++;
        Nic nic = new Nic(vertx, context, channel, settings, name, ports);
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
        Nic nic = byRelid.remove(relid);
        if (nic != null && nic.channelEnded(relid)) {
            nics.remove(relid);
            byRelid.values().removeIf(n -> n == nic);
        }
    }

    @Override
    public Future<?> stop() {
        nics.values().forEach(Nic::close);
        nics.clear();
        byRelid.clear();
        return Future.succeededFuture();
    }

    @Override
    public JsonObject state() {
        JsonArray list = new JsonArray();
        nics.values().forEach(n -> list.add(n.state()));
        return new JsonObject().put("backend", settings.backend().key()).put("nics", list);
    }
}
