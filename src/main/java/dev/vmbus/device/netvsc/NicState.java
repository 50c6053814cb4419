package dev.vmbus.device.netvsc;

import dev.vmbus.net.FramePort;
import dev.vmbus.net.Nvsp;
import dev.vmbus.net.Rndis;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/**
 * A {@link Nic}'s state as {@code devices.netvsc}'s {@code nics[]} shows it (docs/METRICS.md): what it negotiated,
 * its queues, buffers in use, drops by reason and the host's indications. Read off the NIC's thread (the device's
 * state request): the figures are read one after another, not at one instant.
 */
final class NicState {
    private NicState() {
    }

    static JsonObject of(Nic nic) {
        JsonObject s = new JsonObject().put("name", nic.name).put("relid", nic.relid())
                .put("instance", nic.primary.offer().instanceId().toString())
                .put("phase", nic.phase.name().toLowerCase(java.util.Locale.ROOT))
                .put("backend", nic.settings.backend().key())
                .put("link", nic.link ? "up" : "down")
                .put("mac", nic.macText())
                .put("mtu", nic.mtu)
                .put("packetFilter", nic.packetFilter)
                .put("receiveMode", Rndis.filterWords(nic.packetFilter))
                .put("nvspVersion", nic.nvspVersion == 0 ? null : Nvsp.versionName(nic.nvspVersion))
                .put("ndisVersion", nic.nvspVersion == 0 ? null
                        : Nvsp.NDIS_MAJOR + "." + Nvsp.ndisMinorFor(nic.nvspVersion))
                .put("controlPath", nic.settings.controlOverSection() ? "send section" : "GPA-direct")
                .put("sendTable", nic.tx.sendTableJson());
        if (nic.failure != null) {
            s.put("failure", nic.failure);
        }
        List<NicQueue> qs = new ArrayList<>(nic.queues.values());
        qs.sort(java.util.Comparator.comparingInt(q -> q.index));
        JsonArray queueJson = new JsonArray();
        qs.forEach(q -> queueJson.add(q.json()));
        s.put("queues", queueJson);
        s.put("receiveSlots", new JsonObject().put("size", nic.rx.slotSize).put("count", nic.rx.slotCount));
        s.put("sendSections", nic.tx.sectionsJson());
        s.put("drops", new JsonObject()
                .put("notUp", nic.dropsNotUp)
                .put("tooLongToHost", nic.tx.dropsTooLong)
                .put("tooLongFromHost", nic.rx.dropsTooLong)
                .put("noSendSection", nic.tx.dropsNoSection)
                .put("queueEnded", nic.tx.dropsQueueEnded)
                .put("backend", nic.rx.dropsBackend)
                .put("empty", nic.rx.dropsEmpty)
                .put("hostSendErrors", nic.tx.hostSendErrors));
        s.put("vlanTagged", new JsonObject().put("fromHost", nic.rx.vlanTagged).put("toHost", nic.tx.vlanTagged));
        s.put("statusIndications", nic.rx.statusIndications).put("networkChanges", nic.rx.networkChanges)
                .put("announcements", nic.tx.announcements).put("rssRefusals", nic.vrss.rssRefusals)
                .put("ignoredMessages", nic.ignoredMessages);
        s.put("rndis", new JsonObject().put("maxPacketsPerMessage", nic.bringUp.maxPacketsPerMessage)
                .put("packetAlignment", nic.bringUp.packetAlignment));
        FramePort backend = nic.port;
        if (backend != null) {
            FramePort.Stats p = backend.stats();
            s.put("port", new JsonObject().put("framesIn", p.framesIn()).put("bytesIn", p.bytesIn())
                    .put("framesOut", p.framesOut()).put("bytesOut", p.bytesOut())
                    .put("dropsOutsideFull", p.dropsOutsideFull()).put("dropsTooLong", p.dropsTooLong()));
        }
        return s;
    }
}
