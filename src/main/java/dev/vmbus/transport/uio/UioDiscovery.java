package dev.vmbus.transport.uio;

import dev.vmbus.os.PageSize;
import dev.vmbus.transport.ChannelBuffer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Finds the devices bound to {@code uio_hv_generic} under a sysfs root (spec vmbus-ring.md section 5.5): each is
 * read by {@link VmbusDevices} ({@code bus/vmbus/devices/<instance>/{class_id,device_id,id,uio/uioN,channels/<relid>/}})
 * and then its uio maps ({@code class/uio/uioN/maps/mapN/}) are checked. Sizes always come from sysfs: ring sizes differ per device class and
 * kernel version (fcopy's changed in e566ed5b6417), so nothing here assumes one.
 *
 * <p>A device without a {@code uio} directory belongs to a kernel driver and is skipped, not an error; a bound
 * device whose attributes cannot be read is reported as a problem naming the file, and the rest still work.
 * All methods do blocking file I/O: call them from a worker, never an event loop.
 */
public final class UioDiscovery {
    private final Path sysfsRoot;

    /** What one scan found. */
    public record Scan(List<UioDevice> devices, List<String> skipped, List<String> problems) {
    }

    public UioDiscovery(Path sysfsRoot) {
        this.sysfsRoot = sysfsRoot;
    }

    public Path sysfsRoot() {
        return sysfsRoot;
    }

    /** {@code <root>/bus/vmbus/devices}. */
    public Path devicesDir() {
        return sysfsRoot.resolve("bus/vmbus/devices");
    }

    /** Every device directory; fails when there is no VMBus at all under this root. */
    public Scan scan() throws IOException {
        Path dir = devicesDir();
        if (!Files.isDirectory(dir)) {
            throw new IOException(dir + " does not exist: this is not a Hyper-V guest, or transport.sysfsRoot ("
                    + sysfsRoot + ") is wrong");
        }
        List<UioDevice> devices = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        for (Path device : VmbusDevices.list(dir)) {
            try {
                if (!Files.isDirectory(device.resolve("uio"))) {
                    skipped.add(device.getFileName() + ": not bound to uio_hv_generic (no " + device.resolve("uio")
                            + " directory)");
                    continue;
                }
                devices.add(device(device));
            } catch (IOException e) {
                problems.add(e.getMessage());
            }
        }
        return new Scan(devices, skipped, problems);
    }

    /**
     * Reads one device directory that has a {@code uio} subdirectory ({@link VmbusDevices#read}), then checks what
     * serving it takes: exactly one uio node, a ring map that holds two rings, and the buffer maps.
     */
    public UioDevice device(Path device) throws IOException {
        VmbusDevice d = VmbusDevices.read(sysfsRoot, device);
        if (d.uio().isEmpty()) {
            throw new IOException(device.resolve("uio") + " should hold exactly one uioN entry, found "
                    + VmbusDevices.list(device.resolve("uio")).stream().map(p -> p.getFileName().toString()).toList());
        }
        String uio = d.uio().get();
        if (d.map0Size().isEmpty()) {
            mapSize(uio, 0); // fails naming the missing file
        }
        checkRingMemory(d.map0Size().getAsLong(), uioMaps(uio).resolve("map0/size"));
        List<UioBufferMap> buffers = new ArrayList<>();
        List<String> bufferProblems = new ArrayList<>();
        for (ChannelBuffer.Kind kind : ChannelBuffer.Kind.values()) {
            try {
                UioBufferMap b = bufferMap(uio, kind);
                if (b != null) {
                    buffers.add(b);
                }
            } catch (IOException e) {
                bufferProblems.add(e.getMessage());
            }
        }
        return new UioDevice(d, buffers, bufferProblems);
    }

    /**
     * uio map 3 or 4 of {@code uio} as a channel buffer, or null when the kernel made none (every device before
     * 4.16, every device but the NIC from 6.14). Its {@code name} must be {@code recv:N} / {@code send:N} (the
     * handle in decimal), its size a positive whole number of 4 KiB pages and its {@code addr} on a 4 KiB page
     * (vmalloc memory is page-aligned); anything else is refused with the file and the reason.
     */
    public UioBufferMap bufferMap(String uio, ChannelBuffer.Kind kind) throws IOException {
        Path map = uioMaps(uio).resolve("map" + kind.map());
        if (!Files.isDirectory(map)) {
            return null;
        }
        ChannelBuffer.Name name;
        try {
            name = ChannelBuffer.parseName(SysfsAttributes.text(map.resolve("name")), kind);
        } catch (IllegalArgumentException e) {
            throw new IOException(map.resolve("name") + ": " + e.getMessage() + "; the buffer is not used");
        }
        long size = SysfsAttributes.hexSize(map.resolve("size"));
        if (size <= 0 || size % 4096 != 0 || size > Integer.MAX_VALUE) {
            throw new IOException(map.resolve("size") + " holds " + size + ", not a whole number of 4096-byte pages"
                    + " below 2 GiB; the buffer " + name + " is not used");
        }
        long offset = pageOffset(uio, kind.map(), 4096);
        if (offset != 0) {
            throw new IOException(map.resolve("addr") + " is " + offset + " bytes into a page: buffer " + name
                    + " does not start on a page, which uio_hv_generic's vmalloc'd buffers always do; it is not used");
        }
        return new UioBufferMap(name, size);
    }

    /** {@code <root>/class/uio/<uio>/maps}. */
    public Path uioMaps(String uio) {
        return sysfsRoot.resolve("class/uio").resolve(uio).resolve("maps");
    }

    /** The size of uio map {@code index} ({@code maps/mapN/size}). */
    public long mapSize(String uio, int index) throws IOException {
        return SysfsAttributes.hexSize(uioMaps(uio).resolve("map" + index).resolve("size"));
    }

    /**
     * Where uio map {@code index} starts inside the first {@code pageSize}-byte page of its mapping: {@code
     * maps/mapN/addr & (pageSize - 1)}. uio maps the whole kernel page holding {@code mem->addr} ({@code
     * virt_to_page} for logical memory, the page frame for IOVA), and {@code addr} is the kernel's own address of
     * the memory ({@code %pa}). {@code maps/mapN/offset} is not it: it prints {@code mem->offs}, which
     * {@code uio_hv_generic} never sets (always 0). Before 09eea7ad0b8e the interrupt and monitor pages came from
     * {@code kmalloc(4096)} on kernels with 64 KiB pages, at any 4 KiB slot of a slab page, so the offset is read,
     * never assumed (kernel review F2). A tree without {@code addr} counts as offset 0 on 4 KiB pages (the map is
     * its whole page) and is refused on larger pages, where the offset cannot be known.
     */
    public long pageOffset(String uio, int index, int pageSize) throws IOException {
        Path addr = uioMaps(uio).resolve("map" + index).resolve("addr");
        if (!Files.exists(addr)) {
            if (pageSize == 4096) {
                return 0;
            }
            throw new IOException(addr + " does not exist: where the map starts inside its " + pageSize
                    + "-byte page cannot be known");
        }
        String text = Files.readString(addr).trim().toLowerCase(java.util.Locale.ROOT);
        try {
            if (text.startsWith("0x") && text.length() > 2) {
                return Long.parseUnsignedLong(text.substring(2), 16) & (pageSize - 1);
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IOException(addr + " does not hold a 0x-prefixed hexadecimal address: '" + text + "'");
    }

    /**
     * Which registration of a device this is: the uio node and the identity (device and inode) of its sysfs
     * {@code uio/uioN} directory. A device that the kernel unregistered and registered again (a rescind and
     * re-offer with the same instance GUID) gets a new directory, and possibly a new {@code uioN}, so a new value.
     */
    public static String registration(UioDevice device) throws IOException {
        Path node = device.device().dir().resolve("uio").resolve(device.uio());
        Object key = Files.readAttributes(node, java.nio.file.attribute.BasicFileAttributes.class).fileKey();
        return device.uio() + "@" + (key != null ? key : Files.getLastModifiedTime(node));
    }

    /**
     * A subchannel's {@code ring} size if the file is there and non-empty, else -1, without waiting: the kernel
     * creates it only once the subchannel is open, and never when {@code vmbus_open} failed for it, so a scan
     * skips it and looks again next time (DPDK's {@code vmbus_uio_get_subchan} does the same).
     */
    public static long ringSizeNow(Path ring) throws IOException {
        if (!Files.exists(ring)) {
            return -1;
        }
        long size = Files.size(ring);
        if (size == 0) {
            return -1;
        }
        checkRingMemory(size, ring);
        return size;
    }

    /** Both rings must be equal, page-aligned and hold at least a header and a data page each. */
    static void checkRingMemory(long size, Path source) throws IOException {
        long page = PageSize.system();
        if (size % 2 != 0 || (size / 2) % page != 0 || size / 2 < 2 * page || size / 2 > Integer.MAX_VALUE / 2) {
            throw new IOException(source + ": " + size + " bytes cannot hold two rings of whole "
                    + page + "-byte pages (a header page and at least one data page each)");
        }
    }

    /**
     * Waits for a subchannel's {@code ring} file, which the kernel creates after the channel directory (spec
     * section 8.10), and returns its size. Polls every 20 ms; a clear error when it has not appeared in time.
     */
    public static long awaitRingFile(Path ring, long timeoutMs) throws IOException {
        long deadline = System.nanoTime() + timeoutMs * 1_000_000;
        while (true) {
            if (Files.exists(ring)) {
                long size = Files.size(ring);
                if (size > 0) {
                    checkRingMemory(size, ring);
                    return size;
                }
            }
            if (System.nanoTime() >= deadline) {
                throw new IOException(ring + " did not appear within " + timeoutMs + " ms (the kernel creates it"
                        + " once the channel is open; is the device bound to uio_hv_generic?)");
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for " + ring, e);
            }
        }
    }
}
