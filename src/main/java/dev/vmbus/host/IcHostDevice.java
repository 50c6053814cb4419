package dev.vmbus.host;

import dev.vmbus.channel.EndReason;
import dev.vmbus.channel.ChannelState;
import dev.vmbus.channel.Offer;
import dev.vmbus.channel.Packet;
import dev.vmbus.ic.IcConstants;
import dev.vmbus.ic.IcMessage;
import dev.vmbus.ic.IcNegotiation;
import dev.vmbus.ic.IcVersion;
import dev.vmbus.ring.PacketType;
import dev.vmbus.runtime.ChannelDriver;
import dev.vmbus.transport.ChannelLink;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.concurrent.TimeoutException;
import java.util.logging.Logger;

/**
 * The simulated host's side of one integration service, as OpenVMM's {@code hyperv_ic} drives it (spec
 * ic-protocols.md sections 2.2, 2.5 and 7): once the guest opens the channel, send NEGOTIATE (header versions
 * zero, flags 0x03, ascending lists); while waiting, discard anything else; accept only counts 1/1; then stamp
 * every request with the negotiated versions and keep one transaction outstanding at a time.
 *
 * <p>Runs on the host's context.
 */
public abstract class IcHostDevice extends ChannelHostDevice {
    private static final Logger LOG = Logger.getLogger(IcHostDevice.class.getName());
    /** How long the guest may take to answer one request. */
    public static final long DEFAULT_REPLY_TIMEOUT_MS = 30_000;

    /**
     * Where the device is: {@code OFFERED} while its channel is not open (its {@link ChannelState}, kept by the
     * channel runtime, is anything but {@code OPEN}); on an open channel, how far the IC negotiation got.
     */
    public enum Phase { OFFERED, NEGOTIATING, READY, FAILED }

    /** The negotiation's progress on the current open channel (meaningless while it is not open). */
    private Phase negotiation = Phase.NEGOTIATING;
    private String failure;
    private IcNegotiation.Negotiated negotiated;
    private Promise<IcMessage> pending;
    private int pendingType;
    private long pendingTimer;
    private long unexpected;
    private final int messageType;
    private final List<IcVersion> serviceVersions;

    /**
     * @param messageType     the message type this service's requests carry
     * @param serviceVersions the host's service versions, ascending
     */
    protected IcHostDevice(String name, Context context, Offer offer, int messageType,
                           List<IcVersion> serviceVersions) {
        super(name, context, offer);
        this.messageType = messageType;
        this.serviceVersions = List.copyOf(serviceVersions);
    }

    public Phase phase() {
        return channelState() == ChannelState.OPEN ? negotiation : Phase.OFFERED;
    }

    /** The host's framework versions, ascending (OpenVMM offers 1.0 and 3.0). */
    protected List<IcVersion> frameworkVersions() {
        return List.of(IcVersion.of(1, 0), IcVersion.of(3, 0));
    }

    /**
     * Called once negotiation succeeded; a device that starts its own exchanges (heartbeat, timesync) starts them
     * here. By default nothing: the device's requests are made on demand.
     */
    protected void ready() {
    }

    /** Called when the channel closes (the guest closed it, went away, or the host rescinded it). */
    protected void stopped(EndReason reason) {
    }

    @Override
    public void opened(ChannelLink link) {
        attach(link, "; negotiating");
        negotiation = Phase.NEGOTIATING;
        negotiated = null;
        transact(IcNegotiation.request(frameworkVersions(), serviceVersions), IcConstants.MSGTYPE_NEGOTIATE,
                DEFAULT_REPLY_TIMEOUT_MS).onComplete(ar -> {
            if (ar.failed()) {
                fail("negotiation: " + ar.cause().getMessage());
                return;
            }
            var chosen = IcNegotiation.parseReply(ar.result());
            if (chosen.isEmpty()) {
                fail("no supported versions (the guest answered counts "
                        + ar.result().u16(IcNegotiation.FRAMEWORK_COUNT) + "/" + ar.result().u16(IcNegotiation.MESSAGE_COUNT) + ")");
                return;
            }
            negotiated = chosen.get();
            negotiation = Phase.READY;
            LOG.info("host: " + name() + " channel " + offer.relid() + " negotiated framework "
                    + negotiated.framework() + ", service " + negotiated.message());
            ready();
        });
    }

