package dev.vmbus.host;

import dev.vmbus.channel.ChannelState;
import dev.vmbus.channel.EndReason;
import dev.vmbus.channel.Offer;
import dev.vmbus.channel.Packet;
import dev.vmbus.runtime.ChannelDriver;
import dev.vmbus.transport.ChannelLink;
import io.vertx.core.Context;
import io.vertx.core.json.JsonObject;

import java.util.logging.Logger;

/**
 * What every channel the simulated host drives has: its name, its offer, and the host's channel runtime while the
 * guest has the channel open, every packet the guest writes reaching {@link #onPacket} on the host's context. The
 * integration services ({@link IcHostDevice}) and the plug-ins' classes ({@link PluginHostDevice}) build on it.
 *
 * <p>Runs on the host's context.
 */
public abstract class ChannelHostDevice implements HostDevice {
    private static final Logger LOG = Logger.getLogger(ChannelHostDevice.class.getName());

    protected final Context context;
    protected final Offer offer;
    private final String name;
    private ChannelDriver driver;

    protected ChannelHostDevice(String name, Context context, Offer offer) {
        this.name = name;
        this.context = context;
        this.offer = offer;
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final Offer offer() {
        return offer;
    }

    /** The host end's channel state: its runtime's while there is one, else {@code OFFERED}. */
    @Override
    public final ChannelState channelState() {
        return driver != null ? driver.state() : ChannelState.OFFERED;
    }

    /** The channel driver while open (for fault injection and sends), else null. */
    @Override
    public final ChannelDriver driver() {
        return driver;
    }

    /** A packet the guest wrote on the open channel. */
    protected abstract void onPacket(Packet packet);

    /**
     * Starts the host's channel runtime on the link the guest opened and logs it ({@code note} is appended to the
     * line); call it first from {@link #opened}.
     */
    protected final ChannelDriver attach(ChannelLink link, String note) {
        ChannelDriver d = ChannelDriver.host(link, context, 0, this::onPacket);
        driver = d;
        LOG.info("host: " + name + " channel " + offer.relid() + " opened by the guest" + note);
        return d;
    }

    /** Forgets the runtime of the channel that closed and logs why; call it from {@link #closed}. */
    protected final void detach(int relid, EndReason reason) {
        driver = null;
        LOG.info("host: " + name + " channel " + relid + " closed (" + reason.text() + ")");
    }

    /** The start of every device's state: its name and relid. */
    protected final JsonObject baseState() {
        return new JsonObject().put("device", name).put("relid", offer.relid());
    }
}
