package dev.vmbus.transport.uio;

import dev.vmbus.transport.ChannelBuffer;

import java.util.List;
import java.util.Optional;

/**
 * A VMBus device that {@code uio_hv_generic} serves to this transport: the {@link VmbusDevice} as sysfs shows it,
 * checked to have its uio node and ring map ({@link UioDiscovery}), plus the buffer maps the kernel made.
 *
 * @param device         the device as {@link VmbusDevices} read it, with {@code uio} and {@code map0Size} present
 * @param buffers        uio maps 3 and 4 when the kernel made them (see {@link UioBufferMap}); shared by every channel
 * @param bufferProblems why a map 3 or 4 that is there cannot be used (one line each), to report; empty normally
 */
public record UioDevice(VmbusDevice device, List<UioBufferMap> buffers, List<String> bufferProblems) {

    public UioDevice {
        if (device.uio().isEmpty() || device.map0Size().isEmpty()) {
            throw new IllegalArgumentException(device.dir() + " has no uio node with a ring map");
        }
        buffers = List.copyOf(buffers);
        bufferProblems = List.copyOf(bufferProblems);
    }

    /** The uio node name, e.g. {@code uio0}. */
    public String uio() {
        return device.uio().orElseThrow();
    }

    /** {@code maps/map0/size}: both rings of the primary channel. */
    public long map0Size() {
        return device.map0Size().orElseThrow();
    }

    /** The device's buffer of {@code kind}, if the kernel made one. */
    public Optional<UioBufferMap> buffer(ChannelBuffer.Kind kind) {
        return buffers.stream().filter(b -> b.name().kind() == kind).findFirst();
    }

    /** The primary channel's ring size per direction (map 0 holds TX then RX, each half of it). */
    public int primaryRingSize() {
        return (int) (map0Size() / 2);
    }
}
