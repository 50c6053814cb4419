package dev.vmbus.device.netvsc;

import dev.vmbus.channel.Packet;
import dev.vmbus.spi.BatchHandler;
import dev.vmbus.spi.ChannelPort;
import dev.vmbus.spi.Device;
import dev.vmbus.spi.DeviceChannel;
import dev.vmbus.spi.DeviceContext;
import dev.vmbus.spi.DevicePlugin;
import dev.vmbus.spi.Reply;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.UUID;
import java.util.function.UnaryOperator;

/**
 * The netvsc handler with a test's hand on its device: each NIC's channel port passes through {@code ports} (to
 * change how the channel behaves, {@link NetvscContextTest.CompletedFirst}), and {@code afterStop} runs on the
 * device's thread as soon as the device's {@code stop()} has returned (before what it started finishes).
 */
record WrappedNetvsc(NetvscHandler handler, UnaryOperator<ChannelPort> ports, Runnable afterStop)
        implements DevicePlugin<NetvscSettings> {

    @Override
    public String name() {
        return handler.name();
    }

    @Override
    public List<UUID> classIds() {
        return handler.classIds();
    }

    @Override
    public NetvscSettings settings(DeviceContext context) {
        return handler.settings(context);
    }

    @Override
    public int credit() {
        return handler.credit();
    }

    @Override
    public Device device(NetvscSettings settings, DeviceContext context) {
        Device d = handler.device(settings, context);
        return new Device() {
            @Override
            public Future<Reply> handle(Packet packet) {
                return d.handle(packet);
            }

            @Override
            public Future<?> start(Vertx vertx) {
                return d.start(vertx);
            }

            @Override
            public Future<?> stop() {
                Future<?> stopped = d.stop();
                afterStop.run();
                return stopped;
            }

            @Override
            public JsonObject state() {
                return d.state();
            }

            @Override
            public void channelOpened(DeviceChannel channel) {
                d.channelOpened(channel);
            }

            @Override
            public void subchannelOpened(int primaryRelid, int relid, int index) {
                d.subchannelOpened(primaryRelid, relid, index);
            }

            @Override
            public BatchHandler batchHandler(ChannelPort port) {
                return d.batchHandler(ports.apply(port));
            }

            @Override
            public void channelEnded(int relid) {
                d.channelEnded(relid);
            }
        };
    }
}
