package dev.vmbus.host;

import dev.vmbus.channel.DeviceClass;
import dev.vmbus.channel.Offer;
import dev.vmbus.ic.IcStatus;
import dev.vmbus.ic.IcConstants;
import dev.vmbus.ic.IcMessage;
import dev.vmbus.ic.IcVersion;
import dev.vmbus.ic.vss.VssMessage;
import dev.vmbus.ic.vss.VssOperation;
import dev.vmbus.transport.OnContext;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/**
 * The host's VSS driver. No public host implements VSS (spec section 3.5), so the backup sequence is the likely
 * one: CHECK_HOT_BACKUP, FREEZE, (the snapshot), THAW, BACKUP_COMPLETE; each step is timed. A THAW follows any
 * FREEZE that was sent, even a failed one, so that a half-frozen guest is never left behind.
 */
public final class VssHostDevice extends IcHostDevice {
    /** One step of a backup: the operation, the guest's status, how long the guest took. */
    public record Step(VssOperation operation, IcStatus status, int flags, long elapsedMs) {
        public boolean ok() {
            return status.isOk();
        }

        public JsonObject toJson() {
            return new JsonObject().put("operation", operation.name()).put("status", status.toString())
                    .put("flags", flags).put("elapsedMs", elapsedMs);
        }
    }

    /** A whole backup: whether every step succeeded, the steps in order, and the time frozen (FREEZE sent to THAW answered). */
    public record Backup(boolean succeeded, List<Step> steps, long frozenMs, long totalMs, String failure) {
        public JsonObject toJson() {
            JsonArray list = new JsonArray();
            steps.forEach(s -> list.add(s.toJson()));
            JsonObject json = new JsonObject().put("succeeded", succeeded).put("steps", list)
                    .put("frozenMs", frozenMs).put("totalMs", totalMs);
            return failure != null ? json.put("failure", failure) : json;
        }
    }

    private boolean inProgress;
    private Backup last;

    public VssHostDevice(Context context, Offer offer) {
        // Windows' 4.0 to 7.0 (spec section 2.3); Linux accepts only 5.0.
        super(DeviceClass.VSS.name(), context, offer, IcConstants.MSGTYPE_VSS,
                List.of(IcVersion.of(4, 0), IcVersion.of(5, 0), IcVersion.of(6, 0), IcVersion.of(7, 0)));
    }

    /** Sends one operation and completes with the guest's answer. */
    public Future<Step> operation(VssOperation op) {
        return OnContext.call(context, () -> send(op));
    }

    private Future<Step> send(VssOperation op) {
        if (phase() != Phase.READY) {
            return Future.failedFuture("not ready: the vss channel is " + phase().name().toLowerCase());
        }
        IcMessage request = newRequest(VssMessage.HOST_BODY);
        VssMessage.write(request, op, 0);
        long started = System.nanoTime();
        return transact(request, IcConstants.MSGTYPE_VSS, DEFAULT_REPLY_TIMEOUT_MS).map(reply -> new Step(op,
                reply.status(), reply.hasBody(VssMessage.MIN_BODY) ? reply.u32(VssMessage.FLAGS) : 0,
                (System.nanoTime() - started) / 1_000_000));
    }

    /** A backup with no time spent frozen beyond the guest's own freeze and thaw. */
    public Future<Backup> backup() {
        return backup(0);
    }

    /**
     * Runs a backup, holding the guest frozen for {@code snapshotMs} between FREEZE and THAW (the snapshot).
     * Fails without sending before negotiation or while another backup runs.
     */
    public Future<Backup> backup(long snapshotMs) {
        return OnContext.call(context, () -> {
            if (phase() != Phase.READY) {
                return Future.failedFuture("not ready: the vss channel is " + phase().name().toLowerCase());
            }
            if (inProgress) {
                return Future.failedFuture("a backup is already in progress");
            }
            inProgress = true;
            long started = System.nanoTime();
            List<Step> steps = new ArrayList<>();
            long[] frozenAt = {0, 0};
            Future<Boolean> run = step(VssOperation.CHECK_HOT_BACKUP, steps).compose(ok -> {
                if (!ok) {
                    return Future.succeededFuture(false);
                }
                frozenAt[0] = System.nanoTime();
                return step(VssOperation.FREEZE, steps)
                        .compose(frozen -> frozen ? pause(snapshotMs).map(true) : Future.succeededFuture(false))
                        .compose(frozen -> step(VssOperation.THAW, steps).map(thawed -> {
                            frozenAt[1] = System.nanoTime();
                            return frozen && thawed;
                        }));
            }).compose(ok -> ok ? step(VssOperation.BACKUP_COMPLETE, steps) : Future.succeededFuture(false));
            return run.transform(ar -> {
                inProgress = false;
                long total = (System.nanoTime() - started) / 1_000_000;
                long frozenMs = frozenAt[1] > 0 ? (frozenAt[1] - frozenAt[0]) / 1_000_000 : 0;
                String failure = ar.failed() ? ar.cause().getMessage()
                        : ar.result() ? null : "the guest refused " + steps.stream().filter(s -> !s.ok())
                        .map(s -> s.operation().name()).toList();
                last = new Backup(ar.succeeded() && ar.result(), List.copyOf(steps), frozenMs, total, failure);
                return Future.succeededFuture(last);
            });
        });
    }

    private Future<Boolean> step(VssOperation op, List<Step> steps) {
        return send(op).map(s -> {
            steps.add(s);
            return s.ok();
        });
    }

    private Future<Void> pause(long ms) {
        if (ms <= 0) {
            return Future.succeededFuture();
        }
        Promise<Void> p = Promise.promise();
        context.owner().setTimer(ms, t -> p.complete());
        return p.future();
    }

    @Override
    public JsonObject state() {
        JsonObject json = super.state().put("backupInProgress", inProgress);
        return last != null ? json.put("lastBackup", last.toJson()) : json;
    }
}
