package dev.vmbus.channel;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * A VMBus device class (interface type) with the short name this project uses for it: in configuration, in
 * event-bus addresses ({@code vmbus.device.<name>}) and on the dashboard.
 *
 * @param name        short name, e.g. {@code heartbeat}
 * @param classId     the class GUID offered by the host
 * @param description what Linux calls it
 */
public record DeviceClass(String name, UUID classId, String description) {

    public static final DeviceClass HEARTBEAT = known("heartbeat", "57164f39-9115-4e78-ab55-382f3bd5422d", "Heartbeat");
    public static final DeviceClass TIMESYNC = known("timesync", "9527e630-d0ae-497b-adce-e80ab0175caf", "Time synchronization");
    public static final DeviceClass SHUTDOWN = known("shutdown", "0e0b6031-5213-4934-818b-38d90ced39db", "Shutdown");
    public static final DeviceClass KVP = known("kvp", "a9a0f4e7-5a45-4d96-b827-8a841e8c03e6", "Key-value pair exchange");
    public static final DeviceClass VSS = known("vss", "35fa2e29-ea23-4236-96ae-3a6ebacba440", "Volume shadow copy (backup)");
    public static final DeviceClass FCOPY = known("fcopy", "34d14be3-dee4-41c8-9ae7-6b174977c192", "Guest file copy");
    public static final DeviceClass NETVSC = known("netvsc", "f8615163-df3e-46c5-913f-f2d2f965ed0e", "Synthetic network adapter");
    public static final DeviceClass STORVSC = known("storvsc", "ba6163d9-04a1-4d29-b605-72e2ffb1dc7f", "Synthetic SCSI controller");
    public static final DeviceClass IDE = known("ide", "32412632-86cb-44a2-9b5c-50d1417354f5", "Synthetic IDE controller");
    public static final DeviceClass FC = known("fc", "2f9bcc4a-0069-4af3-b76b-6fd0be528cda", "Synthetic Fibre Channel");

    /** The integration services: the util classes this agent serves (and {@code vmbus bind} offers by name). */
    public static final List<DeviceClass> INTEGRATION_SERVICES = List.of(HEARTBEAT, TIMESYNC, SHUTDOWN, KVP, VSS, FCOPY);

    /** Spec section 7, from {@code include/linux/hyperv.h} and {@code drivers/hv/channel_mgmt.c}. */
    public static final List<DeviceClass> WELL_KNOWN = List.of(
            HEARTBEAT, TIMESYNC, SHUTDOWN, KVP, VSS, FCOPY, NETVSC, STORVSC, IDE, FC,
            known("nd", "8c2eaf3d-32a7-4b09-ab99-bd1f1c86b501", "Network Direct"),
            known("pci", "44c4f61d-4444-4400-9d52-802e27ede19f", "PCI Express pass-through"),
            known("video", "da0a7802-e377-4aac-8e77-0558eb1073f8", "Synthetic video"),
            known("keyboard", "f912ad6d-2b17-48ea-bd65-f927a61c7684", "Synthetic keyboard"),
            known("mouse", "cfa8b69e-5b4a-4cc0-b98b-8ba1a1f3f95a", "Synthetic mouse"),
            known("balloon", "525074dc-8985-46e2-8057-a307dc18a502", "Dynamic memory"),
            known("avma1", "f8e65716-3cb3-4a06-9a60-1889c5cccab5", "Unsupported (AVMA1)"),
            known("avma2", "3375baf4-9e15-4b30-b765-67acb10d607b", "Unsupported (AVMA2)"),
            known("rdv", "276aacf4-ac15-426c-98dd-7521ad3f01fe", "Unsupported (RDV)"),
            known("imc", "c376c1c3-d276-48d2-90a9-c04748072c60", "Unsupported (IMC)"));

    private static final Map<UUID, DeviceClass> BY_ID =
            WELL_KNOWN.stream().collect(Collectors.toUnmodifiableMap(DeviceClass::classId, Function.identity()));
    private static final Map<String, DeviceClass> BY_NAME =
            WELL_KNOWN.stream().collect(Collectors.toUnmodifiableMap(DeviceClass::name, Function.identity()));

    public DeviceClass {
        if (name == null || !name.matches("[a-z][a-z0-9_-]{0,31}")) {
            throw new IllegalArgumentException("device class name must be 1-32 lowercase letters, digits, '-' or"
                    + " '_', starting with a letter: '" + name + "'");
        }
    }

    private static DeviceClass known(String name, String guid, String description) {
        return new DeviceClass(name, UUID.fromString(guid), description);
    }

    /** The well-known class with this GUID. */
    public static Optional<DeviceClass> byId(UUID classId) {
        return Optional.ofNullable(BY_ID.get(classId));
    }

    /** The well-known class with this short name. */
    public static Optional<DeviceClass> byName(String name) {
        return Optional.ofNullable(BY_NAME.get(name));
    }

    /** The short name of a class GUID: its well-known name, or the GUID itself for an unknown class. */
    public static String nameOf(UUID classId) {
        DeviceClass c = BY_ID.get(classId);
        return c != null ? c.name() : classId.toString();
    }
}
