package dev.vmbus.transport.uio;

import dev.vmbus.channel.EndReason;
import dev.vmbus.channel.Offer;
import dev.vmbus.transport.ChannelLink;
import dev.vmbus.transport.GuestMemory;
import dev.vmbus.transport.GuestTransport;
import dev.vmbus.transport.OfferListener;
import dev.vmbus.transport.OnContext;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.logging.Logger;

/**
 * The guest end on a real Hyper-V guest: channels of devices bound to {@code uio_hv_generic}, found in sysfs,
 * mapped with the FFM API, interrupted through {@code /dev/uioN} (spec vmbus-ring.md section 5).
 *
 * <p>Threads: offers, device lines and links are managed on the context given to {@link #start}; sysfs scans,
 * opens and mmaps run on workers; one {@link InterruptThread} waits for every device's interrupts and hands
 * them to each channel's own context; one {@link KickThread} makes every {@code write(1)} (it can sleep on a
 * kernel mutex); a device's descriptor is closed on a thread of its own (the kernel's GPADL teardown waits on the
 * host). No event loop blocks, and no device's close holds another's interrupts.
 *
 * <p>Kernel generations: what is offered, how each channel is kicked and where maps 1 and 2 start are decided
 * from {@link UioOptions#kernel()} ({@link KernelLimits}, {@link MappedChannel}, {@link DeviceLine}).
 *
 * <p>Rescind: the first EIO or POLLERR unmaps every ring of the device on the interrupt thread, before the
 * channels' owners hear of it ({@link DeviceLine#lost}); the device's instance is then not offered again until the
 * kernel registers it anew ({@link UioDiscovery#registration}) or it leaves sysfs. This is a mitigation, not a
 * guarantee (kernel review F3): {@code hv_uio_rescind} frees the ring pages synchronously, before userspace can
 * see the EIO, and the uio mappings ({@code remap_pfn_range}, {@code VM_PFNMAP}) hold no page reference, so a
 * store the event loop makes in that window (an {@code interrupt_mask} store, a {@code read_index} commit, a reply)
 * can land in pages the kernel has already reused. No userspace code can close that window.
 *
 * <p>Masking: the channel's driver masks, drains, unmasks and re-checks in the RX header itself (spec 2.7).
 * That is the same field {@code write()} on {@code /dev/uioN} sets, and older kernels also set it to 1 on every
 * interrupt; our unmask after each drain clears that, and the re-check after it catches what arrived while
 * masked (the lost wake-up fixed by b15b7d2a1b09 cannot happen). {@code write(1)} is sent only as a kick, when
 * the ring rules say the host must be signalled, because it also signals the host and needless signals can get
 * a guest throttled.
 */
public final class UioGuest implements GuestTransport {
    private static final Logger LOG = Logger.getLogger(UioGuest.class.getName());

    /** A channel found by a scan; {@code registration} tells a re-registered device from the one before. */
    private record Known(UioDevice device, UioChannel channel, Offer offer, String registration) {
    }

    private final Vertx vertx;
    private final UioOptions options;
    private final UioNodes nodes;
    private final UioDiscovery discovery;
    private final int headerSize;
    private final Map<Integer, Known> known = new HashMap<>();
    private final Map<UUID, Future<DeviceLine>> lines = new HashMap<>();
    private final Map<Integer, UioLink> links = new HashMap<>();
    /** Devices lost to a rescind, by instance, with the registration that was lost (not served again). */
    private final Map<UUID, String> rescinded = new HashMap<>();
    private final Set<String> reported = new HashSet<>();
    /** Why each refused channel is not offered, by relid: written by scans (workers), read by open(). */
    private final Map<Integer, String> refused = new java.util.concurrent.ConcurrentHashMap<>();
    private Context context;
    private OfferListener listener;
    private InterruptThread interrupts;
    private KickThread kicks;
    private long timer = -1;
    private boolean closing;
    private volatile PinnedGuestMemory pinned;

