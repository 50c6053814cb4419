package dev.vmbus.host.nic;

import dev.vmbus.host.ReceiveSlots;
import dev.vmbus.net.FramePort;
import dev.vmbus.net.Nvsp;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.HexFormat;

import static dev.vmbus.host.nic.HostNic.SECTION_SIZE;

/** A {@link HostNic}'s state as the simulated host shows it (its dashboard, {@code SimulatedHost.state()}). */
final class HostNicState {
    private HostNicState() {
    }

    static JsonObject of(HostNic nic) {
        JsonObject json = new JsonObject().put("device", nic.name()).put("relid", nic.offer.relid())
                .put("instance", nic.offer.instanceId().toString())
                .put("phase", nic.phase.name().toLowerCase()).put("backend", nic.config.backend())
                .put("mac", HexFormat.ofDelimiter(":").formatHex(nic.mac)).put("mtu", nic.config.mtu())
                .put("link", nic.link.up() ? "up" : "down").put("linkIndicated", nic.link.indicated())
                .put("backendFailure", nic.backendFailure)
                .put("queuesConfigured", nic.config.queues())
                .put("opens", nic.opens).put("faults", nic.faultCount);
        if (nic.nvsp.version != 0) {
            json.put("nvspVersion", Nvsp.versionName(nic.nvsp.version));
        }
        if (nic.nvsp.ndisVersioned) {
            json.put("ndisVersion", nic.nvsp.ndisMajor + "." + nic.nvsp.ndisMinor);
        }
        if (nic.nvsp.ndisConfigured) {
            json.put("ndisMtu", nic.nvsp.ndisMtu);
        }
        json.put("packetFilter", nic.rndis.packetFilter).put("rndisInitialized", nic.rndis.rndisInitialized)
                .put("subchannelsGranted", nic.nvsp.subchannelsGranted)
                .put("rssQueues", nic.rndis.rssTable == null ? 0 : java.util.Arrays.stream(nic.rndis.rssTable).distinct().count());
        ReceiveSlots slots = nic.nvsp.slots;
        if (slots != null) {
            json.put("receiveSlots", new JsonObject().put("size", slots.slotSize()).put("count", slots.count())
                    .put("inUse", slots.count() - slots.free()).put("batchesOutstanding", slots.outstanding()));
        }
        if (nic.nvsp.sendBuffer != null) {
            json.put("sendSections", new JsonObject().put("size", SECTION_SIZE).put("count", nic.nvsp.sectionCount));
        }
        JsonArray qs = new JsonArray();
        nic.queues.values().forEach(q -> qs.add(q.state()));
        json.put("queues", qs);
        json.put("drops", new JsonObject().put("notReady", nic.toGuest.dropsNotReady).put("filter", nic.toGuest.dropsFilter)
                .put("tooLong", nic.toGuest.dropsTooLong).put("backlog", nic.toGuest.dropsBacklog).put("lso", nic.rndis.dropsLso)
                .put("backend", nic.rndis.dropsBackend));
        json.put("vlanTagged", new JsonObject().put("toGuest", nic.toGuest.vlanToGuest)
                .put("fromGuest", nic.rndis.vlanFromGuest));
        FramePort.Stats s = nic.port.stats();
        json.put("port", new JsonObject().put("framesIn", s.framesIn()).put("bytesIn", s.bytesIn())
                .put("framesOut", s.framesOut()).put("bytesOut", s.bytesOut())
                .put("dropsOutsideFull", s.dropsOutsideFull()).put("dropsTooLong", s.dropsTooLong())
                .put("paused", nic.toGuest.portPaused).put("pauses", nic.toGuest.pausesJson()));
        if (nic.fault != null) {
            json.put("failure", nic.fault);
        }
        return json;
    }
}
