package dev.vmbus.transport.uio;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A fake sysfs tree laid out as the kernel does (spec section 5.5), with regular files standing in for the
 * ring memory: {@code channels/<relid>/ring} (map 0 of the primary, the ring of a subchannel) and
 * {@code class/uio/uioN/maps/map{1,2}/page} (interrupt and monitor pages).
 */
final class SysfsFixture {
    final Path root;

    SysfsFixture(Path root) {
        this.root = root;
    }

    Path devices() {
        return root.resolve("bus/vmbus/devices");
    }

    /** A device bound to uio ({@code uio} non-null) or to nothing, with its primary channel and ring file. */
    Path device(String dirName, String classIdText, String deviceIdText, int relid, String uio, long map0Size)
            throws IOException {
        Path dev = devices().resolve(dirName);
        write(dev.resolve("class_id"), classIdText);
        write(dev.resolve("device_id"), deviceIdText);
        write(dev.resolve("id"), relid + "\n");
        write(dev.resolve("channels/" + relid + "/subchannel_id"), "0\n");
        if (uio != null) {
            Files.createDirectories(dev.resolve("uio").resolve(uio));
            write(maps(uio).resolve("map0/size"), "0x" + Long.toHexString(map0Size) + "\n");
            write(maps(uio).resolve("map0/addr"), kernelAddress(0x104a00000L)); // UIO_MEM_IOVA: page-aligned
            ring(dev, relid, map0Size);
        }
        return dev;
    }

    Path maps(String uio) {
        return root.resolve("class/uio").resolve(uio).resolve("maps");
    }

    /** A subchannel; its {@code ring} file only if {@code memorySize > 0} (the kernel creates it late). */
    void subchannel(Path dev, int relid, int index, long memorySize) throws IOException {
        write(dev.resolve("channels/" + relid + "/subchannel_id"), index + "\n");
        if (memorySize > 0) {
            ring(dev, relid, memorySize);
        }
    }

    /** Both rings of a channel, all zero (the kernel has not initialised them). */
    void ring(Path dev, int relid, long size) throws IOException {
        Path ring = dev.resolve("channels/" + relid + "/ring");
        Files.createDirectories(ring.getParent());
        try (RandomAccessFile f = new RandomAccessFile(ring.toFile(), "rw")) {
            f.setLength(size);
        }
    }

    /** Makes a channel monitored and gives its uio device an interrupt and a monitor page. */
    void monitored(Path dev, int relid, int monitorId, String uio) throws IOException {
        write(dev.resolve("channels/" + relid + "/monitor_id"), monitorId + "\n");
        for (int map = 1; map <= 2; map++) {
            write(maps(uio).resolve("map" + map + "/size"), "0x1000\n");
            try (RandomAccessFile f = new RandomAccessFile(maps(uio).resolve("map" + map + "/page").toFile(), "rw")) {
                f.setLength(4096);
            }
        }
    }

    /**
     * Gives a uio device interrupt and monitor pages as a kernel with {@code kernelPage}-byte pages maps them: each
     * map is one whole kernel page, {@code maps/mapN/size} is the 4096-byte Hyper-V page, {@code maps/mapN/addr} is
     * its kernel virtual address, whose low bits say where in the kernel page it starts (non-zero before
     * 09eea7ad0b8e on 64 KiB pages), and {@code maps/mapN/offset} is {@code mem->offs}, 0 as uio_hv_generic leaves it.
     */
    void hyperVPages(String uio, int kernelPage, long interruptOffset, long monitorOffset) throws IOException {
        long[] offsets = {interruptOffset, monitorOffset};
        for (int map = 1; map <= 2; map++) {
            write(maps(uio).resolve("map" + map + "/size"), "0x1000\n");
            write(maps(uio).resolve("map" + map + "/addr"), kernelAddress(0xffff0000c4a00000L + map * (long) kernelPage
                    + offsets[map - 1]));
            write(maps(uio).resolve("map" + map + "/offset"), "0x0\n");
            try (RandomAccessFile f = new RandomAccessFile(maps(uio).resolve("map" + map + "/page").toFile(), "rw")) {
                f.setLength(kernelPage);
            }
        }
    }

    /**
     * uio map {@code map} (3 or 4) of {@code uio} as {@code uio_hv_generic} makes it: {@code name} (e.g.
     * {@code recv:925201}), {@code size} in hex, {@code offset} 0, a page-aligned {@code addr}, and a sparse file {@code buffer} standing for the
     * vmalloc'd memory that a real guest maps from {@code /dev/uioN} at {@code map * PAGE_SIZE}.
     */
    void bufferMap(String uio, int map, String name, long size) throws IOException {
        Path dir = maps(uio).resolve("map" + map);
        write(dir.resolve("name"), name + "\n");
        write(dir.resolve("size"), "0x" + Long.toHexString(size) + "\n");
        write(dir.resolve("offset"), "0x0\n");
        write(dir.resolve("addr"), kernelAddress(0xffffb8a0c0000000L + ((long) map << 28))); // vmalloc, page-aligned
        try (RandomAccessFile f = new RandomAccessFile(dir.resolve("buffer").toFile(), "rw")) {
            f.setLength(size);
        }
    }

    /** An address as uio.c's {@code map_addr_show} prints it ({@code %pa}: 0x and 16 hex digits). */
    static String kernelAddress(long address) {
        return String.format("0x%016x%n", address);
    }

    /** A driver directory with its four attributes, empty. */
    Path driver(String name) throws IOException {
        Path dir = root.resolve("bus/vmbus/drivers").resolve(name);
        for (String attribute : new String[] {"bind", "unbind", "new_id", "remove_id"}) {
            write(dir.resolve(attribute), "");
        }
        return dir;
    }

    /** Points a device's {@code driver} symlink at a driver, as the kernel does for a bound device. */
    void boundTo(Path dev, String driver) throws IOException {
        Files.deleteIfExists(dev.resolve("driver"));
        Files.createSymbolicLink(dev.resolve("driver"), Path.of("../../../../bus/vmbus/drivers").resolve(driver));
    }

    static void write(Path file, String text) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
    }
}
