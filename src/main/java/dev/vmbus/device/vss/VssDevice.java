package dev.vmbus.device.vss;

import dev.vmbus.channel.DeviceClass;
import dev.vmbus.device.CommandRunner;
import dev.vmbus.spi.IcChannelState;
import dev.vmbus.spi.IcDevice;
import dev.vmbus.spi.Reply;
import dev.vmbus.ic.IcConstants;
import dev.vmbus.ic.IcMessage;
import dev.vmbus.ic.IcVersion;
import dev.vmbus.ic.vss.VssMessage;
import dev.vmbus.ic.vss.VssOperation;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * The guest's VSS (backup) service (spec ic-protocols.md section 3.5), as Linux's {@code hv_snapshot.c} plus
 * {@code hv_vss_daemon}: messages shorter than 12 body bytes and other message types get no reply; FREEZE and
 * THAW run the {@link Freezer}, CHECK_HOT_BACKUP succeeds; GET_DM_INFO is answered at once with flags 0; every
 * other operation at once with success. Operations run one after another, in arrival order.
 *
 * <p>Beyond Linux: CHECK_HOT_BACKUP answers flags {@code VSS_HBU_NO_AUTO_RECOVERY} (5), which the kernel means to
 * send but loses; logs are held in memory while frozen; a freeze with no THAW is thawed after
 * {@code autoThawSeconds}.
 */
public final class VssDevice extends IcDevice<IcChannelState> {
    private static final Logger LOG = Logger.getLogger(VssDevice.class.getName());
    /** Linux's lists (hv_snapshot.c). */
    public static final List<IcVersion> FRAMEWORK_VERSIONS = List.of(IcVersion.of(3, 0));
    public static final List<IcVersion> SERVICE_VERSIONS = List.of(IcVersion.of(5, 0));
    /**
     * Time for all freeze commands. Linux allows 15 minutes, but the channel faults a handler that takes 30 s,
     * so the freeze and, if it fails, the thaw that undoes it must both fit in that.
     */
    static final long FREEZE_BUDGET_MS = 20_000;
    /** Time for all thaw commands. */
    static final long THAW_BUDGET_MS = 8_000;
    static final int HISTORY = 20;

    private final VssSettings settings;
    private final LogHold logs = new LogHold();
    private Freezer freezer;
    private Future<?> tail = Future.succeededFuture();
    private final Deque<JsonObject> history = new ArrayDeque<>();
    private long autoThawTimer = -1;
    /** The channel whose host asked for the freeze: its end thaws ({@link #channelEnded}). */
    private int frozenBy = -1;
    private Instant frozenSince;
    private long freezes;
    private long thaws;
    private long autoThaws;
    private long failures;
    private long lastFreezeMs = -1;
    private long longestFreezeMs = -1;

    public VssDevice(VssSettings settings) {
        super(DeviceClass.VSS.name(), FRAMEWORK_VERSIONS, SERVICE_VERSIONS, IcChannelState::new);
        this.settings = settings;
    }

    @Override
    protected Future<?> startService() {
        freezer = new Freezer(settings, new CommandRunner(vertx), logs);
        return Future.succeededFuture();
    }

    @Override
    public Future<?> stop() {
        cancelAutoThaw();
        // After whatever operation is running: never leave a file system frozen (or the logs held) behind us.
        return serial(() -> {
            if (!freezer.frozen()) {
                return Future.succeededFuture(true);
            }
            LOG.warning("vss: stopping while frozen; thawing first");
            return thaw("agent stopping");
        });
    }

    /**
     * The channel went (rescinded, faulted, re-offered) with the file systems frozen, or a freeze still running: they
     * are thawed now, not when the auto-thaw comes (15 min by default), as Linux's daemon thaws when its device is
     * reset ({@code reopen_vss_fd}). The host that asked for the freeze is gone and will not send the THAW.
     */
    @Override
    public void channelEnded(int relid) {
        super.channelEnded(relid);
        if (freezer == null) {
            return;
        }
        serial(() -> {
            if (!freezer.frozen() || frozenBy != relid) { // another channel's freeze is its own host's to thaw
                return Future.succeededFuture(true);
            }
            LOG.warning("vss: channel " + relid + " ended with the file systems frozen; thawing");
            return thaw("channel ended");
        });
    }

    @Override
    protected Future<Reply> handle(IcChannelState state, IcMessage m) {
        if (m.msgType() != IcConstants.MSGTYPE_VSS || !m.hasBody(VssMessage.MIN_BODY)) {
            return Future.succeededFuture(Reply.none()); // Linux logs and never answers these
        }
        Optional<VssOperation> op = VssOperation.of(VssMessage.operation(m));
        if (op.isEmpty() || !op.get().needsDaemon()) {
            if (op.isPresent() && op.get() == VssOperation.GET_DM_INFO) {
                m.putU32(VssMessage.FLAGS, 0);
            }
            m.status(IcConstants.S_OK);
            record(op.map(Enum::name).orElse("operation " + VssMessage.operation(m)), true, 0, null);
            return Future.succeededFuture(Reply.echo());
        }
        int relid = state.relid();
        Future<Boolean> done = switch (op.get()) {
            case FREEZE -> serial(() -> {
                frozenBy = relid;
                return freeze();
            });
            case THAW -> serial(() -> thaw("host"));
            default -> serial(() -> {
                m.putU32(VssMessage.FLAGS, VssMessage.HBU_NO_AUTO_RECOVERY);
                record(VssOperation.CHECK_HOT_BACKUP.name(), true, 0, null);
                return Future.succeededFuture(true);
            });
        };
        return done.map(ok -> {
            m.status(ok ? IcConstants.S_OK : IcConstants.E_FAIL);
            return Reply.echo();
        });
    }

