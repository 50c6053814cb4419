package dev.vmbus.host;

import dev.vmbus.channel.ChannelState;
import dev.vmbus.channel.EndReason;
import dev.vmbus.channel.Offer;
import dev.vmbus.channel.Packet;
import dev.vmbus.ring.PacketType;
import dev.vmbus.runtime.ChannelDriver;
import dev.vmbus.transport.ChannelLink;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.util.logging.Logger;

/**
 * The simulated host's end of a channel of a plug-in's class ({@code host.offers}): the channel runtime on the
 * host's side, with the plug-in's {@link HostCounterpart} (or the host's {@link ScriptedCounterpart}) deciding what
 * to send. A counterpart that throws is logged and counted; its channel stays up and the host goes on.
 *
 * <p>Runs on the host's context.
 */
public final class PluginHostDevice extends ChannelHostDevice {
    private static final Logger LOG = Logger.getLogger(PluginHostDevice.class.getName());

    private final HostCounterpart counterpart;
    private long opens;
    private long counterpartFailures;
    private String lastFailure;

    public PluginHostDevice(String name, Context context, Offer offer, HostCounterpart counterpart) {
        super(name, context, offer);
        this.counterpart = counterpart;
    }

    @Override
    public void opened(ChannelLink link) {
        ChannelDriver d = attach(link, "");
        opens++;
        guard("opened", () -> counterpart.opened(new Link(offer, context.owner(), this, d)));
    }

    @Override
    protected void onPacket(Packet packet) {
        guard("received", () -> counterpart.received(packet));
    }

    @Override
    public void closed(int relid, EndReason reason) {
        detach(relid, reason);
        guard("closed", () -> counterpart.closed(reason.text()));
    }

    private void guard(String what, Runnable call) {
        try {
            call.run();
        } catch (RuntimeException e) {
            counterpartFailures++;
            lastFailure = what + ": " + e;
            LOG.warning("host: " + name() + " channel " + offer.relid() + ": the counterpart failed in " + lastFailure);
        }
    }

    @Override
    public JsonObject state() {
        JsonObject json = baseState().put("classId", offer.classId().toString()).put("instanceId", offer.instanceId().toString())
                .put("phase", channelState() == ChannelState.OPEN ? "open" : "offered").put("opens", opens);
        try {
            counterpart.state().forEach(e -> json.put(e.getKey(), e.getValue()));
        } catch (RuntimeException e) {
            json.put("stateError", e.toString());
        }
        json.put("counterpartFailures", counterpartFailures);
        if (lastFailure != null) {
            json.put("lastFailure", lastFailure);
        }
        return json;
    }

    /**
     * The counterpart's view of the open channel, {@code d} the driver it opened on; stale once the channel closes
     * (sends then fail).
     */
    private record Link(Offer offer, Vertx vertx, PluginHostDevice device, ChannelDriver d) implements HostLink {
        @Override
        public Future<Void> send(byte[] payload, long transactionId) {
            if (!open()) {
                return Future.failedFuture("channel " + offer.relid() + " is not open");
            }
            return d.send(payload.clone(), transactionId, PacketType.DATA_INBAND, 0);
        }

        @Override
        public boolean open() {
            return device.driver() == d && d.open();
        }
    }
}
