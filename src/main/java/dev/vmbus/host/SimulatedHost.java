package dev.vmbus.host;

import dev.vmbus.channel.DeviceClass;
import dev.vmbus.channel.Offer;
import dev.vmbus.config.VmbusConfig;
import dev.vmbus.host.nic.HostNic;
import dev.vmbus.os.PageSize;
import dev.vmbus.transport.HostTransport;
import dev.vmbus.transport.OnContext;
import dev.vmbus.transport.SettingsBinder;
import dev.vmbus.transport.SharedGuestMemory;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The simulated Hyper-V host: offers the integration devices on a host transport (in-process {@code sim}, or
 * {@code shm} for another process) and drives each as Hyper-V does; then the channels of {@code host.offers}
 * (relids after the extra heartbeats and the NIC's), each answered by its plug-in's {@link HostPlugin} counterpart
 * or by the host's script. Everything runs on one context.
 */
public final class SimulatedHost {
    /** Hyper-V's fixed heartbeat instance (spec ic-protocols.md section 1.1). */
    public static final UUID HEARTBEAT_INSTANCE = UUID.fromString("fd149e91-82e0-4a7d-afa6-2a4166cbd7c0");
    /** Hyper-V's fixed KVP (Data Exchange) instance (spec ic-protocols.md section 1.1). */
    public static final UUID KVP_INSTANCE = UUID.fromString("242ff919-07db-4180-9c2e-b86cb68c8c55");
    /** Hyper-V's fixed guest services (file copy) instance (spec ic-protocols.md section 1.1). */
    public static final UUID FCOPY_INSTANCE = UUID.fromString("eb765408-105f-49b6-b4aa-c123b64d17d4");
    /** Hyper-V's fixed time sync instance (spec ic-protocols.md section 1.1). */
    public static final UUID TIMESYNC_INSTANCE = UUID.fromString("2dd1ce17-079e-403c-b352-a1921ee207ee");
    /** Hyper-V's fixed shutdown instance (spec ic-protocols.md section 1.1). */
    public static final UUID SHUTDOWN_INSTANCE = UUID.fromString("b6650ff7-33bc-4840-8048-e0676786f393");
    /** Hyper-V's fixed VSS (backup) instance (spec ic-protocols.md section 1.1). */
    public static final UUID VSS_INSTANCE = UUID.fromString("2450ee40-33bf-4fbd-892e-9fb06e9214cf");
    /** Ring size per direction Linux opens util channels with: 16 KiB (or two pages on large-page systems). */
    public static final int IC_RING_SIZE = Math.max(16 * 1024, 2 * PageSize.system());

    /** The relid of the first of {@code host.extraHeartbeats} extra heartbeat channels. */
    public static final int FIRST_EXTRA_RELID = 7;

    private final Vertx vertx;
    private final HostTransport transport;
    private final VmbusConfig.Host config;
    private final List<HostDevice> devices = new ArrayList<>();
    /** {@code host.offers}, resolved: each channel's offer, name and counterpart. */
    private final List<PlannedOffer> planned;
    /** The NICs offered ({@code host.nic.count} when {@code host.nic.enabled}), adapter k at index k. */
    private final List<HostNic> nics = new ArrayList<>();
    private Context context;

    private record PlannedOffer(Offer offer, String name, HostCounterpart counterpart) {
    }

    /** The host with the {@link HostPlugin}s on the class path answering {@code host.offers}. */
    public SimulatedHost(Vertx vertx, HostTransport transport, VmbusConfig.Host config) {
        this(vertx, transport, config, HostPlugins.load(SimulatedHost.class.getClassLoader()));
    }

    /**
     * The host with these counterparts for {@code host.offers}.
     *
     * @throws IllegalArgumentException when an offer asks for a counterpart nobody ships, or one refuses its settings
     */
    public SimulatedHost(Vertx vertx, HostTransport transport, VmbusConfig.Host config, List<HostPlugin> plugins) {
        this.vertx = vertx;
        this.transport = transport;
        this.config = config;
        this.planned = plan(config, HostPlugins.byClass(plugins));
    }

    /**
     * The first relid after the ICs, the extra heartbeats and the NICs' channels (each NIC's primary and up to
     * {@code queues - 1} subchannels): where {@code host.offers} begin.
     */
    static int firstOfferRelid(VmbusConfig.Host config) {
        return firstNicRelid(config) + (config.nic().enabled() ? config.nic().count() * config.nic().queues() : 0);
    }

    /** The relid of NIC 0's primary; NIC k's is {@code k * queues} further on, its subchannels' just after it. */
    static int firstNicRelid(VmbusConfig.Host config) {
        return FIRST_EXTRA_RELID + config.extraHeartbeats();
    }

    private static List<PlannedOffer> plan(VmbusConfig.Host config, Map<UUID, HostPlugin> byClass) {
        List<PlannedOffer> out = new ArrayList<>();
        java.util.Set<String> seen = new java.util.HashSet<>();
        int relid = firstOfferRelid(config);
        for (int i = 0; i < config.offers().size(); i++) {
            VmbusConfig.HostOffer o = config.offers().get(i);
            String key = "host.offers[" + i + "]";
            UUID classId = UUID.fromString(o.classId());
            HostPlugin plugin = byClass.get(classId);
            if ("counterpart".equals(o.answer()) && plugin == null) {
                throw new IllegalArgumentException(key + ": no host counterpart (HostPlugin) for class " + classId
                        + " is installed (installed: " + HostPlugins.describe(byClass) + ")");
            }
            boolean recorded = o.answersWithRecording();
            boolean script = recorded || "script".equals(o.answer()) || plugin == null;
            List<ScriptedCounterpart.Step> recording = null;
            if (recorded) {
                try {
                    recording = Recording.load(Path.of(o.recording()), o.ringSizeOrDefault());
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(key + ": " + e.getMessage(), e);
                }
            }
            for (int k = 0; k < o.countOrDefault(); k++) {
                UUID instance = o.instance() != null ? UUID.fromString(o.instance())
                        : UUID.nameUUIDFromBytes(("vmbus simulated offer " + classId + " " + k)
                        .getBytes(java.nio.charset.StandardCharsets.UTF_8));
                if (!seen.add(classId + "/" + instance)) {
                    throw new IllegalArgumentException(key + ": class " + classId + " instance " + instance
                            + " is offered twice");
                }
                Offer offer = new Offer(relid++, classId, instance, 0, o.ringSizeOrDefault());
                HostCounterpart counterpart;
                try {
                    counterpart = recorded ? new ScriptedCounterpart(recording, o.echoOrDefault(), o.recording())
                            : script ? new ScriptedCounterpart(o.sendOrNone(), o.echoOrDefault())
                            : plugin.counterpart(offer, new CounterpartContext(plugin.name(),
                                    SettingsBinder.json(o.settings())));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(key + ".settings: " + e.getMessage(), e);
                }
                if (counterpart == null) {
                    throw new IllegalStateException("host counterpart '" + plugin.name() + "' made no counterpart for " + key);
                }
                out.add(new PlannedOffer(offer, script ? DeviceClass.nameOf(classId) : plugin.name(), counterpart));
            }
        }
        return List.copyOf(out);
    }

    /** Starts the transport, offers every device, then tells the transport they are all offered. */
    public Future<Void> start() {
        context = vertx.getOrCreateContext();
        return OnContext.call(context, () -> {
            devices.add(new HeartbeatHostDevice(context,
                    new Offer(1, DeviceClass.HEARTBEAT.classId(), HEARTBEAT_INSTANCE, 0, IC_RING_SIZE),
                    config.heartbeatIntervalMs()));
            devices.add(new TimesyncHostDevice(context,
                    new Offer(2, DeviceClass.TIMESYNC.classId(), TIMESYNC_INSTANCE, 0, IC_RING_SIZE),
                    config.timesyncIntervalMs(), new HostClock(config.clockOffsetMs(), config.clockDriftPpm()),
                    new PartitionCounter(config.referenceCounterAheadMs())));
            devices.add(new ShutdownHostDevice(context,
                    new Offer(3, DeviceClass.SHUTDOWN.classId(), SHUTDOWN_INSTANCE, 0, IC_RING_SIZE)));
            devices.add(new VssHostDevice(context,
                    new Offer(5, DeviceClass.VSS.classId(), VSS_INSTANCE, 0, IC_RING_SIZE)));
            devices.add(new KvpHostDevice(context,
                    new Offer(4, DeviceClass.KVP.classId(), KVP_INSTANCE, 0, IC_RING_SIZE)));
            devices.add(new FcopyHostDevice(context,
                    new Offer(6, DeviceClass.FCOPY.classId(), FCOPY_INSTANCE, 0, IC_RING_SIZE)));
            // More channels than Hyper-V offers, to see how the agent and its dashboard do with many
            for (int i = 0; i < config.extraHeartbeats(); i++) {
                devices.add(new HeartbeatHostDevice(context, new Offer(FIRST_EXTRA_RELID + i,
                        DeviceClass.HEARTBEAT.classId(), extraHeartbeatInstance(i), 0, IC_RING_SIZE),
                        config.heartbeatIntervalMs()));
            }
            for (PlannedOffer p : planned) {
                devices.add(new PluginHostDevice(p.name(), context, p.offer(), p.counterpart()));
            }
            return transport.start()
                    .compose(x -> Future.all(devices.stream().map(d -> transport.offer(d.offer(), d)).toList()))
                    .compose(x -> config.nic().enabled() ? startNics() : Future.<Void>succeededFuture())
                    .onSuccess(x -> transport.allOffered()) // the guest's READY counts these (shm: allOffersDelivered)
                    .<Void>mapEmpty();
        });
    }

    /**
     * Offers the synthetic NICs (after the integration services, at the first relids after them), one after the
     * other, with the guest memory their GPA-direct control messages come from (one guest, one memory).
     */
    private Future<Void> startNics() {
        return transport.guestMemory(NIC_GUEST_MEMORY).compose(memory -> {
            Future<Void> started = Future.succeededFuture();
            for (int k = 0; k < config.nic().count(); k++) {
                int adapter = k;
                started = started.compose(x -> startNic(adapter, memory));
            }
            return started;
        });
    }

    private Future<Void> startNic(int k, SharedGuestMemory memory) {
        VmbusConfig.Nic adapter = config.nic().adapter(k);
        int relid = firstNicRelid(config) + k * adapter.queues();
        Offer offer = new Offer(relid, HostNic.CLASS_ID, nicInstance(k), 0, HostNic.RING_SIZE);
        dev.vmbus.net.FramePort port;
        try {
            port = HostNic.port(adapter);
        } catch (java.io.IOException e) {
            return Future.failedFuture(new IllegalStateException("host.nic.backend " + adapter.backend()
                    + (config.nic().count() > 1 ? " of NIC " + k : "") + ": " + e.getMessage(), e));
        }
        HostNic nic = new HostNic(context, transport, offer, adapter, HostTransport.Buffers.UIO, memory, port,
                index -> relid + index); // the relids up to the next NIC's primary are this one's
        nics.add(nic);
        return nic.start();
    }

    /** The instance GUID of NIC 0: fixed, so that a restart offers the same one. */
    public static final UUID NIC_INSTANCE = UUID.fromString("7a4c1f90-3e1d-4b7a-9a55-5e2f0c4d6a01");

    /** The instance GUID of NIC {@code k}: {@link #NIC_INSTANCE} for the first, fixed for every other. */
    public static UUID nicInstance(int k) {
        return k == 0 ? NIC_INSTANCE : UUID.nameUUIDFromBytes(("vmbus simulated nic " + k)
                .getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
    /** Guest memory the host shares for GPA-direct packets when it offers a NIC: 4 MiB. */
    public static final long NIC_GUEST_MEMORY = 4L << 20;

    /** Every synthetic NIC offered, NIC k at index k (none unless {@code host.nic.enabled}). */
    public List<HostNic> nics() {
        return List.copyOf(nics);
    }

    /** The instance GUID of extra heartbeat channel {@code i}: fixed, so that a restart offers the same ones. */
    static UUID extraHeartbeatInstance(int i) {
        return UUID.nameUUIDFromBytes(("vmbus simulated extra heartbeat " + i).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    public HostTransport transport() {
        return transport;
    }

    public Context context() {
        return context;
    }

    public List<HostDevice> devices() {
        return List.copyOf(devices);
    }

    /** The device with this name, if offered. */
    public <T extends HostDevice> T device(String name, Class<T> type) {
        return devices.stream().filter(d -> d.name().equals(name)).map(type::cast).findFirst().orElseThrow();
    }

    /** Every device's state; call on the host context. */
    public JsonObject state() {
        JsonArray list = new JsonArray();
        devices.forEach(d -> list.add(d.state()));
        nics.forEach(n -> list.add(n.state()));
        return new JsonObject().put("guestConnected", transport.guestConnected()).put("devices", list);
    }

    /** Rescinds every channel and stops the transport. */
    public Future<Void> close() {
        return OnContext.call(context, () -> transport.close().andThen(ar -> {
            nics.forEach(HostNic::close);
        }));
    }
}