    /** Runs operations one at a time, in arrival order, whatever the previous one's outcome. */
    private <T> Future<T> serial(Supplier<Future<T>> operation) {
        Future<T> next = tail.transform(x -> operation.get());
        tail = next;
        return next;
    }

    private Future<Boolean> freeze() {
        if (freezer.frozen()) {
            armAutoThaw(); // as Linux (EBUSY counts as success); the host's new freeze restarts the limit
            record("FREEZE", true, 0, new JsonArray().add("already frozen"));
            return Future.succeededFuture(true);
        }
        long started = System.nanoTime();
        return freezer.freeze(FREEZE_BUDGET_MS, THAW_BUDGET_MS).map(outcome -> {
            record("FREEZE", outcome.ok(), (System.nanoTime() - started) / 1_000_000, steps(outcome));
            if (outcome.ok()) {
                freezes++;
                frozenSince = Instant.now();
                armAutoThaw();
                LOG.info("vss: frozen " + settings.freezeOrder()); // held until the thaw
            } else {
                failures++;
                if (freezer.frozen()) {
                    armAutoThaw(); // the undo could not thaw everything: keep trying
                }
            }
            return outcome.ok();
        });
    }

    private Future<Boolean> thaw(String by) {
        cancelAutoThaw();
        boolean wasFrozen = freezer.frozen();
        long started = System.nanoTime();
        return freezer.thaw(THAW_BUDGET_MS).map(outcome -> {
            String name = "host".equals(by) ? "THAW" : "THAW (" + by + ")";
            record(name, outcome.ok(), (System.nanoTime() - started) / 1_000_000, steps(outcome));
            if (!wasFrozen && freezer.frozen()) {
                frozenSince = Instant.now(); // a mount another agent froze would not thaw: frozen as far as we know
            }
            if (wasFrozen && !freezer.frozen()) {
                thaws++;
                lastFreezeMs = Duration.between(frozenSince, Instant.now()).toMillis();
                longestFreezeMs = Math.max(longestFreezeMs, lastFreezeMs);
                frozenSince = null;
                LOG.info("vss: thawed by " + by + " after " + lastFreezeMs + " ms");
            }
            if (!outcome.ok()) {
                failures++;
                if (freezer.frozen()) {
                    armAutoThaw(); // some mount is still frozen: try again later rather than never
                }
            }
            return outcome.ok();
        });
    }

    private void armAutoThaw() {
        cancelAutoThaw();
        autoThawTimer = vertx.setTimer(settings.autoThawSeconds() * 1000, t -> {
            autoThawTimer = -1;
            autoThaws++;
            LOG.warning("vss: no THAW within " + settings.autoThawSeconds() + " s of the freeze; thawing");
            serial(() -> thaw("auto-thaw"));
        });
    }

    private void cancelAutoThaw() {
        if (autoThawTimer >= 0) {
            vertx.cancelTimer(autoThawTimer);
            autoThawTimer = -1;
        }
    }

    private static JsonArray steps(Freezer.Outcome outcome) {
        JsonArray out = new JsonArray();
        outcome.steps().forEach(s -> out.add(s.toJson()));
        return out;
    }

    private void record(String operation, boolean ok, long durationMs, JsonArray steps) {
        JsonObject entry = new JsonObject().put("at", Instant.now().toString()).put("operation", operation)
                .put("ok", ok).put("durationMs", durationMs);
        if (steps != null) {
            entry.put("steps", steps);
        }
        history.addFirst(entry);
        while (history.size() > HISTORY) {
            history.removeLast();
        }
    }

    /** Whether the configured file systems are frozen now. */
    public boolean frozen() {
        return freezer != null && freezer.frozen();
    }

    @Override
    public JsonObject state() {
        JsonObject json = super.state().put("dryRun", settings.dryRun()).put("mounts", new JsonArray(settings.freezeOrder()))
                .put("autoThawSeconds", settings.autoThawSeconds()).put("frozen", frozen()).put("freezes", freezes)
                .put("thaws", thaws).put("autoThaws", autoThaws).put("failures", failures)
                .put("logsHeld", logs.holding()).put("operations", new JsonArray(List.copyOf(history)));
        if (frozenSince != null) {
            json.put("frozenSince", frozenSince.toString())
                    .put("frozenForMs", Duration.between(frozenSince, Instant.now()).toMillis());
        }
        if (lastFreezeMs >= 0) {
            json.put("lastFreezeMs", lastFreezeMs).put("longestFreezeMs", longestFreezeMs);
        }
        return json;
    }
}
