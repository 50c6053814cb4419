package dev.vmbus.device.kvp;

import dev.vmbus.channel.DeviceClass;
import dev.vmbus.spi.IcChannelState;
import dev.vmbus.spi.IcDevice;
import dev.vmbus.spi.Reply;
import dev.vmbus.ic.IcMessage;
import dev.vmbus.ic.IcVersion;
import dev.vmbus.ic.kvp.KvpMessage;
import dev.vmbus.ic.kvp.KvpRecord;
import dev.vmbus.spi.Complaints;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The guest's KVP handler: negotiation as Linux (framework 3.0/1.0, service 4.0/3.0/1.0, so only the string form
 * of the IP operations is ever in use), then every KVP message answered by {@link KvpService} on a worker
 * thread. Workers run in order, so messages are answered one at a time and in arrival order, as the kernel
 * serialises them through the daemon.
 */
public final class KvpDevice extends IcDevice<IcChannelState> {
    public static final List<IcVersion> FRAMEWORK_VERSIONS = List.of(IcVersion.of(3, 0), IcVersion.of(1, 0));
    public static final List<IcVersion> SERVICE_VERSIONS =
            List.of(IcVersion.of(4, 0), IcVersion.of(3, 0), IcVersion.of(1, 0));
    private static final String[] POOL_NAMES = {"external", "guest", "auto", "autoExternal", "autoInternal"};

    private final KvpSettings settings;
    private final NetworkFacts network;
    private KvpService service;
    private long requests;

    public KvpDevice(KvpSettings settings) {
        this(settings, new NetworkFacts());
    }

    KvpDevice(KvpSettings settings, NetworkFacts network) {
        super(DeviceClass.KVP.name(), FRAMEWORK_VERSIONS, SERVICE_VERSIONS, IcChannelState::new);
        this.settings = settings;
        this.network = network;
    }

    @Override
    protected Future<?> startService() {
        // the AUTO pool resolves the host name once: blocking, so on a worker like all file I/O
        return vertx.executeBlocking(() -> {
            KvpService s = new KvpService(settings, new AutoPool(), network, Complaints.of(vertx));
            s.refresh();
            return s;
        }).onSuccess(s -> service = s);
    }

    @Override
    protected Future<Reply> handle(IcChannelState state, IcMessage message) {
        requests++;
        return vertx.executeBlocking(() -> service.handle(state.relid(), message) ? Reply.echo() : Reply.none(), true);
    }

    /** Channels plus every pool's keys and values as last read, and the SET_IP_INFO files written. */
    @Override
    public JsonObject state() {
        JsonObject json = super.state().put("poolDir", settings.poolDir().toAbsolutePath().toString())
                .put("dryRun", settings.dryRun()).put("requests", requests);
        if (service == null) {
            return json;
        }
        JsonObject pools = new JsonObject();
        Map<Integer, List<KvpRecord>> seen = new TreeMap<>(service.lastSeen());
        seen.forEach((pool, records) -> {
            JsonArray list = new JsonArray();
            records.forEach(r -> list.add(new JsonObject().put("key", r.keyText()).put("value", r.valueText())));
            pools.put(pool + ":" + POOL_NAMES[pool], list);
        });
        return json.put("pools", pools).put("ipSettingsWritten", new JsonArray(service.ipWriter().applied()))
                .put("poolCount", KvpMessage.POOL_COUNT);
    }
}
