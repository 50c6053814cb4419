package dev.vmbus.device.fcopy;

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
 * deleted: the host went away and nobody will complete it.
 */
public final class FcopyDevice extends IcDevice<IcChannelState> {
    public static final List<IcVersion> FRAMEWORK_VERSIONS = List.of(IcVersion.of(3, 0));
    public static final List<IcVersion> SERVICE_VERSIONS = List.of(IcVersion.of(1, 1));
    /** Idle time after which a copy in progress counts as abandoned (Linux's daemon timeout is 30 s; hosts pause). */
    public static final long ABANDON_AFTER_MS = 5 * 60_000;

    private final FcopySettings settings;
    private final PartialFile.Opener opener;
    private FcopyService service;

    public FcopyDevice(FcopySettings settings) {
        this(settings, PartialFile.CREATE_NEW);
    }

    FcopyDevice(FcopySettings settings, PartialFile.Opener opener) {
        super("fcopy", FRAMEWORK_VERSIONS, SERVICE_VERSIONS, IcChannelState::new);
        this.settings = settings;
        this.opener = opener;
    }

    @Override
    protected Future<?> startService() {
        service = new FcopyService(settings, opener, Complaints.of(vertx));
        vertx.setPeriodic(ABANDON_AFTER_MS / 4, t -> vertx.executeBlocking(() -> {
            service.endIdle(TimeUnit.MILLISECONDS.toNanos(ABANDON_AFTER_MS));
            return null;
        }, true));
        return vertx.executeBlocking(() -> {
            service.createRoots();
            return null;
        });
    }

    /** A copy on a channel that closed is abandoned: nobody will complete it. */
    @Override
    public void channelEnded(int relid) {
        super.channelEnded(relid);
        vertx.executeBlocking(() -> {
            service.end(relid, "abandoned");
            return null;
        }, true);
    }

    @Override
    public Future<?> stop() {
        return vertx.executeBlocking(() -> {
            service.endAll("abandoned");
            return null;
        }, true);
    }

    @Override
    protected Future<Reply> handle(IcChannelState state, IcMessage message) {
        int relid = state.relid();
        return vertx.executeBlocking(() -> {
            service.handle(relid, message);
            return Reply.echo();
        }, true);
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
