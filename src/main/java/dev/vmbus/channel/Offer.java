package dev.vmbus.channel;

import java.util.UUID;

/**
 * A channel the host offers ({@code CHANNELMSG_OFFERCHANNEL}, or a uio device in sysfs).
 *
 * @param relid       the child relid, unique among live channels
 * @param classId     interface type GUID: which device class
 * @param instanceId  interface instance GUID: which device of that class
 * @param subchannel  {@code sub_channel_index}: 0 for a primary channel
 * @param ringSize    bytes per direction, header page included (the channel's memory is twice this)
 */
public record Offer(int relid, UUID classId, UUID instanceId, int subchannel, int ringSize) {

    public Offer {
        if (relid <= 0) {
            throw new IllegalArgumentException("relid must be positive, got " + relid);
        }
        if (classId == null || instanceId == null) {
            throw new IllegalArgumentException("an offer needs a class and an instance GUID");
        }
        if (subchannel < 0 || subchannel > 0xFFFF) {
            throw new IllegalArgumentException("subchannel index out of range: " + subchannel);
        }
        if (ringSize < 2 * 4096 || ringSize % 4096 != 0) {
            throw new IllegalArgumentException("ring size must be a multiple of 4096 of at least 8192, got " + ringSize);
        }
    }

    /** The device class's short name ({@code heartbeat}, ...), or the class GUID if it is not well known. */
    public String className() {
        return DeviceClass.nameOf(classId);
    }

    /** Total bytes of the channel's memory: TX ring then RX ring. */
    public long memorySize() {
        return 2L * ringSize;
    }
}
