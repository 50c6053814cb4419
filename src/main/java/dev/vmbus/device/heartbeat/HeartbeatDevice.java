package dev.vmbus.device.heartbeat;

import dev.vmbus.channel.DeviceClass;
import dev.vmbus.spi.IcChannelState;
import dev.vmbus.spi.IcDevice;
import dev.vmbus.spi.Reply;
import dev.vmbus.ic.IcConstants;
import dev.vmbus.ic.IcMessage;
import dev.vmbus.ic.heartbeat.HeartbeatMessage;
import dev.vmbus.ic.IcVersion;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.List;

/**
 * The guest's heartbeat (spec ic-protocols.md section 3.1): answers each heartbeat with its sequence number
 * plus one, status untouched; a message without the 8-byte sequence number is dropped; any other message type
 * is answered with {@code HV_E_FAIL}, as Linux's {@code heartbeat_onchannelcallback}.
 */
public final class HeartbeatDevice extends IcDevice<HeartbeatDevice.State> {
    /** Linux's lists (hv_util.c), most preferred first. */
    public static final List<IcVersion> FRAMEWORK_VERSIONS = List.of(IcVersion.of(3, 0), IcVersion.of(1, 0));
    public static final List<IcVersion> SERVICE_VERSIONS = List.of(IcVersion.of(3, 0), IcVersion.of(1, 0));
    /** Offset of {@code u64 seq_num}. */
    public static final int SEQUENCE = HeartbeatMessage.SEQUENCE;

    public HeartbeatDevice() {
        super(DeviceClass.HEARTBEAT.name(), FRAMEWORK_VERSIONS, SERVICE_VERSIONS, State::new);
    }

    /** Per channel: the last sequence number we answered with and when. */
    public static final class State extends IcChannelState {
        private long lastSequence = -1;
        private Instant lastHeartbeat;
        private long heartbeats;

        State(int relid) {
            super(relid);
        }

        @Override
        public JsonObject toJson() {
            JsonObject json = super.toJson().put("heartbeats", heartbeats);
            if (lastHeartbeat != null) {
                json.put("lastSequence", Long.toUnsignedString(lastSequence))
                        .put("lastHeartbeat", lastHeartbeat.toString())
                        .put("ageMillis", Instant.now().toEpochMilli() - lastHeartbeat.toEpochMilli());
            }
            return json;
        }
    }

    @Override
    protected Future<Reply> handle(State state, IcMessage m) {
        if (m.msgType() != IcConstants.MSGTYPE_HEARTBEAT) {
            return unexpectedType(m);
        }
        if (!m.hasBody(HeartbeatMessage.MIN_BODY)) {
            return Future.succeededFuture(Reply.none()); // the host must send at least the sequence number
        }
        long next = m.u64(SEQUENCE) + 1; // u64 wrap, as the kernel's u64 increment
        m.putU64(SEQUENCE, next);
        state.lastSequence = next;
        state.lastHeartbeat = Instant.now();
        state.heartbeats++;
        return Future.succeededFuture(Reply.echo());
    }
}
