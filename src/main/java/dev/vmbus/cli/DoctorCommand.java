package dev.vmbus.cli;

import dev.vmbus.transport.uio.admin.BufferCost;
import dev.vmbus.transport.uio.admin.ForcedBinds;
import dev.vmbus.transport.uio.admin.NetInterfaces;
import dev.vmbus.transport.uio.admin.UioBinder;
import dev.vmbus.transport.uio.admin.Diagnosis;
import dev.vmbus.transport.uio.admin.SystemView;

import dev.vmbus.bus.DeviceRegistry;
import dev.vmbus.config.TransportType;
import dev.vmbus.transport.uio.KernelFeatures;
import dev.vmbus.transport.uio.admin.ServePolicy;
import dev.vmbus.transport.uio.UioChannel;
import dev.vmbus.transport.uio.UioHolders;
import dev.vmbus.transport.uio.VmbusDevice;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.Callable;

/**
 * {@code vmbus doctor}: reads the running system (kernel, {@code uio_hv_generic}, every VMBus device) and prints,
 * per device, whether this agent can serve it on this kernel and why not, with the commands that bind it. Exit
 * status 1 when an enabled class cannot be served. Reads only; runs as any user and on fixture trees. Runs on the
 * calling thread and keeps no state.
 */
@Command(name = "doctor", mixinStandardHelpOptions = true,
        header = "What this agent can serve on this kernel, device by device.",
        description = "Read the running system (kernel release and features, uio_hv_generic, every VMBus device with "
                + "its class, instance, driver, monitor state, subchannels and ring sizes) and print, per device, "
                + "whether this agent can serve it on this kernel and why not, with the commands that bind it. "
                + "Reads only; any user may run it. Exit status 1 when an enabled class cannot be served.")