    private void fail(String why) {
        negotiation = Phase.FAILED;
        failure = why;
        LOG.warning("host: " + name() + " channel " + offer.relid() + " failed: " + why);
    }

    @Override
    public void closed(int relid, EndReason reason) {
        if (pending != null) {
            context.owner().cancelTimer(pendingTimer);
            Promise<IcMessage> p = pending;
            pending = null;
            p.tryFail("channel closed: " + reason.text());
        }
        detach(relid, reason);
        stopped(reason);
    }

    /** The versions of the last successful negotiation, or null before one. */
    public IcNegotiation.Negotiated negotiated() {
        return negotiated;
    }

    /** A new request with the negotiated versions stamped in its header. */
    protected IcMessage newRequest(int bodyLength) {
        return IcMessage.request(messageType, negotiated.framework(), negotiated.message(), bodyLength, 0);
    }

    /**
     * Sends one request and completes with the guest's reply; fails if another is outstanding, on timeout, or
     * when the channel closes.
     */
    protected Future<IcMessage> transact(IcMessage request, int type, long timeoutMs) {
        ChannelDriver driver = driver();
        if (driver == null || !driver.open()) {
            return Future.failedFuture("the " + name() + " channel is not open");
        }
        if (pending != null) {
            return Future.failedFuture("a " + name() + " request is already outstanding (one at a time)");
        }
        Promise<IcMessage> p = Promise.promise();
        pending = p;
        pendingType = type;
        pendingTimer = context.owner().setTimer(timeoutMs, t -> {
            if (pending == p) {
                pending = null;
                p.tryFail(new TimeoutException("no reply from the guest within " + timeoutMs + " ms"));
            }
        });
        driver.send(request.bytes(), 0, PacketType.DATA_INBAND, 0);
        return p.future();
    }

    @Override
    protected final void onPacket(Packet packet) {
        IcMessage m = new IcMessage(packet.payload());
        if (pending == null || !m.hasHeader() || m.msgType() != pendingType || !m.isResponseTo(0)) {
            unexpected++; // stale replies from before a reset, or a guest answering out of turn
            return;
        }
        context.owner().cancelTimer(pendingTimer);
        Promise<IcMessage> p = pending;
        pending = null;
        p.complete(m);
    }

    /**
     * Fault knob: writes {@code count} NEGOTIATE requests at once, outside the one-at-a-time rule. Every IC guest
     * must answer each (Linux's vmbus_prep_negotiate_resp), so with the host not reading ({@code delay}) the
     * guest's outbound ring fills with the answers, then its inbound ring with the requests. The answers
     * arrive later as unexpected messages, which the host counts and ignores.
     *
     * @return how many were handed to the channel (sends beyond a full ring wait in the driver)
     */
    int flood(int count) {
        ChannelDriver driver = driver();
        if (driver == null || !driver.open()) {
            throw new IllegalArgumentException("channel " + offer.relid() + " is not open");
        }
        byte[] request = IcNegotiation.request(frameworkVersions(), serviceVersions).bytes();
        for (int i = 0; i < count; i++) {
            driver.send(request, 0, PacketType.DATA_INBAND, 0);
        }
        return count;
    }

    /** The device's state for display; services add their own fields. */
    @Override
    public JsonObject state() {
        JsonObject json = baseState().put("phase", phase().name().toLowerCase()).put("unexpectedMessages", unexpected);
        if (negotiated != null) {
            json.put("frameworkVersion", negotiated.framework().toString())
                    .put("serviceVersion", negotiated.message().toString());
        }
        if (failure != null) {
            json.put("failure", failure);
        }
        return json;
    }
}
