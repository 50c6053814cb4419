package dev.vmbus.transport.uio;

import dev.vmbus.os.Posix;

import dev.vmbus.channel.ChannelRings;
import dev.vmbus.os.PageSize;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;

import static org.awaitility.Awaitility.await;

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
    /** Devices whose close, once entered, waits until the test sets their flag, by uio name: a host slow to tear down. */
    final Map<String, AtomicBoolean> slowClose = new ConcurrentHashMap<>();
    /** The uio names whose held close has begun. */
    final Set<String> closing = ConcurrentHashMap.newKeySet();
    /**
     * The uio name of each interrupt line open now, by descriptor: the kernel gives a closed descriptor's number to
     * the next open, so a line is known by its number only while it is open.
     */
    private final Map<Integer, String> open = new ConcurrentHashMap<>();
    /** Devices whose interrupt line was closed, by uio name, with the thread that closed it. */
    final Map<String, String> closedBy = new ConcurrentHashMap<>();

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
        open.put(pair.guest, device.uio());
        return pair.guest;
    }

    /**
     * Closes the guest end as the kernel's release would, first waiting (uninterruptibly, as
     * {@code vmbus_teardown_gpadl} does) for the test's acknowledgement when the device is in {@link #slowClose}.
     */
    @Override
    public void closeInterrupt(int fd) {
        String uio = open.remove(fd);
        AtomicBoolean acknowledged = uio == null ? null : slowClose.get(uio);
        if (acknowledged != null) {
            closing.add(uio);
            // D state: a signal does not end the wait (nor does an interrupt end Awaitility's); bounded all the
            // same, and the test always sets the flag
            await("the host's acknowledgement of " + uio + "'s teardown").atMost(60, TimeUnit.SECONDS)
                    .until(acknowledged::get);
        }
        Posix.close(fd);
        if (uio != null) {
            closedBy.put(uio, Thread.currentThread().getName());
        }
    }

    @Override
    public MapLocation map(UioDevice device, int index) {
        if (index == 0) {
            return new MapLocation(device.device().dir().resolve("channels/" + device.device().primaryRelid() + "/ring"), 0);
        }
        String file = index >= 3 ? "/buffer" : "/page"; // maps 3 and 4: the receive and send buffers
        return new MapLocation(fixture.maps(device.uio()).resolve("map" + index + file), 0);
    }
}