    /**
     * On a real guest: sysfs at {@code options.sysfsRoot()}, device nodes in {@code devRoot}, other openers looked
     * for under {@code /proc}.
     */
    public UioGuest(Vertx vertx, UioOptions options, Path devRoot) {
        this(vertx, options, UioNodes.devices(devRoot, Path.of("/proc")));
    }

    /** With another source of interrupt lines and maps (a fixture tree in tests). */
    public UioGuest(Vertx vertx, UioOptions options, UioNodes nodes) {
        this.vertx = vertx;
        this.options = options;
        this.nodes = nodes;
        this.discovery = new UioDiscovery(options.sysfsRoot());
        this.headerSize = options.kernel().pageSize(); // hv_ringbuffer_init: the header is one kernel page
    }

    @Override
    public String name() {
        return "uio";
    }

    /**
     * Pinned pages with PFNs from {@code /proc/self/pagemap}: root ({@code CAP_SYS_ADMIN}) only, and never on a
     * confidential VM ({@link PinnedGuestMemory}); otherwise unavailable with the reason.
     */
    @Override
    public GuestMemory guestMemory() {
        PinnedGuestMemory m = pinned;
        if (m == null) {
            m = new PinnedGuestMemory(Path.of("/proc"), options.kernel().pageSize(), options.kernel().confidential());
            pinned = m;
        }
        return m;
    }

    @Override
    public Future<Void> start(Context context, OfferListener listener) {
        this.context = context;
        this.listener = listener;
        return OnContext.call(context, () -> {
            try {
                interrupts = new InterruptThread("vmbus-uio-interrupts", nodes::closeInterrupt);
            } catch (IOException e) {
                return Future.failedFuture(new IOException("cannot start the uio interrupt thread: " + e.getMessage(), e));
            }
            kicks = new KickThread("vmbus-uio-kicks");
            return rescan().onSuccess(x -> timer = vertx.setPeriodic(options.rescanIntervalMs(), t -> rescan()));
        });
    }

    /** Scans sysfs on a worker, then reports new and vanished channels on our context. */
    private Future<Void> rescan() {
        return vertx.executeBlocking(this::findOffers).onComplete(ar -> {
            if (ar.failed()) {
                report("uio: sysfs scan failed: " + ar.cause().getMessage());
            } else if (!closing) {
                apply(ar.result());
            }
        }).mapEmpty();
    }

    /**
     * Worker: every channel with its offer. Never waits: a subchannel whose {@code ring} file is not there yet
     * (or never will be: its {@code vmbus_open} failed) is skipped and looked at again on the next rescan, and
     * a channel this kernel cannot serve safely is refused with the reason ({@link KernelLimits}).
     */
    private List<Known> findOffers() throws IOException {
        UioDiscovery.Scan scan = discovery.scan();
        scan.problems().forEach(p -> report("uio: device skipped: " + p));
        List<Known> found = new ArrayList<>();
        for (UioDevice device : scan.devices()) {
            device.bufferProblems().forEach(p -> report("uio: " + device.uio() + ": " + p));
            String registration;
            try {
                registration = UioDiscovery.registration(device);
            } catch (IOException e) {
                report("uio: " + device.uio() + " skipped: " + e.getMessage());
                continue;
            }
            for (UioChannel channel : device.device().channels()) {
                String refusal = KernelLimits.refusal(options.kernel(), channel, device.uio());
                if (refusal != null) {
                    refused.put(channel.relid(), refusal);
                    report("uio: " + refusal);
                    continue;
                }
                refused.remove(channel.relid());
                try {
                    long memory = channel.subchannel() == 0 ? device.map0Size()
                            : UioDiscovery.ringSizeNow(channel.ringFile());
                    if (memory < 0) {
                        report("uio: subchannel " + channel.relid() + " of " + device.uio() + " not offered yet: "
                                + channel.ringFile() + " does not exist (the kernel creates it once the subchannel"
                                + " is open); looking again on every rescan");
                        continue;
                    }
                    found.add(new Known(device, channel, new Offer(channel.relid(), device.device().classId(),
                            device.device().instanceId(), channel.subchannel(), (int) (memory / 2)), registration));
                } catch (IOException | IllegalArgumentException e) {
                    report("uio: channel " + channel.relid() + " of " + device.uio() + " not offered yet: "
                            + e.getMessage());
                }
            }
        }
        return found;
    }

