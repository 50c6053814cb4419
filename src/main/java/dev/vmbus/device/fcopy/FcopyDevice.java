package dev.vmbus.device.fcopy;

import dev.vmbus.channel.DeviceClass;
import dev.vmbus.spi.Complaints;
import dev.vmbus.spi.IcChannelState;
import dev.vmbus.spi.IcDevice;
import dev.vmbus.spi.Reply;
import dev.vmbus.ic.IcMessage;
import dev.vmbus.ic.IcVersion;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The guest's file copy handler: negotiation as Linux's UIO daemon (framework 3.0, service 1.1), then each
 * message answered by {@link FcopyService} on an ordered worker, so WRITEs land in arrival order and never on
 * the event loop. A copy whose channel closes, or that sees no message for {@link #ABANDON_AFTER_MS}, is
 * deleted: the host went away and nobody will complete it. The sweep for such copies runs only while a copy is in
 * progress, so an idle agent keeps no timer for it (docs/benchmarks/footprint.md, "Idle CPU").
 */
public final class FcopyDevice extends IcDevice<IcChannelState> {
    public static final List<IcVersion> FRAMEWORK_VERSIONS = List.of(IcVersion.of(3, 0));
    public static final List<IcVersion> SERVICE_VERSIONS = List.of(IcVersion.of(1, 1));
    /** Idle time after which a copy in progress counts as abandoned (Linux's daemon timeout is 30 s; hosts pause). */
    public static final long ABANDON_AFTER_MS = 5 * 60_000;

    private final FcopySettings settings;
    private final PartialFile.Opener opener;
    private final long abandonAfterMs;
    private FcopyService service;
    /** The abandon sweep's periodic timer while a copy is in progress, else -1. Set on the device's context only. */
    private volatile long sweep = -1;

    public FcopyDevice(FcopySettings settings) {
        this(settings, PartialFile.CREATE_NEW, ABANDON_AFTER_MS);
    }

    FcopyDevice(FcopySettings settings, PartialFile.Opener opener, long abandonAfterMs) {
        super(DeviceClass.FCOPY.name(), FRAMEWORK_VERSIONS, SERVICE_VERSIONS, IcChannelState::new);
        this.settings = settings;
        this.opener = opener;
        this.abandonAfterMs = abandonAfterMs;
    }

    @Override
    protected Future<?> startService() {
        service = new FcopyService(settings, opener, Complaints.of(vertx));
        java.time.Instant started = java.time.Instant.now();
        return vertx.executeBlocking(() -> {
            service.createRoots();
            return null;
        }).onSuccess(x -> vertx.executeBlocking(() -> service.removeLeftovers(started), true)); // ahead of any copy
    }

    /** A copy on a channel that closed is abandoned: nobody will complete it. */
    @Override
    public void channelEnded(int relid) {
        super.channelEnded(relid);
        vertx.executeBlocking(() -> {
            service.end(relid, "abandoned");
            return null;
        }, true).onComplete(ar -> sweepWhileCopying());
    }

    /**
     * On the device's context, after anything that may start or end a copy: arms the abandon sweep when a copy is
     * in progress and none is armed, cancels it when none is. A copy therefore ends at most a quarter of
     * {@code abandonAfterMs} after its deadline, as before, while an agent with no copy sets no timer at all.
     */
    private void sweepWhileCopying() {
        boolean copying = service.copying();
        if (copying && sweep < 0) {
            sweep = vertx.setPeriodic(Math.max(1, abandonAfterMs / 4), t -> vertx.executeBlocking(() -> {
                service.endIdle(TimeUnit.MILLISECONDS.toNanos(abandonAfterMs));
                return null;
            }, true).onComplete(ar -> sweepWhileCopying()));
        } else if (!copying && sweep >= 0) {
            vertx.cancelTimer(sweep);
            sweep = -1;
        }
    }

    /** Whether the abandon sweep is armed (for tests; read from any thread). */
    boolean sweeping() {
        return sweep >= 0;
    }

    @Override
    public Future<?> stop() {
        if (sweep >= 0) {
            vertx.cancelTimer(sweep);
            sweep = -1;
        }
        return vertx.executeBlocking(() -> {
            service.endAll("abandoned");
            return null;
        }, true);
    }

    @Override
    protected Future<Reply> handle(IcChannelState state, IcMessage message) {
        int relid = state.relid();
        return vertx.<Reply>executeBlocking(() -> {
            service.handle(relid, message);
            return Reply.echo();
        }, true).andThen(ar -> sweepWhileCopying());
    }

    /** Channels plus the copies in progress and the recent ones, with their progress. */
    @Override
    public JsonObject state() {
        JsonArray transfers = new JsonArray();
        service.transfers().forEach(t -> transfers.add(t.toJson()));
        JsonArray roots = new JsonArray();
        settings.allowedRoots().forEach(r -> roots.add(r.toString()));
        return super.state().put("allowedRoots", roots).put("maxFileBytes", settings.maxFileBytes())
                .put("transfers", transfers);
    }
}
