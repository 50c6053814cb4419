package dev.vmbus.transport.uio;

import dev.vmbus.transport.uio.admin.UioBinder;

import dev.vmbus.channel.DeviceClass;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Sysfs and procfs trees of the kernel generations the agent meets, laid out as drivers/hv/vmbus_drv.c and
 * drivers/uio/uio_hv_generic.c show them: {@code proc/sys/kernel/osrelease}, {@code proc/self/auxv} (AT_PAGESZ),
 * the VMBus drivers with their {@code bind/unbind/new_id/remove_id}, and eight devices: the six integration
 * services (unmonitored, so no {@code monitor_id} anywhere, as {@code vmbus_*_attr_is_visible} hide it) on
 * {@code hv_utils} (fcopy on no driver from 6.10, when ec314f61e4fc removed its kernel driver), a storvsc and a
 * netvsc controller (monitored, each with a subchannel) on their drivers. Every channel has the attributes
 * {@code vmbus_chan_attrs} lists. Every device has {@code driver_override} (d765edbb301c, "vmbus: add
 * driver_override support", which every modelled generation carries; the kernel review dates it 5.15+),
 * reading {@code (null)} while none is set; {@link #withoutDriverOverride} models a kernel built without it.
 * {@link SimulatedKernel} then plays the kernel's side of the driver writes.
 *
 * <p>Test-only; one tree per test, touched by one thread.
 */
public final class KernelFixtures {

    /** A kernel generation: its release, page size and what its uio_hv_generic does. */
    public enum Generation {
        /** Stable 6.1 without 547fa4ffd799 (and without d062463 as first released). */
        STABLE_6_1("6.1.0-28-amd64", 4096, false, false, false, true),
        /** Stable 6.6 without 547fa4ffd799. */
        STABLE_6_6("6.6.87-generic", 4096, false, false, false, true),
        /** 6.10 through 6.15: slow channels, but neither d062463 nor 09eea7ad0b8e (and, before 6.14, buffers for all). */
        V6_10("6.10.14", 4096, true, false, false, true),
        /** 6.16 and later: all three, and maps 3 and 4 for the NIC only (6.14's HV_NIC check). */
        V6_16("6.16.3", 4096, true, true, true, false),
        /** An arm64 6.12 kernel with 64 KiB pages: maps 1 and 2 sit at an offset inside their page. */
        ARM64_64K("6.12.48-64k", 65536, true, false, false, true);

        public final String release;
        public final int pageSize;
        public final boolean slowChannels;
        public final boolean allChannelEvents;
        public final boolean alignedMaps;
        /**
         * Whether {@code hv_uio_probe} gives every device the 31 MiB receive and 16 MiB send buffer (maps 3 and 4,
         * 108ddb8fa1fc through 6.13), or only the synthetic NIC (the HV_NIC check of 6.14).
         */
        public final boolean buffersOnEveryDevice;

        Generation(String release, int pageSize, boolean slow, boolean all, boolean aligned, boolean buffersForAll) {
            this.release = release;
            this.pageSize = pageSize;
            this.slowChannels = slow;
            this.allChannelEvents = all;
            this.alignedMaps = aligned;
            this.buffersOnEveryDevice = buffersForAll;
        }

        /** Whether hv_utils still carries the fcopy driver (removed in 6.10 by ec314f61e4fc). */
        public boolean kernelFcopy() {
            return !slowChannels;
        }
    }

    /** One fixture device. */
    public record Dev(String className, UUID classId, String instance, int relid, boolean monitored, int subchannels,
                      String kernelDriver) {
    }

    public static final List<Dev> DEVICES = List.of(
            new Dev("heartbeat", DeviceClass.HEARTBEAT.classId(), "fd149e91-82e0-4a7d-afa6-2a4166cbd7c0", 14, false, 0, "hv_utils"),
            new Dev("timesync", DeviceClass.TIMESYNC.classId(), "2dd1ce17-079e-403c-b352-a1921ee207ee", 13, false, 0, "hv_utils"),
            new Dev("shutdown", DeviceClass.SHUTDOWN.classId(), "b6650ff7-33bc-4840-8048-e0676786f393", 12, false, 0, "hv_utils"),
            new Dev("kvp", DeviceClass.KVP.classId(), "242ff919-07db-4180-9c2e-b86cb68c8c55", 11, false, 0, "hv_utils"),
            new Dev("vss", DeviceClass.VSS.classId(), "2450ee40-33bf-4fbd-892e-9fb06e9214cf", 10, false, 0, "hv_utils"),
            new Dev("fcopy", DeviceClass.FCOPY.classId(), "eb765408-105f-49b6-b4aa-c123b64d17d4", 15, false, 0, "hv_utils"),
            new Dev("storvsc", DeviceClass.byName("storvsc").orElseThrow().classId(), "f8b3781b-1e82-4818-a1c3-63d806ec15bb", 2, true, 1, "hv_storvsc"),
            new Dev("netvsc", DeviceClass.byName("netvsc").orElseThrow().classId(), "000d3a6e-4548-000d-3a6e-4548000d3a6e", 16, true, 1, "hv_netvsc"));

    public static final List<String> DRIVERS = List.of("hv_utils", "hv_storvsc", "hv_netvsc", VmbusDevices.UIO_DRIVER);

    public final Path root;
    public final Generation generation;
    private final SysfsFixture sysfs;
    private final Map<String, Dev> byInstance = new LinkedHashMap<>();
    private int nextUio;
    private int nextMonitor = 1;
    /** The VMBus connection's GPADL counter, which starts at 0xE1E10 (spec section 5.3). */
    private int nextGpadl = 0xE1E10;
    /** {@code RECV_BUFFER_SIZE} and {@code SEND_BUFFER_SIZE} of uio_hv_generic 0.02.1. */
    public static final long RECV_BUFFER_SIZE = 31L << 20;
    public static final long SEND_BUFFER_SIZE = 16L << 20;

    private KernelFixtures(Path root, Generation generation) {
        this.root = root;
        this.generation = generation;
        this.sysfs = new SysfsFixture(root.resolve("sys"));
    }

    /** The whole tree of {@code generation} under {@code root}: {@code root/sys} and {@code root/proc}. */
    public static KernelFixtures create(Path root, Generation generation) throws IOException {
        KernelFixtures f = new KernelFixtures(root, generation);
        SysfsFixture.write(f.proc().resolve("sys/kernel/osrelease"), generation.release + "\n");
        ByteBuffer auxv = ByteBuffer.allocate(48).order(ByteOrder.LITTLE_ENDIAN);
        auxv.putLong(16).putLong(0x178bfbffL); // AT_HWCAP, as the kernel puts it before AT_PAGESZ
        auxv.putLong(6).putLong(generation.pageSize); // AT_PAGESZ
        auxv.putLong(0).putLong(0); // AT_NULL
        Files.createDirectories(f.proc().resolve("self"));
        Files.write(f.proc().resolve("self/auxv"), auxv.array());
        SysfsFixture.write(f.proc().resolve("meminfo"), "MemTotal:        4030464 kB\nMemFree:         2210412 kB\n");
        f.kernelLog(PLAIN_GUEST_LOG);
        for (String driver : DRIVERS) {
            f.sysfs.driver(driver);
        }
        Files.createDirectories(f.sys().resolve("module").resolve(VmbusDevices.UIO_DRIVER));
        for (Dev d : DEVICES) {
            f.add(d);
        }
        return f;
    }

    /*
     * Kernel logs as /dev/kmsg gives them (ConfidentialVm reads them): the lines ms_hyperv_init_platform,
     * print_mem_encrypt_feature_info and hv_vmbus print, as the kernel formats them. On a plain Azure guest the
     * HV_ISOLATION privilege (bit 22 of "high") is not granted, so no "Isolation Config" line is printed at all.
     */
    /** A plain (not isolated) guest: no isolation line, no memory encryption. */
    public static final List<String> PLAIN_GUEST_LOG = List.of(
            "Linux version 6.16.3 (buildd@lcy02-amd64-011) (gcc 14.2.0) #1 SMP PREEMPT_DYNAMIC",
            "Command line: BOOT_IMAGE=/vmlinuz-6.16.3 root=PARTUUID=1b2d5d8e-01 ro console=ttyS0",
            "Hypervisor detected: Microsoft Hyper-V",
            "Hyper-V: privilege flags low 0xae7f, high 0x3b8030, hints 0x64e24, misc 0xbed7b2",
            "Hyper-V: Host Build 10.0.20348.2966-1-0",
            "Hyper-V: LAPIC Timer Frequency: 0xc3500",
            "Hyper-V: Using hypercall for remote TLB flush",
            "hv_vmbus: Vmbus version:5.3",
            "hv_netvsc 000d3a6e-4548-000d-3a6e-4548000d3a6e eth0: VF slot 1 added\n SUBSYSTEM=vmbus\n"
                    + " DEVICE=+vmbus:000d3a6e-4548-000d-3a6e-4548000d3a6e");
    /** A plain guest whose host grants HV_ISOLATION with isolation type 0 (none): the line is there, Group B 0x0. */
    public static final List<String> NOT_ISOLATED_LOG = List.of(
            "Hypervisor detected: Microsoft Hyper-V",
            "Hyper-V: privilege flags low 0xae7f, high 0x7b8030, hints 0x64e24, misc 0xbed7b2",
            "Hyper-V: Isolation Config: Group A 0x0, Group B 0x0",
            "hv_vmbus: Vmbus version:5.3");
    /**
     * An Azure SEV-SNP CVM with a paravisor (vTOM at 2^46): Group A bit 0 (paravisor present), Group B type 2 (SNP),
     * bit 5 (shared-GPA boundary active) and 46 in bits 6-11; the guest sees no SEV capability, so cpuinfo has no
     * sev_snp and there is no /dev/sev-guest. The memory encryption line as 6.4+ prints it for vTOM (cc_vendor AMD).
     */
    public static final List<String> AZURE_SNP_PARAVISOR_LOG = List.of(
            "Linux version 6.8.0-1021-azure (buildd@lcy02-amd64-086) (gcc 13.3.0) #25-Ubuntu SMP",
            "Hypervisor detected: Microsoft Hyper-V",
            "Hyper-V: privilege flags low 0xae7f, high 0x7b8030, hints 0xa0e24, misc 0xe0bed7b2",
            "Hyper-V: Host Build 10.0.22477.1369-1-0",
            "Hyper-V: Isolation Config: Group A 0x1, Group B 0xba2",
            "Memory Encryption Features active: AMD SEV",
            "hv_vmbus: Vmbus version:5.3",
            "hv_vmbus: Invalid offer 11 from the host supporting isolation");
    /** An Azure TDX CVM with a paravisor (TD partitioning): Group B type 3, shared-GPA boundary at 2^47. */
    public static final List<String> AZURE_TDX_PARAVISOR_LOG = List.of(
            "Hypervisor detected: Microsoft Hyper-V",
            "Hyper-V: privilege flags low 0xae7f, high 0x7b8030, hints 0xa0e24, misc 0xe0bed7b2",
            "Hyper-V: Isolation Config: Group A 0x1, Group B 0xbe3",
            "Memory Encryption Features active: Intel TDX",
            "hv_vmbus: Vmbus version:5.3");

    /**
     * Writes {@code <root>/dev/kmsg} as /dev/kmsg reads: one "prio,seq,usec,flags;text" record per message, numbered
     * from {@code firstSeq} (0: the log still reaches back to boot); a message's own "\n KEY=value" lines are the
     * dictionary a device message carries.
     */
    public Path kernelLog(List<String> messages, long firstSeq) throws IOException {
        StringBuilder b = new StringBuilder();
        long seq = firstSeq;
        for (String m : messages) {
            b.append("6,").append(seq).append(',').append(seq * 1731).append(",-;").append(m).append('\n');
            seq++;
        }
        Path kmsg = root.resolve("dev/kmsg");
        SysfsFixture.write(kmsg, b.toString());
        return kmsg;
    }

    /** {@link #kernelLog(List, long)} from boot. */
    public Path kernelLog(List<String> messages) throws IOException {
        return kernelLog(messages, 0);
    }

    public Path sys() {
        return root.resolve("sys");
    }

    public Path proc() {
        return root.resolve("proc");
    }

    /** The tree's {@code transport.runDir} (where {@code vmbus bind} records the drivers it found). */
    public Path run() {
        return root.resolve("run/vmbus");
    }

    public Path device(String instance) {
        return sys().resolve("bus/vmbus/devices").resolve(instance);
    }

    public Dev dev(String className) {
        return DEVICES.stream().filter(d -> d.className().equals(className)).findFirst().orElseThrow();
    }

    /**
     * One more device of {@code className}'s class (a second KVP, say), with its own instance and relid, on the
     * class's kernel driver as the tree's own device of that class is.
     */
    public Dev addDevice(String className, String instance, int relid) throws IOException {
        Dev like = dev(className);
        Dev d = new Dev(className, like.classId(), instance, relid, like.monitored(), like.subchannels(),
                like.kernelDriver());
        add(d);
        return d;
    }

    Dev byInstance(String instance) {
        return byInstance.get(instance);
    }

    /** Every device of the tree, those added by {@link #addDevice} too. */
    List<Dev> devices() {
        return List.copyOf(byInstance.values());
    }

    /** The network interface hv_netvsc makes for each NIC that has one, by instance. */
    private final Map<String, String> interfaces = new LinkedHashMap<>();

    /**
     * The NIC {@code instance} is network interface {@code name} while hv_netvsc owns it: {@code class/net/<name>}
     * with its {@code device} link to the device's directory, as register_netdev makes it; it goes when the device
     * leaves hv_netvsc and comes back (same name) when it returns.
     */
    public void netInterface(String name, String instance) throws IOException {
        interfaces.put(instance, name);
        if ("hv_netvsc".equals(driverOf(instance))) {
            linkInterface(instance);
        }
    }

    /** A network interface whose device is not on the VMBus ({@code device} links to a PCI function, as a VF's). */
    public void pciInterface(String name, String pciFunction) throws IOException {
        Path dir = sys().resolve("class/net").resolve(name);
        Files.createDirectories(dir);
        Files.createSymbolicLink(dir.resolve("device"), Path.of("../../../devices/pci0000:00/" + pciFunction));
    }

    /** {@code proc/net/route} with the IPv4 default route on {@code iface}. */
    public void defaultRoute(String iface) throws IOException {
        SysfsFixture.write(proc().resolve("net/route"), "Iface\tDestination\tGateway\tFlags\n" + iface
                + "\t00000000\t0100A8C0\t0003\n" + iface + "\t0000A8C0\t00000000\t0001\n");
    }

    private void linkInterface(String instance) throws IOException {
        Path dir = sys().resolve("class/net").resolve(interfaces.get(instance));
        Files.createDirectories(dir);
        Files.deleteIfExists(dir.resolve("device"));
        Files.createSymbolicLink(dir.resolve("device"), Path.of("../../../bus/vmbus/devices/" + instance));
    }

    /** Whether devices get a {@code driver_override} attribute (false after {@link #withoutDriverOverride}). */
    private boolean driverOverride = true;

    /**
     * A kernel without the per-device {@code driver_override} attribute (built before d765edbb301c): every device's
     * attribute goes, and devices added later have none.
     */
    public void withoutDriverOverride() throws IOException {
        driverOverride = false;
        for (Dev d : devices()) {
            Files.deleteIfExists(device(d.instance()).resolve("driver_override"));
        }
    }

    /** The driver {@code instance}'s {@code driver_override} names, or null (none set, or no such attribute). */
    public String overrideOf(String instance) throws IOException {
        Path attr = device(instance).resolve("driver_override");
        if (!Files.exists(attr)) {
            return null;
        }
        String v = Files.readString(attr).strip();
        return v.isEmpty() || v.equals("(null)") ? null : v;
    }

    /**
     * The host offers one more device of {@code className}'s class (a hot-added NIC, or a rescinded one offered
     * again): its directory with no driver and no override, as {@code vmbus_device_register} leaves it before the
     * driver core probes it ({@link SimulatedKernel#offer}).
     */
    Dev offered(String className, String instance, int relid) throws IOException {
        Dev like = dev(className);
        Dev d = new Dev(className, like.classId(), instance, relid, like.monitored(), like.subchannels(), null);
        add(d);
        return d;
    }

    /**
     * The host rescinds {@code instance}: its directory goes (and hv_netvsc's interface with it); the interface
     * name stays known, so the device offered again under that instance gets it back when hv_netvsc takes it.
     */
    public void rescind(String instance) throws IOException {
        if ("hv_netvsc".equals(driverOf(instance)) && interfaces.containsKey(instance)) {
            deleteTree(sys().resolve("class/net").resolve(interfaces.get(instance)));
        }
        deleteTree(device(instance));
        byInstance.remove(instance);
    }

    /** Removes the uio_hv_generic driver and module directories, as before {@code modprobe uio_hv_generic}. */
    public void unloadUio() throws IOException {
        deleteTree(sys().resolve("bus/vmbus/drivers").resolve(VmbusDevices.UIO_DRIVER));
        deleteTree(sys().resolve("module").resolve(VmbusDevices.UIO_DRIVER));
    }

    private void add(Dev d) throws IOException {
        byInstance.put(d.instance(), d);
        Path dev = device(d.instance());
        SysfsFixture.write(dev.resolve("class_id"), "{" + d.classId() + "}\n");
        SysfsFixture.write(dev.resolve("device_id"), "{" + d.instance() + "}\n");
        SysfsFixture.write(dev.resolve("id"), d.relid() + "\n");
        SysfsFixture.write(dev.resolve("state"), "3\n");
        if (driverOverride) {
            SysfsFixture.write(dev.resolve("driver_override"), "(null)\n");
        }
        if (d.monitored()) {
            SysfsFixture.write(dev.resolve("monitor_id"), nextMonitor + "\n");
        }
        channel(dev, d.relid(), 0, d.monitored());
        for (int i = 1; i <= d.subchannels(); i++) {
            channel(dev, d.relid() + 100 * i, i, d.monitored());
        }
        String driver = d.className().equals("fcopy") && !generation.kernelFcopy() || d.kernelDriver() == null ? null
                : d.kernelDriver();
        if (driver != null) {
            sysfs.boundTo(dev, driver);
        }
    }

    /** A channel directory with every attribute vmbus_chan_attrs lists (monitor ones only when monitored). */
    private void channel(Path dev, int relid, int index, boolean monitored) throws IOException {
        Path ch = dev.resolve("channels").resolve(Integer.toString(relid));
        Map<String, String> attrs = new LinkedHashMap<>();
        attrs.put("out_mask", "0");
        attrs.put("in_mask", "1");
        attrs.put("read_avail", "0");
        attrs.put("write_avail", "16376");
        attrs.put("cpu", "0");
        attrs.put("interrupts", Integer.toString(relid * 10));
        attrs.put("events", Integer.toString(relid * 3));
        attrs.put("intr_in_full", "0");
        attrs.put("intr_out_empty", Integer.toString(relid));
        attrs.put("out_full_first", "0");
        attrs.put("out_full_total", "0");
        attrs.put("subchannel_id", Integer.toString(index));
        if (monitored) {
            attrs.put("pending", "0");
            attrs.put("latency", "100");
            attrs.put("monitor_id", Integer.toString(nextMonitor++));
        }
        for (var e : attrs.entrySet()) {
            SysfsFixture.write(ch.resolve(e.getKey()), e.getValue() + "\n");
        }
    }

    /**
     * What a successful {@code hv_uio_probe} leaves: the {@code uio/uioN} directory, {@code class/uio/uioN/maps}
     * with map 0 (the rings, {@code ringSize} each way) and maps 1 and 2 (interrupt and monitor page): size
     * {@code PAGE_SIZE} before c951ab8fd358 (6.16), and on a 64 KiB-page kernel without 09eea7ad0b8e an offset of
     * the Hyper-V page inside its system page. Returns the uio name.
     */
    String probedByUio(String instance, long ringSize) throws IOException {
        String uio = "uio" + nextUio++;
        Path dev = device(instance);
        Files.createDirectories(dev.resolve("uio").resolve(uio));
        Path maps = sysfs.maps(uio);
        SysfsFixture.write(maps.resolve("map0/name"), "txrx_rings\n");
        SysfsFixture.write(maps.resolve("map0/size"), "0x" + Long.toHexString(2 * ringSize) + "\n");
        SysfsFixture.write(maps.resolve("map0/offset"), "0x0\n");
        // UIO_MEM_IOVA: the rings' physical address, page-aligned (alloc_pages)
        SysfsFixture.write(maps.resolve("map0/addr"), SysfsFixture.kernelAddress(0x104a00000L + nextUio * 0x1000000L));
        String[] names = {"int_page", "monitor_page"};
        for (int map = 1; map <= 2; map++) {
            long size = generation.alignedMaps ? 4096 : generation.pageSize;
            // Before 09eea7ad0b8e the pages come from kmalloc(4096): on 64 KiB pages any 4 KiB slot of a slab page
            long inPage = generation.pageSize > 4096 && !generation.alignedMaps ? 0x3000L * map : 0;
            SysfsFixture.write(maps.resolve("map" + map + "/name"), names[map - 1] + "\n");
            SysfsFixture.write(maps.resolve("map" + map + "/size"), "0x" + Long.toHexString(size) + "\n");
            SysfsFixture.write(maps.resolve("map" + map + "/addr"), SysfsFixture.kernelAddress(0xffff0000c4a00000L
                    + (long) map * generation.pageSize + inPage));
            // map_offset_show prints mem->offs, which uio_hv_generic never sets
            SysfsFixture.write(maps.resolve("map" + map + "/offset"), "0x0\n");
        }
        Dev d = byInstance.get(instance);
        try (RandomAccessFile f = new RandomAccessFile(dev.resolve("channels/" + d.relid() + "/ring").toFile(), "rw")) {
            f.setLength(2 * ringSize);
        }
        if (generation.buffersOnEveryDevice || d.className().equals("netvsc")) {
            // hv_uio_probe: the receive then the send buffer, each GPADL'd with the host, named by the handle
            sysfs.bufferMap(uio, 3, "recv:" + nextGpadl++, RECV_BUFFER_SIZE);
            sysfs.bufferMap(uio, 4, "send:" + nextGpadl++, SEND_BUFFER_SIZE);
        }
        return uio;
    }

    /** What {@code hv_uio_remove} leaves: no uio directory, no {@code class/uio/uioN}. */
    void removedByUio(String instance) throws IOException {
        Path uioDir = device(instance).resolve("uio");
        if (Files.isDirectory(uioDir)) {
            try (var s = Files.list(uioDir)) {
                for (Path p : s.toList()) {
                    deleteTree(sys().resolve("class/uio").resolve(p.getFileName().toString()));
                }
            }
            deleteTree(uioDir);
        }
        Dev d = byInstance.get(instance);
        Files.deleteIfExists(device(instance).resolve("channels/" + d.relid() + "/ring"));
    }

    void setDriver(String instance, String driver) throws IOException {
        if (interfaces.containsKey(instance)) {
            if ("hv_netvsc".equals(driver)) {
                linkInterface(instance);
            } else {
                deleteTree(sys().resolve("class/net").resolve(interfaces.get(instance)));
            }
        }
        if (driver == null) {
            Files.deleteIfExists(device(instance).resolve("driver"));
        } else {
            sysfs.boundTo(device(instance), driver);
        }
    }

    /** The driver a device's symlink names, or null. */
    public String driverOf(String instance) throws IOException {
        return VmbusDevices.currentDriver(device(instance)).orElse(null);
    }

    /** A configuration file for this tree: transport uio with these roots, plus {@code extraTransport} keys. */
    public Path config(Path file, String extraTransport) throws IOException {
        String extra = extraTransport == null || extraTransport.isEmpty() ? "" : ", " + extraTransport;
        Files.writeString(file, "{ \"transport\": { \"type\": \"uio\", \"sysfsRoot\": \"" + sys() + "\", \"procRoot\": \""
                + proc() + "\", \"devRoot\": \"" + root.resolve("dev") + "\", \"runDir\": \"" + run() + "\", \"stateDir\": \"" + root.resolve("var/lib/vmbus") + "\"" + extra + " },"
                + " \"devices\": { \"kvp\": { \"poolDir\": \"" + root.resolve("kvp") + "\" },"
                + " \"fcopy\": { \"allowedRoots\": [\"" + root.resolve("fcopy") + "\"] } } }");
        return file;
    }

    /** The {@code uioN} name of a device on uio_hv_generic. */
    public String uioOf(String instance) throws IOException {
        try (var s = Files.list(device(instance).resolve("uio"))) {
            return s.map(p -> p.getFileName().toString()).findFirst().orElseThrow();
        }
    }

    /**
     * A process in {@code proc/<pid>} (its {@code comm}, an empty {@code maps} and {@code fd/}) as procfs shows it;
     * {@code proc/self} stays the directory holding auxv, so no fixture pid is taken for the caller's own.
     */
    public Path process(long pid, String comm) throws IOException {
        Path p = proc().resolve(Long.toString(pid));
        Files.createDirectories(p.resolve("fd"));
        SysfsFixture.write(p.resolve("comm"), comm + "\n");
        if (!Files.exists(p.resolve("maps"))) {
            SysfsFixture.write(p.resolve("maps"), "55d0c0a00000-55d0c0a21000 r-xp 00000000 08:01 1234 /usr/bin/" + comm
                    + "\n7ffd1a000000-7ffd1a021000 rw-p 00000000 00:00 0 [stack]\n");
        }
        return p;
    }

    /** Process {@code pid} holds {@code /dev/<uio>} open as descriptor {@code fd} (a dangling link, as in procfs). */
    public void holdOpen(long pid, String comm, int fd, String uio) throws IOException {
        Files.createSymbolicLink(process(pid, comm).resolve("fd").resolve(Integer.toString(fd)), Path.of("/dev/" + uio));
    }

    /** Process {@code pid} maps {@code path} (one more {@code maps} line). */
    public void holdMapped(long pid, String comm, String path) throws IOException {
        Path maps = process(pid, comm).resolve("maps");
        Files.writeString(maps, "7f2a40000000-7f2a40400000 rw-s 00000000 00:06 512 " + path + "\n",
                java.nio.file.StandardOpenOption.APPEND);
    }

    /** Process {@code pid} ends: its {@code proc/<pid>} goes. */
    public void exit(long pid) throws IOException {
        deleteTree(proc().resolve(Long.toString(pid)));
    }

    /** Removes a directory tree (to model a machine without part of it). */
    public static void deleteTreeForTest(Path p) throws IOException {
        deleteTree(p);
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (var s = Files.walk(p)) {
            for (Path q : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(q);
            }
        }
    }
}
