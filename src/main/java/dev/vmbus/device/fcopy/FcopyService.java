package dev.vmbus.device.fcopy;

import dev.vmbus.channel.HostComplaints;
import dev.vmbus.channel.HostComplaints.Kind;
import dev.vmbus.ic.IcConstants;
import dev.vmbus.ic.IcStatus;
import dev.vmbus.ic.IcMessage;
import dev.vmbus.ic.MalformedFieldException;
import dev.vmbus.ic.fcopy.FcopyMessage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.logging.Logger;

/**
 * The guest's file copy service (spec ic-protocols.md section 3.6): one copy in progress per channel, START →
 * WRITEs → COMPLETE or CANCEL, answered with the spec's status codes. Unlike Linux's UIO daemon it implements
 * CANCEL, decodes names as UTF-16, keeps targets inside the allowed roots, refuses writes past the announced
 * size (or {@code maxFileBytes} when none is announced) and bigger than {@code DATA_FRAGMENT}, and only renames
 * the data into place on COMPLETE. Blocking: run on a worker, one message at a time.
 */
final class FcopyService {
    private static final Logger LOG = Logger.getLogger(FcopyService.class.getName());
    private static final int HISTORY = 20;

    private final FcopySettings settings;
    private final TargetResolver resolver;
    private final PartialFile.Opener opener;
    private final Map<Integer, Transfer> active = new HashMap<>();
    private final Deque<Transfer> finished = new ArrayDeque<>();
    /** What {@link #transfers()} shows, published after every change so the event loop never waits for a worker. */
    private volatile List<Transfer.View> snapshot = List.of();
    /** Whether {@link #active} is not empty, published with {@link #snapshot}. */
    private volatile boolean copying;

    private final HostComplaints complaints;

    FcopyService(FcopySettings settings, PartialFile.Opener opener, HostComplaints complaints) {
        this.settings = settings;
        this.complaints = complaints;
        this.resolver = new TargetResolver(settings.allowedRoots());
        this.opener = opener;
    }

    /** Creates missing roots, so that the default {@code data/fcopy} works out of the box. */
    void createRoots() throws IOException {
        for (Path root : settings.allowedRoots()) {
            Files.createDirectories(root);
        }
    }

    /** How deep, and over how many entries per root, {@link #removeLeftovers} looks. */
    static final int LEFTOVER_DEPTH = 16;
    static final int LEFTOVER_ENTRIES = 100_000;

    /**
     * Removes the temporary files of copies an agent that died left behind (a crash, the watchdog, a stop cut
     * short): {@code .vmbus-fcopy-*.part} under each allowed root, last written before {@code before} (this
     * process's copies are younger), without following links; at most {@link #LEFTOVER_DEPTH} deep and
     * {@link #LEFTOVER_ENTRIES} entries per root, so a large root costs a bounded walk at start. Returns how many
     * went. Blocking.
     */
    int removeLeftovers(Instant before) {
        int removed = 0;
        for (Path root : settings.allowedRoots()) {
            int[] seen = {0};
            List<Path> stale = new ArrayList<>();
            try {
                Files.walkFileTree(root, Set.of(), LEFTOVER_DEPTH, new SimpleFileVisitor<>() {
                    @Override
                    public FileVisitResult visitFile(Path file,
                                                                  BasicFileAttributes a) {
                        String name = file.getFileName().toString();
                        if (a.isRegularFile() && name.startsWith(PartialFile.TEMP_PREFIX) && name.endsWith(".part")
                                && a.lastModifiedTime().toInstant().isBefore(before)) {
                            stale.add(file);
                        }
                        return ++seen[0] < LEFTOVER_ENTRIES ? FileVisitResult.CONTINUE
                                : FileVisitResult.TERMINATE;
                    }

                    @Override
                    public FileVisitResult visitFileFailed(Path file, IOException e) {
                        return FileVisitResult.CONTINUE; // unreadable: not ours to judge
                    }
                });
            } catch (IOException e) {
                LOG.warning("fcopy: could not look for leftover copies under " + root + ": " + e.getMessage());
            }
            for (Path file : stale) {
                try {
                    Files.deleteIfExists(file);
                    removed++;
                } catch (IOException e) {
                    LOG.warning("fcopy: could not remove the leftover copy " + file + ": " + e.getMessage());
                }
            }
            if (!stale.isEmpty()) {
                LOG.info("fcopy: removed " + stale.size() + " temporary file(s) of copies an earlier agent left under "
                        + root);
            }
        }
        return removed;
    }

