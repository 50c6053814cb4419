package dev.vmbus.device;

import dev.vmbus.bus.Addresses;
import dev.vmbus.bus.ChannelEvent;
import dev.vmbus.bus.Complaints;
import dev.vmbus.bus.OutboundPacket;
import dev.vmbus.channel.HostComplaints.Kind;
import dev.vmbus.channel.Packet;
import dev.vmbus.ic.IcConstants;
import dev.vmbus.ic.IcMessage;
import dev.vmbus.ic.IcNegotiation;
import dev.vmbus.ic.IcVersion;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.IntFunction;
import java.util.logging.Logger;

/**
 * The shared guest side of every integration service (spec ic-protocols.md sections 1-2): receives packets
 * for its class, drops messages shorter than the 28-byte header without a reply, answers version negotiation
 * exactly as Linux does, and hands everything else to {@link #handle}. Replies follow Linux's rule: the same
 * buffer, modified in place, flags overwritten with 0x05, the same length, the host's transaction id echoed.
 *
 * @param <S> the per-channel state this service keeps
 *
 * <p>Threads: the per-channel states are touched on this verticle's context only; services that
 * block hand work to a worker and keep what the worker touches to themselves (see each service).
 */
public abstract class IcDeviceVerticle<S extends IcChannelState> extends VerticleBase {
    private static final Logger LOG = Logger.getLogger(IcDeviceVerticle.class.getName());

    /** What {@link #handle} decided. */
    public enum Answer {
        /** Send the (modified) buffer back. */
        REPLY,
        /** Send nothing (Linux's answer to some malformed or unknown messages). */
        DROP,
        /**
         * Send the buffer back, then call {@link #afterReply} once the reply is on the ring: for actions Linux
         * takes only after answering (a shutdown must not race its own reply).
         */
        REPLY_THEN_ACT
    }

    private final String name;
    private final List<IcVersion> frameworkVersions;
    private final List<IcVersion> serviceVersions;
    private final IntFunction<S> newState;
    private final Map<Integer, S> channels = new TreeMap<>();

    /**
     * @param frameworkVersions the framework versions to accept, most preferred first
     * @param serviceVersions   the service versions to accept, most preferred first
     */
    protected IcDeviceVerticle(String name, List<IcVersion> frameworkVersions, List<IcVersion> serviceVersions,
                               IntFunction<S> newState) {
        this.name = name;
        this.frameworkVersions = List.copyOf(frameworkVersions);
        this.serviceVersions = List.copyOf(serviceVersions);
        this.newState = newState;
    }

    @Override
    public final Future<?> start() throws Exception {
        vertx.eventBus().<Packet>localConsumer(Addresses.device(name), this::onPacket);
        vertx.eventBus().<ChannelEvent>localConsumer(Addresses.CHANNELS, m -> {
            if (m.body().ended()) {
                channels.remove(m.body().relid());
            }
        });
        vertx.eventBus().localConsumer(Addresses.deviceState(name), m -> m.reply(state()));
        return startService();
    }

    /** Service-specific start-up (timers, files). */
    protected Future<?> startService() throws Exception {
        return Future.succeededFuture();
    }

    private void onPacket(Message<Packet> m) {
        Packet packet = m.body();
        IcMessage ic = new IcMessage(packet.payload());
        S state = channels.computeIfAbsent(packet.relid(), newState::apply);
        if (!ic.hasHeader()) {
            state.countDropped(); // Linux: recvlen < ICMSG_HDR is dropped silently
            m.reply(null);
            return;
        }
        state.countMessage();
        if (ic.msgType() == IcConstants.MSGTYPE_NEGOTIATE) {
            IcNegotiation.Negotiated chosen = IcNegotiation.answer(ic, frameworkVersions, serviceVersions).orElse(null);
            state.negotiated(chosen);
            if (chosen == null) {
                complain(packet.relid(), Kind.NO_COMMON_VERSION, name + ": no common version with the host");
            }
            reply(m, packet, ic);
            return;
        }
        Future<Answer> answer;
        try {
            answer = handle(state, ic);
        } catch (RuntimeException e) {
            answer = Future.failedFuture(e);
        }
        answer.onComplete(ar -> {
            if (ar.failed()) {
                state.countFailed();
                m.fail(500, name + " could not handle a message: " + ar.cause());
            } else if (ar.result() == Answer.REPLY) {
                reply(m, packet, ic);
            } else if (ar.result() == Answer.REPLY_THEN_ACT) {
                replyThenAct(m, packet, ic, state);
            } else {
                state.countDropped();
                m.reply(null);
            }
        });
    }

    private static void reply(Message<Packet> m, Packet packet, IcMessage ic) {
        ic.flags(IcConstants.FLAGS_GUEST_RESPONSE);
        m.reply(OutboundPacket.response(packet.payload(), packet.transactionId()));
    }

    /** Replies and asks the channel to answer once the reply is on the ring (or could not be put there). */
    private void replyThenAct(Message<Packet> m, Packet packet, IcMessage ic, S state) {
        ic.flags(IcConstants.FLAGS_GUEST_RESPONSE);
        m.replyAndRequest(OutboundPacket.response(packet.payload(), packet.transactionId())).onComplete(sent -> {
            if (sent.failed()) {
                state.countFailed();
                LOG.warning(name + " channel " + packet.relid() + ": reply not sent, so no action taken: "
                        + sent.cause().getMessage());
                return;
            }
            try {
                afterReply(state, ic);
            } catch (RuntimeException e) {
                LOG.log(java.util.logging.Level.WARNING, name + " action after the reply failed", e);
            }
        });
    }

    /**
     * Counts something the host got wrong on {@code relid} and logs it at a bounded rate (see
     * {@link dev.vmbus.channel.HostComplaints}): use this, never a plain log line, for anything the host can repeat.
     */
    protected void complain(int relid, Kind kind, String message) {
        Complaints.of(vertx).report(relid, kind, () -> message);
    }

    /** Called on this verticle's context once a {@link Answer#REPLY_THEN_ACT} reply is on the ring. */
    protected void afterReply(S state, IcMessage message) {
    }

    /**
     * Handles one non-negotiation message in place: write the body fields and {@code status}; the base sets the
     * flags and sends the buffer back on {@link Answer#REPLY}. Runs on this verticle's context.
     */
    protected abstract Future<Answer> handle(S state, IcMessage message);

    /** The state of every channel of this service, for display. */
    public JsonObject state() {
        JsonArray list = new JsonArray();
        channels.values().forEach(s -> list.add(s.toJson()));
        return new JsonObject().put("device", name).put("channels", list);
    }

    protected Map<Integer, S> channels() {
        return channels;
    }
}
