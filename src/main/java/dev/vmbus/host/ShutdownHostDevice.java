package dev.vmbus.host;

import dev.vmbus.channel.DeviceClass;
import dev.vmbus.channel.Offer;
import dev.vmbus.ic.IcStatus;
import dev.vmbus.ic.IcConstants;
import dev.vmbus.ic.IcMessage;
import dev.vmbus.ic.IcVersion;
import dev.vmbus.ic.shutdown.ShutdownMessage;
import dev.vmbus.transport.OnContext;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.List;
import java.util.logging.Logger;

/**
 * The host's shutdown driver, as OpenVMM's (spec section 3.3): on demand only, only after negotiation ("not
 * ready" before), one request at a time ("already in progress" for a second), and the guest's status reported:
 * 0 is success, anything else a refusal.
 */
public final class ShutdownHostDevice extends IcHostDevice {
    private static final Logger LOG = Logger.getLogger(ShutdownHostDevice.class.getName());

    /**
     * What came of one request.
     *
     * @param flags      what was asked (bit 0 force, bit 1 restart, bit 2 hibernate)
     * @param reasonCode the reason sent
     * @param status     the guest's status
     * @param elapsedMs  from sending to the reply
     */
    public record Result(int flags, int reasonCode, IcStatus status, long elapsedMs) {
        /** Whether the guest accepted (status {@code HV_S_OK}). */
        public boolean accepted() {
            return status.isOk();
        }

        public JsonObject toJson() {
            return new JsonObject().put("flags", flags).put("reasonCode", "0x" + Integer.toHexString(reasonCode))
                    .put("status", status.toString()).put("accepted", accepted())
                    .put("elapsedMs", elapsedMs);
        }
    }

    private boolean inProgress;
    private Result last;
    private Instant lastAt;
    private long requests;

    public ShutdownHostDevice(Context context, Offer offer) {
        super(DeviceClass.SHUTDOWN.name(), context, offer, IcConstants.MSGTYPE_SHUTDOWN,
                List.of(IcVersion.of(1, 0), IcVersion.of(3, 0), IcVersion.of(3, 1), IcVersion.of(3, 2)));
    }

    /**
     * Asks the guest to shut down. Fails (without sending) before negotiation or while another request is
     * outstanding; otherwise completes with the guest's answer, or fails if it does not answer in time.
     *
     * @param flags      0 power off, 1 forced power off, 2/3 reboot, 4/5 hibernate; other values are sent as given
     * @param reasonCode e.g. {@link ShutdownMessage#REASON_PLANNED}
     */
    public Future<Result> requestShutdown(int flags, int reasonCode) {
        return OnContext.call(context, () -> {
            if (phase() != Phase.READY) {
                return Future.failedFuture("not ready: the shutdown channel is " + phase().name().toLowerCase()
                        + ", not negotiated");
            }
            if (inProgress) {
                return Future.failedFuture("a shutdown request is already in progress");
            }
            inProgress = true;
            requests++;
            IcMessage request = newRequest(ShutdownMessage.BODY_LENGTH);
            ShutdownMessage.write(request, flags, reasonCode, 0);
            long started = System.nanoTime();
            return transact(request, IcConstants.MSGTYPE_SHUTDOWN, DEFAULT_REPLY_TIMEOUT_MS).map(reply -> {
                last = new Result(flags, reasonCode, reply.status(), (System.nanoTime() - started) / 1_000_000);
                lastAt = Instant.now();
                LOG.info("host: shutdown request with flags " + flags + " " + (last.accepted() ? "accepted" : "refused")
                        + " by the guest (status " + last.status() + ")");
                return last;
            }).eventually(() -> {
                inProgress = false;
                return Future.succeededFuture();
            });
        });
    }

    /** An orderly power-off, planned. */
    public Future<Result> powerOff() {
        return requestShutdown(0, ShutdownMessage.REASON_PLANNED);
    }

    /** A reboot, planned. */
    public Future<Result> reboot() {
        return requestShutdown(ShutdownMessage.FLAG_RESTART, ShutdownMessage.REASON_PLANNED);
    }

    /** Hibernation, planned; a guest without hibernation refuses it. */
    public Future<Result> hibernate() {
        return requestShutdown(ShutdownMessage.FLAG_HIBERNATE, ShutdownMessage.REASON_PLANNED);
    }

    @Override
    public JsonObject state() {
        JsonObject json = super.state().put("inProgress", inProgress).put("requests", requests);
        if (last != null) {
            json.put("lastResult", last.toJson().put("at", lastAt.toString()));
        }
        return json;
    }
}
