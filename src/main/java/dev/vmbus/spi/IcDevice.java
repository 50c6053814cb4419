package dev.vmbus.spi;

import dev.vmbus.channel.HostComplaints.Kind;
import dev.vmbus.channel.Packet;
import dev.vmbus.ic.IcConstants;
import dev.vmbus.ic.IcMessage;
import dev.vmbus.ic.IcNegotiation;
import dev.vmbus.ic.IcVersion;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.IntFunction;

/**
 * The shared guest side of every integration service (spec ic-protocols.md sections 1-2), as a {@link Device}:
 * drops messages shorter than the 28-byte header without a reply, answers version negotiation exactly as Linux
 * does, and hands everything else to {@link #handle(IcChannelState, IcMessage)}, which answers in {@link Reply}'s words. Replies follow Linux's rule: the
 * same buffer, modified in place, flags overwritten with 0x05, the same length, the host's transaction id echoed.
 *
 * @param <S> the per-channel state this service keeps
 *
 * <p>Threads: the per-channel states are touched on the device's context only (the framework calls every
 * {@link Device} method there); services that block hand work to a worker and keep what the worker touches to
 * themselves (see each service).
 */
public abstract class IcDevice<S extends IcChannelState> implements Device {

    private final String name;
    private final List<IcVersion> frameworkVersions;
    private final List<IcVersion> serviceVersions;
    private final IntFunction<S> newState;
    private final Map<Integer, S> channels = new TreeMap<>();
    /** Set by {@link #start}; services use it for timers and workers. */
    protected Vertx vertx;

    /**
     * @param name              the handler's name (for logs and the state's {@code device} field)
     * @param frameworkVersions the framework versions to accept, most preferred first
     * @param serviceVersions   the service versions to accept, most preferred first
     */
    protected IcDevice(String name, List<IcVersion> frameworkVersions, List<IcVersion> serviceVersions,
                       IntFunction<S> newState) {
        this.name = name;
        this.frameworkVersions = List.copyOf(frameworkVersions);
        this.serviceVersions = List.copyOf(serviceVersions);
        this.newState = newState;
    }

    @Override
    public final Future<?> start(Vertx vertx) {
        this.vertx = vertx;
        try {
            return startService();
        } catch (Exception e) {
            return Future.failedFuture(e);
        }
    }

    /** Service-specific start-up (timers, files). */
    protected Future<?> startService() throws Exception {
        return Future.succeededFuture();
    }

    @Override
    public final Future<Reply> handle(Packet packet) {
        IcMessage ic = new IcMessage(packet.payload());
        S state = channels.computeIfAbsent(packet.relid(), newState::apply);
        if (!ic.hasHeader()) {
            state.countDropped(); // Linux: recvlen < ICMSG_HDR is dropped silently
            return Future.succeededFuture(Reply.none());
        }
        state.countMessage();
        if (ic.msgType() == IcConstants.MSGTYPE_NEGOTIATE) {
            IcNegotiation.Negotiated chosen = IcNegotiation.answer(ic, frameworkVersions, serviceVersions).orElse(null);
            state.negotiated(chosen);
            if (chosen == null) {
                complain(packet.relid(), Kind.NO_COMMON_VERSION, name + ": no common version with the host");
            }
            return Future.succeededFuture(reply(packet, ic));
        }
        Future<Reply> answer;
        try {
            answer = handle(state, ic);
        } catch (RuntimeException e) {
            answer = Future.failedFuture(e);
        }
        return answer.transform(ar -> {
            if (ar.failed()) {
                state.countFailed();
                return Future.failedFuture(name + " could not handle a message: " + ar.cause());
            }
            Reply r = ar.result();
            if (r instanceof Reply.Echo echo) {
                ic.flags(IcConstants.FLAGS_GUEST_RESPONSE);
                return Future.succeededFuture(echo.to(packet));
            }
            if (r == null || r instanceof Reply.None) {
                state.countDropped();
                return Future.succeededFuture(Reply.none());
            }
            return Future.succeededFuture(r);
        });
    }

    /** The request's own buffer, modified in place, with Linux's response flags. */
    private static Reply reply(Packet packet, IcMessage ic) {
        ic.flags(IcConstants.FLAGS_GUEST_RESPONSE);
        return Reply.echo().to(packet);
    }

    /** Forgets the channel's state; services that keep more per channel override and call this. */
    @Override
    public void channelEnded(int relid) {
        channels.remove(relid);
    }

    /**
     * Counts something the host got wrong on {@code relid} and logs it at a bounded rate (see
     * {@link dev.vmbus.channel.HostComplaints}): use this, never a plain log line, for anything the host can repeat.
     */
    protected void complain(int relid, Kind kind, String message) {
        Complaints.of(vertx).report(relid, kind, () -> message);
    }

    /**
     * Handles one non-negotiation message in place: write the body fields and {@code status}, then answer
     * {@link Reply#echo()} (the base sets the response flags and sends the buffer back), {@code Reply.echo().then(action)}
     * for an action Linux takes only after answering (a shutdown must not race its own reply), or
     * {@link Reply#none()} to send nothing (Linux's answer to some malformed or unknown messages). Runs on the
     * device's context.
     */
    protected abstract Future<Reply> handle(S state, IcMessage message);

    /**
     * The answer to a message of a type this service does not serve, as Linux's util drivers give it: status
     * {@code HV_E_FAIL}, the buffer sent back.
     */
    protected static Future<Reply> unexpectedType(IcMessage message) {
        message.status(IcConstants.E_FAIL);
        return Future.succeededFuture(Reply.echo());
    }

    /** The state of every channel of this service, for display. */
    @Override
    public JsonObject state() {
        JsonArray list = new JsonArray();
        channels.values().forEach(s -> list.add(s.toJson()));
        return new JsonObject().put("device", name).put("channels", list);
    }

    protected Map<Integer, S> channels() {
        return channels;
    }
}