    /** Answers {@code m} in place and returns the status written. */
    synchronized IcStatus handle(int relid, IcMessage m) {
        IcStatus status = answer(relid, m);
        m.status(status);
        publish();
        return status;
    }

    private IcStatus answer(int relid, IcMessage m) {
        if (m.msgType() != IcConstants.MSGTYPE_FCOPY) {
            return IcConstants.E_FAIL; // the daemon's answer to any other message type
        }
        if (m.length() < FcopyMessage.COMMON_END) {
            complaints.report(relid, Kind.SHORT_MESSAGE,
                    () -> "fcopy: message of " + m.length() + " bytes is shorter than the common header");
            return IcConstants.E_FAIL;
        }
        int op = FcopyMessage.operation(m);
        try {
            return switch (op) {
                case FcopyMessage.OP_START_FILE_COPY -> start(relid, m);
                case FcopyMessage.OP_WRITE_TO_FILE -> write(relid, m);
                case FcopyMessage.OP_COMPLETE_FCOPY -> complete(relid);
                case FcopyMessage.OP_CANCEL_FCOPY -> cancel(relid);
                default -> throw new CopyRefused(IcConstants.E_FAIL, "unknown operation " + op);
            };
        } catch (CopyRefused e) {
            complaints.report(relid, Kind.REFUSED_REQUEST, () -> "fcopy: " + e.getMessage());
            return e.status();
        }
    }

    private IcStatus start(int relid, IcMessage m) throws CopyRefused {
        if (m.length() < FcopyMessage.START_END) {
            throw new CopyRefused(IcConstants.E_FAIL, "START of " + m.length() + " bytes is short");
        }
        end(relid, "abandoned"); // a new START replaces a copy the host never finished
        String name;
        String dir;
        try {
            name = FcopyMessage.fileName(m);
            dir = FcopyMessage.pathName(m);
        } catch (MalformedFieldException e) {
            throw new CopyRefused(IcConstants.E_FAIL, "START with a malformed name: " + e.getMessage());
        }
        int flags = FcopyMessage.copyFlags(m);
        long size = FcopyMessage.fileSize(m);
        if (Long.compareUnsigned(size, settings.maxFileBytes()) > 0) {
            throw new CopyRefused(IcConstants.E_FAIL, "file of " + Long.toUnsignedString(size)
                    + " bytes is larger than maxFileBytes " + settings.maxFileBytes());
        }
        boolean overwrite = (flags & FcopyMessage.FLAG_OVER_WRITE) != 0;
        try {
            Path target = resolver.resolve(dir, name, (flags & FcopyMessage.FLAG_CREATE_PATH) != 0);
            if (!overwrite && Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                throw new CopyRefused(IcConstants.ERROR_ALREADY_EXISTS, target + " exists and OVER_WRITE is not set");
            }
            if (size > Files.getFileStore(target.getParent()).getUsableSpace()) {
                throw new CopyRefused(IcConstants.ERROR_DISK_FULL, "no room for " + size + " bytes at " + target);
            }
            long limit = size > 0 ? size : settings.maxFileBytes();
            active.put(relid, new Transfer(relid, PartialFile.create(target, opener), overwrite, size, limit));
            LOG.info("fcopy: receiving " + target + " (" + size + " bytes announced)");
            return IcConstants.S_OK;
        } catch (IOException e) {
            throw new CopyRefused(status(e), "cannot start a copy to " + dir + "/" + name + ": " + e);
        }
    }