    private void report(String problem) {
        synchronized (reported) {
            if (reported.add(problem)) { // once per distinct problem, not once per rescan
                LOG.warning(problem);
            }
        }
    }

    private void apply(List<Known> found) {
        Map<Integer, Known> now = new HashMap<>();
        Map<UUID, String> present = new HashMap<>();
        for (Known k : found) {
            UUID instance = k.offer().instanceId();
            present.put(instance, k.registration());
            String lost = rescinded.get(instance);
            if (lost != null && !lost.equals(k.registration())) {
                // Re-offered with the same instance GUID: the kernel unregistered the lost device and registered
                // a new one (new sysfs directory, possibly a new uioN). That one is served.
                rescinded.remove(instance);
                lost = null;
            }
            if (lost == null) {
                now.put(k.offer().relid(), k);
            }
        }
        rescinded.keySet().retainAll(present.keySet()); // a rescinded device that left sysfs may come back
        for (Integer relid : new ArrayList<>(known.keySet())) {
            Known k = now.get(relid);
            Known before = known.get(relid);
            if (k == null || !k.offer().equals(before.offer()) || !k.registration().equals(before.registration())) {
                gone(relid, "channel " + relid + " is no longer in " + discovery.devicesDir()
                        + (k != null ? " as it was (the device was registered again)" : ""));
            }
        }
        now.forEach((relid, k) -> {
            if (!known.containsKey(relid)) {
                known.put(relid, k);
                listener.offered(k.offer());
            }
        });
    }

    private void gone(int relid, String reason) {
        known.remove(relid);
        UioLink link = links.get(relid);
        if (link != null) {
            link.lost(EndReason.of(EndReason.Kind.HOST_RESCINDED, reason));
        }
        listener.rescinded(relid);
    }

    @Override
    public Future<ChannelLink> open(Offer offer, Context ownerContext) {
        Context owner = ownerContext != null ? ownerContext : context;
        // Worked out on the transport's context, completed on the owner's (GuestTransport.open).
        return OnContext.deliver(owner, OnContext.call(context, () -> {
            Known k = known.get(offer.relid());
            if (k == null || closing) {
                String why = refused.get(offer.relid());
                return Future.failedFuture(new IllegalStateException("relid " + offer.relid() + " is not offered by any uio device"
                        + " under " + discovery.devicesDir() + (why != null ? ": " + why : "")));
            }
            if (links.containsKey(offer.relid())) {
                return Future.failedFuture(new IllegalStateException("relid " + offer.relid() + " is already open"));
            }
            UUID instance = k.offer().instanceId();
            Future<DeviceLine> line = lines.computeIfAbsent(instance, id -> vertx.executeBlocking(() -> openLine(k)));
            return line.onFailure(e -> lines.remove(instance, line))
                    .compose(l -> {
                        l.opening++; // keeps the descriptor open while this channel is being mapped
                        return vertx.executeBlocking(() -> MappedChannel.map(k.offer(), k.channel(), l, nodes,
                                        discovery, headerSize, options.ringWaitMs(), options.kernel(), kicks))
                                .map(m -> attach(k, l, m, owner))
                                .onComplete(ar -> {
                                    l.opening--;
                                    retireIfIdle(l);
                                });
                    });
        }));
    }