final class DoctorCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ConfOption conf;

    @Mixin
    SystemRoots roots;

    @Option(names = "--json", description = "Print the diagnosis as JSON.")
    boolean json;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        try {
            return diagnose(out);
        } finally {
            out.flush();
        }
    }

    private int diagnose(PrintWriter out) throws IOException {
        ConfigFile file = conf.file();
        SystemView view = roots.view(file.load());
        DeviceRegistry registry = DeviceRegistry.load(DeviceRegistry.sections(view.config()), TransportType.UIO);
        Diagnosis d;
        try {
            d = Diagnosis.of(view, registry.enabledClasses());
        } catch (IOException e) {
            // no VMBus here, or the kernel cannot be read: that is the diagnosis, not a crash
            KernelFeatures k = null;
            try {
                k = view.kernel();
            } catch (IOException kernelUnreadable) {
                // already said by e, or said next
            }
            if (json) {
                out.println(new JsonObject().put("kernel", k == null ? null : kernelJson(k))
                        .put("configuration", file.file().map(Path::toString).orElse(null))
                        .put("devices", new JsonArray()).put("problems", new JsonArray().add(e.getMessage()))
                        .put("ok", false).encodePrettily());
                return 1;
            }
            if (k != null) {
                out.println("kernel " + k.release() + ", page size " + k.pageSize() + " (" + k.basis() + ")");
            }
            out.println(file.describe());
            out.println("vmbus doctor: " + e.getMessage());
            return 1;
        }
        Buffers buffers = Buffers.of(view, d, registry);
        Forced forced = Forced.of(view, d, buffers);
        if (json) {
            out.println(json(d, view, buffers).put("forced", forced.json())
                    .put("configuration", file.file().map(Path::toString).orElse(null)).encodePrettily());
        } else {
            text(d, view, buffers, forced, file, out);
        }
        return d.ok() ? 0 : 1;
    }

    /**
     * The receive and send buffers (uio maps 3 and 4) per device: measured on a bound device, by kernel release on
     * the others; what the bound devices hold, and what binding the enabled, offered classes not yet bound adds.
     */
    record Buffers(Map<VmbusDevice, BufferCost.Cost> perDevice, long bound, long toBind, OptionalLong memTotal,
                   double maxPercent) {
        static Buffers of(SystemView view, Diagnosis d, DeviceRegistry registry) throws IOException {
            Map<VmbusDevice, BufferCost.Cost> per = new LinkedHashMap<>();
            Set<java.util.UUID> bindable = new HashSet<>();
            for (Diagnosis.ClassReport c : d.classes()) {
                if (c.status() == Diagnosis.Status.BINDABLE) {
                    bindable.addAll(registry.handler(c.name()).orElseThrow().classIds());
                }
            }
            long bound = 0;
            long toBind = 0;
            for (Diagnosis.DeviceReport r : d.devices()) {
                VmbusDevice dev = r.device();
                BufferCost.Cost cost = BufferCost.of(view.sysfsRoot(), d.kernel(), dev);
                per.put(dev, cost);
                if (dev.onUio()) {
                    bound += cost.bytes();
                } else if (bindable.contains(dev.classId()) && !r.leftByChoice()) {
                    toBind += cost.bytes();
                }
            }
            return new Buffers(per, bound, toBind, BufferCost.memTotal(view.procRoot()),
                    view.config().transport().maxBufferPercent());
        }

        String line(VmbusDevice dev) {
            BufferCost.Cost c = perDevice.get(dev);
            if (c.probeRefuses()) {
                return "receive/send buffers (uio maps 3, 4): none: hv_uio_probe refuses this unmonitored channel"
                        + " before it allocates them";
            }
            if (c.bytes() == 0) {
                return "receive/send buffers (uio maps 3, 4): none" + (dev.onUio() ? "" : " when bound, on this kernel");
            }
            return dev.onUio() ? "receive/send buffers (uio maps 3, 4): " + c.text() + " of guest kernel memory"
                    : "binding it makes the kernel allocate " + c.text() + " of receive/send buffers (uio maps 3, 4)";
        }

        String total() {
            long after = bound + toBind;
            return "receive/send buffers: " + BufferCost.mib(bound) + " held by bound devices" + (toBind > 0
                    ? "; binding the enabled classes not yet bound adds " + BufferCost.mib(toBind) : "")
                    + (memTotal.isPresent() ? String.format(Locale.ROOT, "; %.1f%% of MemTotal %s", 100.0 * after
                    / memTotal.getAsLong(), BufferCost.mib(memTotal.getAsLong())) : "; MemTotal unreadable")
                    + "; vmbus bind refuses above transport.maxBufferPercent (" + maxPercent + "%) without --force";
        }
    }

    /**
     * The operator's recorded {@code vmbus bind --force} decisions ({@link ForcedBinds}, under
     * {@code transport.stateDir}) and what the boot's {@code bind --enabled} would do with each on this machine now.
     *
     * @param warnings records that could not be read
     */
    record Forced(Path dir, java.util.List<ForcedBinds.AtBoot> records, java.util.List<String> warnings) {
        static Forced of(SystemView view, Diagnosis d, Buffers buffers) throws IOException {
            String state = view.config().transport().stateDir();
            java.util.List<String> warnings = new java.util.ArrayList<>();
            ForcedBinds forced = new ForcedBinds(state == null ? null : Path.of(state), warnings::add);
            double share = buffers.memTotal().isPresent()
                    ? 100.0 * (buffers.bound() + buffers.toBind()) / buffers.memTotal().getAsLong() : Double.NaN;
            java.util.List<ForcedBinds.AtBoot> records = forced.atBoot(view.sysfsRoot(), d.kernel(), d.enabledClassIds(),
                    buffers.maxPercent(), share);
            return new Forced(forced.dir(), records, java.util.List.copyOf(new java.util.LinkedHashSet<>(warnings)));
        }

        java.util.List<String> lines() {
            java.util.List<String> out = new java.util.ArrayList<>();
            if (dir == null) {
                out.add("forced binds: none (transport.stateDir is not set, so 'vmbus bind --force' records nothing)");
                return out;
            }
            out.add(records.isEmpty() ? "forced binds: none recorded in " + dir + " (no 'vmbus bind --force' for"
                    + " 'bind --enabled' to repeat at boot)" : "forced binds recorded in " + dir + " (what 'vmbus bind"
                    + " --force' accepted; 'bind --enabled', which the vmbus unit runs at every start, repeats it):");
            for (ForcedBinds.AtBoot r : records) {
                ForcedBinds.Decision d = r.decision();
                out.add("  " + dev.vmbus.channel.DeviceClass.nameOf(d.classId()) + "  class " + d.classId()
                        + "  forced " + d.at() + " on kernel " + d.kernel() + " (" + r.file().getFileName() + ")");
                d.reasons().forEach((instance, codes) -> out.add("    device " + instance + " moved despite "
                        + String.join(", ", new java.util.TreeSet<>(codes))));
                if (d.selection().chosen()) {
                    out.add("    only the device(s) --device chose: " + d.selection().describe() + "; the class's other"
                            + " devices stay on their driver");
                }
                r.gone().forEach(g -> out.add("    WARNING: chosen but not offered now, so the boot cannot bind it: "
                        + g));
                out.add("    buffers: " + (Double.isNaN(d.bufferPercent()) ? "within transport.maxBufferPercent when"
                        + " forced" : String.format(Locale.ROOT, "%.1f%% of MemTotal accepted", d.bufferPercent())));
                out.add("    at boot: " + switch (r.replay()) {
                    case BINDS -> "binds it again (the record still holds on this machine)";
                    case REFUSED -> "REFUSED, the record no longer holds on this machine ('vmbus bind "
                            + dev.vmbus.channel.DeviceClass.nameOf(d.classId()) + " --force' accepts it anew):";
                    case BUFFERS -> "binds its devices, but NOT every enabled class:";
                    case NOT_ENABLED, NO_DEVICE -> "nothing: " + r.reasons().getFirst();
                });
                if (r.replay() == ForcedBinds.Replay.REFUSED || r.replay() == ForcedBinds.Replay.BUFFERS) {
                    r.reasons().forEach(why -> out.add("      " + why));
                }
            }
            warnings.forEach(out::add);
            return out;
        }

        JsonObject json() {
            JsonArray list = new JsonArray();
            for (ForcedBinds.AtBoot r : records) {
                ForcedBinds.Decision d = r.decision();
                JsonObject devices = new JsonObject();
                d.reasons().forEach((instance, codes) -> devices.put(instance,
                        new JsonArray(new java.util.ArrayList<>(new java.util.TreeSet<>(codes)))));
                list.add(new JsonObject().put("class", dev.vmbus.channel.DeviceClass.nameOf(d.classId()))
                        .put("classId", d.classId().toString()).put("file", r.file().toString())
                        .put("devices", devices)
                        .put("bufferPercent", Double.isNaN(d.bufferPercent()) ? null : d.bufferPercent())
                        .put("kernel", d.kernel()).put("at", d.at())
                        .put("atBoot", switch (r.replay()) {
                            case BINDS -> "binds";
                            case REFUSED -> "refused";
                            case BUFFERS -> "buffersExceeded";
                            case NOT_ENABLED -> "notEnabled";
                            case NO_DEVICE -> "noDevice";
                        })
                        .put("reasons", new JsonArray(r.reasons()))
                        .put("selected", d.selected().isEmpty() ? null
                                : new JsonObject(new LinkedHashMap<>(d.selected())))
                        .put("gone", new JsonArray(r.gone())));
            }
            return new JsonObject().put("dir", dir == null ? null : dir.toString()).put("records", list)
                    .put("unreadable", new JsonArray(warnings));
        }
    }

    private static final java.util.UUID NIC = dev.vmbus.channel.DeviceClass.NETVSC.classId();

    /**
     * What serving the synthetic NIC through uio needs and costs (issue 21's real-guest part): GPA-direct packets
     * need PFNs from pagemap (root, CAP_SYS_ADMIN), no confidential VM (not known, never a yes, when the kernel log
     * could not be read), subchannels only with d062463edf17, and a warning when the guest's primary interface is
     * this device.
     */
    static java.util.List<String> nic(Diagnosis d, SystemView view, VmbusDevice dev) {
        KernelFeatures k = d.kernel();
        java.util.List<String> out = new java.util.ArrayList<>();
        out.add("serving this NIC through uio (vmbus bind netvsc --force, devices.netvsc) needs:");
        out.add("  root with CAP_SYS_ADMIN: RNDIS control messages are GPA-direct and need page frame numbers from"
                + " /proc/self/pagemap (this doctor runs as " + (UioBinder.runningAsRoot() ? "root" : "a user without it") + ")");
        out.add("  " + (k.confidential() != null ? "[no]  not a confidential VM (" + k.confidential() + ")"
                : k.confidentialUnread() != null ? "[?]   not a confidential VM: NOT KNOWN (" + k.confidentialUnread()
                + "; the kernel's confidential VM line above says how to tell)" : "[yes] not a confidential VM"));
        out.add("  " + (k.allChannelEvents() ? "[yes]" : "[no] ") + " subchannels (devices.netvsc.queues > 1) need"
                + " d062463edf17; " + dev.subchannels().size() + " offered now" + (k.allChannelEvents() ? ""
                : ": only queues 1 on this kernel"));
        out.add("  receive and send buffers (maps 3 and 4) for the NIC on every kernel since 4.16: "
                + BufferCost.mib(BufferCost.PER_DEVICE));
        for (NetInterfaces.Interface i : NetInterfaces.of(view.sysfsRoot(), view.procRoot(), dev)) {
            out.add(i.defaultRoute() ? "WARNING: " + i.name() + " is this device and carries the default route: binding"
                    + " it takes the guest's network down (on Azure, SSH with it)" : "interface " + i.name()
                    + " is this device: binding it takes " + i.name() + " away from the kernel");
        }
        return out;
    }

    /**
     * Who holds a device on {@code uio_hv_generic} ({@link UioHolders}: its {@code /dev/uioN} open or mapped, a ring
     * mapped), or null for a device on no uio node. Two holders of one ring interleave its indices (review F8).
     */
    static UioHolders.Scan holders(SystemView view, VmbusDevice dev) {
        if (dev.uio().isEmpty()) {
            return null;
        }
        try {
            return UioHolders.scan(view.procRoot(), Path.of(view.config().transport().devRoot()), dev.uio().get(),
                    dev.dir().getFileName().toString());
        } catch (IOException e) {
            return new UioHolders.Scan(java.util.List.of(), -1);
        }
    }

    /**
     * A device's {@code --device} choice: whether it was chosen, as what interface, and for a chosen one on uio what
     * holds it there ("driver_override" or "new_id"; null while it is not on uio).
     */
    private static JsonObject chosenJson(Diagnosis.Chosen c) {
        JsonObject o = new JsonObject().put("selected", c.selected()).put("interface", c.name().isEmpty() ? null
                : c.name());
        if (c.selected()) {
            o.put("heldBy", c.heldBy().isEmpty() ? null : c.heldByNewId() ? "new_id" : Diagnosis.BY_OVERRIDE);
        }
        return o;
    }

    /** The lines naming each opener of a bound device (pid and command), and what two of them mean. */
    static java.util.List<String> openers(SystemView view, VmbusDevice dev) {
        UioHolders.Scan scan = holders(view, dev);
        if (scan == null) {
            return java.util.List.of();
        }
        String node = "/dev/" + dev.uio().get();
        java.util.List<String> out = new java.util.ArrayList<>();
        if (scan.unreadable() < 0) {
            out.add("openers of " + node + ": unknown (" + view.procRoot() + " cannot be listed)");
            return out;
        }
        if (scan.holders().isEmpty()) {
            out.add("openers of " + node + ": none" + (scan.unreadable() > 0 ? " that this user can see" : ""));
        }
        for (UioHolders.Holder h : scan.holders()) {
            out.add("opened by pid " + h.pid() + " (" + h.command() + "): " + h.how());
        }
        if (scan.holders().size() > 1) {
            out.add("WARNING: " + scan.holders().size() + " processes hold " + node + ": two consumers of one ring"
                    + " interleave its indices (packets lost or duplicated); stop all but one (the agent refuses to"
                    + " open a device another process holds)");
        }
        if (scan.unreadable() > 0) {
            out.add(scan.unreadable() + " process(es) under " + view.procRoot() + " could not be read: run doctor as"
                    + " root to see every opener");
        }
        return out;
    }

    private static void text(Diagnosis d, SystemView view, Buffers buffers, Forced forced, ConfigFile file,
                             PrintWriter out) {
        KernelFeatures k = d.kernel();
        out.println("kernel " + k.release() + ", page size " + k.pageSize() + " (" + k.basis() + ")");
        out.println("  " + mark(k.slowChannels()) + " unmonitored channels, i.e. every integration service"
                + " (547fa4ffd799, " + KernelFeatures.linux(KernelFeatures.SLOW_CHANNELS_SINCE) + ")");
        out.println("  " + mark(k.allChannelEvents()) + " subchannel masking and events (d062463edf17, "
                + KernelFeatures.linux(KernelFeatures.ALL_CHANNEL_EVENTS_SINCE) + ")");
        out.println("  " + mark(k.alignedMaps()) + " interrupt and monitor pages on a page boundary (09eea7ad0b8e, "
                + KernelFeatures.linux(KernelFeatures.ALIGNED_MAPS_SINCE) + ")"
                + (k.pageSize() == 4096 ? "; moot with 4 KiB pages" : "; the agent reads maps/mapN/addr"));
        out.println("  " + mark(k.rescindSafe()) + " a rescind of an opened device does not oops the guest (fb1adbd7e50f, "
                + KernelFeatures.RESCIND_SAFE_RELEASES + ")" + (k.rescindSafe() ? ""
                : "; without it NO device is served: state transport.kernel.rescindSafe=true if this kernel carries it"));
        out.println("  confidential VM (SEV-SNP/TDX): " + (k.confidential() != null ? "YES, " + k.confidential()
                + ": uio_hv_generic maps the decrypted ring pages encrypted, so NO device is served"
                : k.confidentialUnread() != null ? "NOT KNOWN: " + k.confidentialUnread() + ", and an Azure confidential"
                + " VM with a paravisor shows neither a CPU flag nor a device; run doctor as root, look for"
                + " 'Isolation Config' in dmesg (Group B's last hex digit 0: not isolated), or run"
                + " 'systemd-detect-virt --cvm' (systemd 254+: 'none', 'sev-snp', 'tdx', ...)"
                : "no (" + dev.vmbus.transport.uio.ConfidentialVm.SOURCES + ")"));
        out.println("uio_hv_generic: " + (d.uioLoaded() ? "loaded" : "NOT loaded (modprobe uio_hv_generic)"));
        out.println();
        for (Diagnosis.DeviceReport r : d.devices()) {
            VmbusDevice dev = r.device();
            UioChannel p = dev.primary();
            out.println(dev.className() + "  class " + dev.classId() + "  instance " + dev.instanceId());
            out.println("  driver " + dev.driver().orElse("(none)") + dev.uio().map(u -> " (" + u + ")").orElse("")
                    + ", relid " + dev.primaryRelid() + ", " + (p.monitored() ? "monitored (monitor_id "
                    + p.monitorId() + ")" : "unmonitored (no monitor_id)") + ", " + dev.subchannels().size()
                    + " subchannel(s)" + (dev.map0Size().isPresent() ? ", rings 2 x " + dev.map0Size().getAsLong() / 2
                    + " bytes" : ""));
            out.println("  " + buffers.line(dev));
            openers(view, dev).forEach(l -> out.println("  " + l));
            Diagnosis.Chosen chosen = r.chosen() != null && r.chosen().selected() ? r.chosen() : null;
            if (r.leftByChoice()) {
                for (NetInterfaces.Interface i : NetInterfaces.of(view.sysfsRoot(), view.procRoot(), dev)) {
                    out.println("  interface " + i.name() + (i.defaultRoute() ? ", which carries the default route,"
                            : "") + " is this device");
                }
                out.println("  stays on " + dev.driver().orElse("no driver") + " by the operator's choice: 'vmbus bind "
                        + dev.className() + " --device' chose " + r.chosen().others() + ", and neither 'bind"
                        + " --enabled' nor the agent touches this one");
                out.println();
                continue;
            }
            if (dev.classId().equals(NIC)) {
                nic(d, view, dev).forEach(l -> out.println("  " + l));
            }
            String as = chosen == null ? "" : "chosen by 'vmbus bind " + dev.className() + " --device'"
                    + (chosen.name().isEmpty() ? "" : " as " + chosen.name());
            ServePolicy.Verdict v = r.verdict();
            if (chosen != null && dev.onUio() && v.kernelReasons().isEmpty()) {
                out.println("  ok: bound to uio_hv_generic, " + as + "; 'vmbus run --transport uio' serves it; held"
                        + " there by " + (chosen.heldByNewId() ? "" : "its own ") + chosen.heldBy());
            } else if (!v.servable()) {
                if (chosen != null) {
                    out.println("  " + as + ": the vmbus unit's 'bind --enabled' binds it again at every start");
                }
                v.reasons().stream().filter(ServePolicy.Reason::forceable)
                        .forEach(reason -> out.println("  not served: " + reason.text()));
                v.kernelReasons().forEach(reason -> out.println("  CANNOT SERVE on this kernel: " + reason.text()));
            } else if (dev.onUio()) {
                out.println("  ok: bound to uio_hv_generic; 'vmbus run --transport uio' serves it");
            } else {
                out.println("  can serve; to bind it:");
                r.commands().forEach(c -> out.println("    " + c));
            }
            out.println();
        }
        d.problems().forEach(p -> out.println("unreadable: " + p));
        out.println(buffers.total());
        out.println(hibernation(d));
        forced.lines().forEach(out::println);
        out.println(file.describe());
        out.println("enabled classes:");
        for (Diagnosis.ClassReport c : d.classes()) {
            out.println("  " + c.name() + ": " + c.text());
        }
        long bad = d.classes().stream().filter(c -> c.status() == Diagnosis.Status.CANNOT_SERVE).count();
        long unbound = d.classes().stream().filter(c -> c.status() == Diagnosis.Status.BINDABLE).count();
        if (unbound > 0) {
            out.println("WARNING: " + unbound + " enabled class(es) offered but NOT on uio_hv_generic: the agent does not"
                    + " serve them until they are bound ('vmbus bind --enabled', which the vmbus unit runs as it starts)");
        }
        out.println(d.ok() ? "result: every enabled class that is offered can be served"
                : "result: " + bad + " enabled class(es) cannot be served on this kernel" + (d.refusals().size() > bad
                ? " and a bound device is unsafe" : "") + "; 'vmbus run --transport uio' refuses to start");
    }

    /** The classes of the devices on {@code uio_hv_generic} now, one entry per device. */
    private static java.util.List<String> onUio(Diagnosis d) {
        return d.devices().stream().map(Diagnosis.DeviceReport::device).filter(VmbusDevice::onUio)
                .map(VmbusDevice::className).toList();
    }

    /**
     * Review F7: whether {@code uio_hv_generic} stands in the way of hibernation, now (any device on it) or once the
     * enabled classes offered but not yet bound are bound.
     */
    static String hibernation(Diagnosis d) {
        java.util.List<String> bound = onUio(d);
        java.util.List<String> toBind = d.classes().stream().filter(c -> c.status() == Diagnosis.Status.BINDABLE)
                .map(Diagnosis.ClassReport::name).toList();
        if (!bound.isEmpty()) {
            return "hibernation: IMPOSSIBLE while " + bound.size() + " device(s) are on uio_hv_generic ("
                    + String.join(", ", bound) + "): " + KernelFeatures.NO_HIBERNATION + "; the agent's shutdown service"
                    + " refuses the host's hibernate requests (HV_E_FAIL); 'vmbus unbind' each class to hibernate again";
        }
        if (!toBind.isEmpty()) {
            return "hibernation: possible now, but binding " + String.join(", ", toBind) + " to uio_hv_generic makes it"
                    + " impossible: " + KernelFeatures.NO_HIBERNATION;
        }
        return "hibernation: no device is on uio_hv_generic, so uio does not stand in its way";
    }

    private static String mark(boolean yes) {
        return yes ? "[yes]" : "[no] ";
    }

    /** The holders of a bound device as JSON: null for a device on no uio node or when /proc cannot be listed. */
    private static JsonObject openersJson(SystemView view, VmbusDevice dev) {
        UioHolders.Scan scan = holders(view, dev);
        if (scan == null || scan.unreadable() < 0) {
            return null;
        }
        JsonArray list = new JsonArray();
        scan.holders().forEach(h -> list.add(new JsonObject().put("pid", h.pid()).put("command", h.command())
                .put("how", h.how())));
        return new JsonObject().put("processes", list).put("unreadable", scan.unreadable());
    }

    static JsonObject json(Diagnosis d, SystemView view, Buffers buffers) {
        KernelFeatures k = d.kernel();
        JsonArray devices = new JsonArray();
        for (Diagnosis.DeviceReport r : d.devices()) {
            VmbusDevice dev = r.device();
            JsonArray reasons = new JsonArray();
            r.verdict().reasons().forEach(x -> reasons.add(new JsonObject().put("code", x.code()).put("text", x.text())
                    .put("forceable", x.forceable())));
            JsonArray subs = new JsonArray();
            dev.subchannels().forEach(s -> subs.add(new JsonObject().put("relid", s.relid()).put("index", s.subchannel())
                    .put("monitorId", s.monitored() ? s.monitorId() : null)));
            devices.add(new JsonObject().put("class", dev.className()).put("classId", dev.classId().toString())
                    .put("instanceId", dev.instanceId().toString()).put("driver", dev.driver().orElse(null))
                    .put("uio", dev.uio().orElse(null)).put("relid", dev.primaryRelid())
                    .put("monitored", dev.primary().monitored())
                    .put("monitorId", dev.primary().monitored() ? dev.primary().monitorId() : null)
                    .put("subchannels", subs)
                    .put("ringSize", dev.map0Size().isPresent() ? dev.map0Size().getAsLong() / 2 : null)
                    .put("bufferBytes", buffers.perDevice().get(dev).bytes())
                    .put("bufferMeasured", buffers.perDevice().get(dev).measured())
                    .put("servable", r.verdict().servable()).put("reasons", reasons)
                    .put("commands", new JsonArray(r.commands()))
                    .put("openers", openersJson(view, dev))
                    .put("chosen", r.chosen() == null ? null : chosenJson(r.chosen())));
        }
        JsonArray classes = new JsonArray();
        d.classes().forEach(c -> classes.add(new JsonObject().put("name", c.name())
                .put("status", c.status().name().toLowerCase()).put("text", c.text())));
        return new JsonObject()
                .put("kernel", kernelJson(k))
                .put("uioDriverLoaded", d.uioLoaded())
                .put("buffers", new JsonObject().put("boundBytes", buffers.bound()).put("toBindBytes", buffers.toBind())
                        .put("memTotalBytes", buffers.memTotal().isPresent() ? buffers.memTotal().getAsLong() : null)
                        .put("maxBufferPercent", buffers.maxPercent()))
                .put("devices", devices)
                .put("enabledClasses", classes)
                .put("hibernation", new JsonObject().put("possible", onUio(d).isEmpty())
                        .put("uioDevices", new JsonArray(onUio(d))).put("text", hibernation(d)))
                .put("problems", new JsonArray(d.problems()))
                .put("ok", d.ok());
    }

    /** The kernel's release, page size, features and where each came from, as {@code doctor --json} gives them. */
    private static JsonObject kernelJson(KernelFeatures k) {
        return new JsonObject().put("release", k.release()).put("pageSize", k.pageSize())
                .put("slowChannels", k.slowChannels()).put("allChannelEvents", k.allChannelEvents())
                .put("alignedMaps", k.alignedMaps()).put("rescindSafe", k.rescindSafe())
                .put("confidential", k.confidential()).put("confidentialUnread", k.confidentialUnread())
                .put("basis", k.basis());
    }
}
