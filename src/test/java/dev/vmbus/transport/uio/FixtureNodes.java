package dev.vmbus.transport.uio;

import dev.vmbus.os.Posix;

import dev.vmbus.channel.ChannelRings;
import dev.vmbus.os.PageSize;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;

/**
 * {@link UioNodes} for a {@link SysfsFixture}: the interrupt line is the guest end of a fresh socket pair (the
 * test keeps the other end, playing the kernel and the host); map 0 is the primary's {@code ring} file and maps
 * 1 and 2 are the fixture's page files.
 *
 * <p>With {@code kernelInitialises}, opening the line first initialises both ring headers, as
 * {@code vmbus_connect_ring} does when {@code /dev/uioN} is opened, and only then tells the test (so the host
 * may write at once, exactly as on a real guest).
 */
final class FixtureNodes implements UioNodes {
    final SysfsFixture fixture;
    final Map<String, SocketPair> pairs = new ConcurrentHashMap<>();
    private final boolean kernelInitialises;
    private final BiConsumer<UioDevice, SocketPair> opened;
    volatile boolean hangUp;

    FixtureNodes(SysfsFixture fixture, boolean kernelInitialises, BiConsumer<UioDevice, SocketPair> opened) {
        this.fixture = fixture;
        this.kernelInitialises = kernelInitialises;
        this.opened = opened;
    }

    @Override
    public int openInterrupt(UioDevice device) throws IOException {
        if (hangUp) {
            return SocketPair.hungUpPty();
        }
        SocketPair pair = SocketPair.open();
        pairs.put(device.uio(), pair);
        if (kernelInitialises) {
            MapLocation rings = map(device, 0);
            try (Arena arena = Arena.ofShared()) {
                MemorySegment memory = Posix.map(rings.file(), 0, device.map0Size(), arena);
                ChannelRings.of(memory, PageSize.system()).initialize();
            }
        }
        opened.accept(device, pair);
        return pair.guest;
    }

    @Override
    public MapLocation map(UioDevice device, int index) {
        if (index == 0) {
            return new MapLocation(device.dir().resolve("channels/" + device.primaryRelid() + "/ring"), 0);
        }
        String file = index >= 3 ? "/buffer" : "/page"; // maps 3 and 4: the receive and send buffers
        return new MapLocation(fixture.maps(device.uio()).resolve("map" + index + file), 0);
    }
}