    /** Worker: opens the device's interrupt line and starts watching it. */
    private DeviceLine openLine(Known k) throws IOException {
        UioDevice device = k.device();
        int fd = nodes.openInterrupt(device);
        DeviceLine line = new DeviceLine(device, k.registration(), fd,
                (l, reason) -> context.runOnContext(v -> lineLost(l, reason)));
        try {
            interrupts.add(fd, line);
        } catch (IOException e) {
            nodes.closeInterrupt(fd); // a worker: this close may wait on the host like any other
            throw e;
        }
        LOG.info("uio: " + device.uio() + " (" + device.device().instanceId() + ") open");
        return line;
    }

    private ChannelLink attach(Known k, DeviceLine line, MappedChannel mapped, Context owner) {
        UioLink link = new UioLink(k.offer(), mapped.memory(), mapped.buffers(), mapped.arena(), headerSize, owner,
                mapped.kick(),
                closed -> context.runOnContext(v -> linkClosed(line, closed)));
        // Added before looking at isLost: DeviceLine.lost sets it before reading links, so either it revokes
        // this link or this sees it lost (both volatile), and no link stays mapped once the rescind is seen (the
        // kernel may free the pages before that: see the class comment).
        line.links.add(link);
        if (line.isLost() || closing || links.containsKey(k.offer().relid())) {
            line.links.remove(link);
            link.close();
            throw new IllegalStateException("channel " + k.offer().relid() + " went away while it was opened"
                    + (line.isLost() ? ": " + line.lostReason() : ""));
        }
        links.put(k.offer().relid(), link);
        // The host may have written before this link existed and will not interrupt a non-empty ring: the
        // driver looks at the ring when it attaches, so nothing is lost here.
        return link;
    }

    private void linkClosed(DeviceLine line, UioLink link) {
        line.links.remove(link);
        links.remove(link.offer().relid(), link);
        retireIfIdle(line);
    }

    /** Closes the device's descriptor once none of its channels is open (the kernel then closes the channel). */
    private void retireIfIdle(DeviceLine line) {
        if (!line.links.isEmpty() || line.opening > 0 || line.retired) {
            return;
        }
        line.retired = true;
        Future<DeviceLine> current = lines.get(line.device.device().instanceId());
        if (current != null && current.result() == line) {
            lines.remove(line.device.device().instanceId());
        }
        line.unmapPages();
        kicks.retire(line, interrupts); // after every kick already queued for this descriptor
    }

    /** The device's interrupt line failed (EIO: rescinded): every channel of it is gone. */
    private void lineLost(DeviceLine line, String reason) {
        UUID instance = line.device.device().instanceId();
        LOG.warning("uio: " + line.device.uio() + " (" + instance + "): " + reason);
        Future<DeviceLine> current = lines.get(instance);
        if (current != null && current.result() == line) {
            lines.remove(instance);
        }
        rescinded.put(instance, line.registration); // a scan that finds another registration clears it
        for (Known k : new ArrayList<>(known.values())) {
            // Only the registration that was lost: a re-offer a scan already found (same instance, new uioN) stays.
            if (k.offer().instanceId().equals(instance) && k.registration().equals(line.registration)) {
                gone(k.offer().relid(), reason);
            }
        }
        retireIfIdle(line);
    }

    @Override
    public Future<Void> close() {
        return OnContext.call(context, () -> {
            closing = true;
            if (timer >= 0) {
                vertx.cancelTimer(timer);
            }
            List<Future<Void>> detached = new ArrayList<>();
            for (UioLink link : new ArrayList<>(links.values())) {
                detached.add(link.lost(EndReason.of(EndReason.Kind.TRANSPORT_CLOSED, "the uio transport is closing")));
            }
            return Future.join(detached).eventually(() -> vertx.executeBlocking(() -> {
                if (kicks != null) {
                    kicks.close(); // writes what is queued, hands back what was retired
                }
                if (interrupts != null) {
                    interrupts.close(); // closes every descriptor still open
                }
                return null;
            })).<Void>mapEmpty().otherwiseEmpty(); // closing always succeeds
        });
    }
}