    private IcStatus write(int relid, IcMessage m) throws CopyRefused {
        Transfer t = active.get(relid);
        if (t == null) {
            throw new CopyRefused(IcConstants.E_FAIL, "WRITE without a copy in progress");
        }
        // every refused WRITE ends the copy: the host cannot rely on a file with a hole or a missing piece
        if (m.length() < FcopyMessage.WRITE_DATA) { // offset and size are read from [68, 80)
            fail(t, "WRITE in a " + m.length() + "-byte message, shorter than its " + FcopyMessage.WRITE_DATA
                    + "-byte header", IcConstants.E_FAIL);
        }
        long offset = FcopyMessage.writeOffset(m);
        long size = FcopyMessage.writeSize(m);
        if (size > FcopyMessage.DATA_FRAGMENT || m.length() < FcopyMessage.WRITE_DATA + size) {
            fail(t, "WRITE of " + size + " bytes in a " + m.length() + "-byte message (at most "
                    + FcopyMessage.DATA_FRAGMENT + ")", IcConstants.E_FAIL);
        }
        if (offset < 0 || offset > t.limit - size) {
            fail(t, "WRITE of " + size + " bytes at " + Long.toUnsignedString(offset) + " goes past "
                    + (t.announced > 0 ? "the announced size " : "maxFileBytes ") + t.limit, IcConstants.E_FAIL);
        }
        try {
            t.file.write(offset, ByteBuffer.wrap(m.bytes(), FcopyMessage.WRITE_DATA, (int) size));
        } catch (IOException e) {
            fail(t, "writing " + t.file.target() + " failed: " + e, status(e));
        }
        t.bytes += size;
        t.writes++;
        t.touched = System.nanoTime();
        return IcConstants.S_OK;
    }

    private IcStatus complete(int relid) throws CopyRefused {
        Transfer t = active.get(relid);
        if (t == null) {
            throw new CopyRefused(IcConstants.E_FAIL, "COMPLETE without a copy in progress");
        }
        try {
            t.file.commit(t.overwrite);
        } catch (FileAlreadyExistsException e) {
            fail(t, t.file.target() + " appeared during the copy and OVER_WRITE is not set",
                    IcConstants.ERROR_ALREADY_EXISTS);
        } catch (IOException e) {
            fail(t, "completing " + t.file.target() + " failed: " + e, status(e));
        }
        active.remove(relid);
        t.outcome = "completed";
        remember(t);
        LOG.info("fcopy: received " + t.file.target() + " (" + t.bytes + " bytes)");
        return IcConstants.S_OK;
    }

    private IcStatus cancel(int relid) {
        end(relid, "cancelled"); // nothing in progress is fine: the legacy daemon also answered 0
        return IcConstants.S_OK;
    }

    private void fail(Transfer t, String why, IcStatus status) throws CopyRefused {
        end(t.relid, "failed");
        throw new CopyRefused(status, why);
    }

    /** Ends the copy in progress on {@code relid}, if any, deleting its data. */
    synchronized void end(int relid, String outcome) {
        Transfer t = active.remove(relid);
        if (t != null) {
            t.file.discard();
            t.outcome = outcome;
            remember(t);
            publish();
        }
    }

    /** Whether a copy is in progress on any channel; any thread (the last published state). */
    boolean copying() {
        return copying;
    }

    /** Ends every copy idle for longer than {@code idleNanos} (the host went away without CANCEL). */
    synchronized void endIdle(long idleNanos) {
        long now = System.nanoTime();
        for (Transfer t : new ArrayList<>(active.values())) {
            if (now - t.touched > idleNanos) {
                LOG.warning("fcopy: abandoning " + t.file.target() + " after no message for a while");
                end(t.relid, "abandoned");
            }
        }
    }

    synchronized void endAll(String outcome) {
        new ArrayList<>(active.keySet()).forEach(relid -> end(relid, outcome));
    }

    private void remember(Transfer t) {
        finished.addFirst(t);
        while (finished.size() > HISTORY) {
            finished.removeLast();
        }
    }

    private void publish() {
        List<Transfer.View> out = new ArrayList<>();
        active.values().forEach(t -> out.add(t.view()));
        finished.forEach(t -> out.add(t.view()));
        snapshot = List.copyOf(out);
        copying = !active.isEmpty();
    }

    /** Copies in progress, then the most recent finished ones, as of the last message. */
    List<Transfer.View> transfers() {
        return snapshot;
    }

    /** ENOSPC and EDQUOT give the disk-full status; Java reports them only through the message. */
    static IcStatus status(IOException e) {
        String text = String.valueOf(e.getMessage());
        return text.contains("No space left on device") || text.contains("Disk quota exceeded")
                ? IcConstants.ERROR_DISK_FULL : IcConstants.E_FAIL;
    }
}
