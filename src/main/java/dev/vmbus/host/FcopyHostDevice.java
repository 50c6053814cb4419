package dev.vmbus.host;

import dev.vmbus.channel.DeviceClass;
import dev.vmbus.channel.Offer;
import dev.vmbus.ic.IcConstants;
import dev.vmbus.ic.IcMessage;
import dev.vmbus.ic.IcVersion;
import dev.vmbus.ic.fcopy.FcopyMessage;
import dev.vmbus.transport.OnContext;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.function.LongConsumer;

/**
 * The host's file copy driver ({@code Copy-VMFile}): START with the file's size, WRITEs of up to 6144 bytes in
 * offset order, COMPLETE; or CANCEL when {@link #cancel()} is called or the guest refuses a WRITE. One copy at
 * a time, one request outstanding (spec ic-protocols.md section 3.6; the sequence is inferred, no public host
 * implements it). The local file is read on a worker thread.
 */
public final class FcopyHostDevice extends IcHostDevice {
    /**
     * How a copy ended.
     *
     * @param cancelled true if {@link #cancel()} stopped it (the guest was sent CANCEL)
     */
    public record CopyResult(String guestPath, String name, long bytesSent, long writes, boolean cancelled) {
    }

    private boolean copying;
    private boolean cancelRequested;
    private long bytesSent;
    private long fileSize;
    private String current;
    private long copies;
    private LongConsumer progressHandler = b -> { };

    public FcopyHostDevice(Context context, Offer offer) {
        super(DeviceClass.FCOPY.name(), context, offer, IcConstants.MSGTYPE_FCOPY, List.of(IcVersion.of(1, 1)));
    }

    /** Called on the host context after every acknowledged WRITE with the bytes sent so far. */
    public void progressHandler(LongConsumer handler) {
        progressHandler = handler;
    }

    /**
     * Copies {@code localFile} to {@code guestPath}/{@code name} on the guest.
     *
     * @return the result; failed with {@link GuestStatusException} if the guest refused a step (after a CANCEL
     * so that it drops the partial file)
     */
    public Future<CopyResult> copy(Path localFile, String guestPath, String name, boolean overwrite, boolean createPath) {
        return OnContext.call(context, () -> {
            if (phase() != Phase.READY) {
                return Future.failedFuture("the fcopy channel is not ready (" + phase().name().toLowerCase() + ")");
            }
            if (copying) {
                return Future.failedFuture("a copy is already in progress (one at a time)");
            }
            copying = true;
            cancelRequested = false;
            bytesSent = 0;
            current = guestPath + "/" + name;
            return context.owner().executeBlocking(() -> FileChannel.open(localFile, StandardOpenOption.READ))
                    .compose(file -> run(file, guestPath, name, overwrite, createPath)
                            .eventually(() -> context.owner().executeBlocking(() -> {
                                file.close();
                                return null;
                            })))
                    .andThen(ar -> {
                        copying = false;
                        copies++;
                    });
        });
    }

    /** Asks the copy in progress to stop: CANCEL goes out after the WRITE in flight. False if none. */
    public Future<Boolean> cancel() {
        return OnContext.supply(context, () -> {
            cancelRequested = copying;
            return copying;
        });
    }

    private Future<CopyResult> run(FileChannel file, String guestPath, String name, boolean overwrite,
                                   boolean createPath) {
        int flags = (overwrite ? FcopyMessage.FLAG_OVER_WRITE : 0) | (createPath ? FcopyMessage.FLAG_CREATE_PATH : 0);
        long size;
        try {
            size = file.size();
        } catch (IOException e) {
            return Future.failedFuture(e);
        }
        fileSize = size;
        IcMessage start = newRequest(FcopyMessage.START_BODY_LENGTH);
        try {
            FcopyMessage.fillStart(start, guestPath, name, flags, size);
        } catch (IllegalArgumentException e) {
            return Future.failedFuture(e);
        }
        return step(start, "START").compose(x -> writeFrom(file, 0, 0, guestPath, name));
    }

    private Future<CopyResult> writeFrom(FileChannel file, long offset, long writes, String guestPath, String name) {
        if (cancelRequested) {
            return control(FcopyMessage.OP_CANCEL_FCOPY, "CANCEL")
                    .map(x -> new CopyResult(guestPath, name, bytesSent, writes, true));
        }
        return context.owner().executeBlocking(() -> {
            ByteBuffer chunk = ByteBuffer.allocate(FcopyMessage.DATA_FRAGMENT);
            while (chunk.hasRemaining() && file.read(chunk, offset + chunk.position()) > 0) {
                // fill the fragment unless the file ends first
            }
            return chunk.flip();
        }).compose(chunk -> {
            if (!chunk.hasRemaining()) {
                return control(FcopyMessage.OP_COMPLETE_FCOPY, "COMPLETE")
                        .map(x -> new CopyResult(guestPath, name, bytesSent, writes, false));
            }
            int n = chunk.remaining();
            IcMessage write = newRequest(FcopyMessage.writeBodyLength(n));
            FcopyMessage.fillWrite(write, offset, chunk.array(), 0, n);
            return step(write, "WRITE at " + offset).compose(x -> {
                bytesSent += n;
                progressHandler.accept(bytesSent);
                return writeFrom(file, offset + n, writes + 1, guestPath, name);
            });
        });
    }

    private Future<IcMessage> control(int op, String what) {
        IcMessage m = newRequest(FcopyMessage.CONTROL_BODY_LENGTH);
        FcopyMessage.fillControl(m, op);
        return step(m, what);
    }

    /** One request; a refusal of anything but CANCEL is followed by a CANCEL so the guest drops its data. */
    private Future<IcMessage> step(IcMessage request, String what) {
        return transact(request, IcConstants.MSGTYPE_FCOPY, DEFAULT_REPLY_TIMEOUT_MS).compose(reply -> {
            if (reply.status().isOk()) {
                return Future.succeededFuture(reply);
            }
            GuestStatusException refused = new GuestStatusException(what + " of " + current, reply.status());
            if (FcopyMessage.operation(request) == FcopyMessage.OP_CANCEL_FCOPY) {
                return Future.failedFuture(refused);
            }
            IcMessage cancel = newRequest(FcopyMessage.CONTROL_BODY_LENGTH);
            FcopyMessage.fillControl(cancel, FcopyMessage.OP_CANCEL_FCOPY);
            return transact(cancel, IcConstants.MSGTYPE_FCOPY, DEFAULT_REPLY_TIMEOUT_MS)
                    .transform(x -> Future.failedFuture(refused));
        });
    }

    @Override
    public JsonObject state() {
        JsonObject json = super.state().put("copying", copying).put("copies", copies);
        if (current != null) {
            json.put("current", current).put("bytesSent", bytesSent).put("fileSize", fileSize);
        }
        return json;
    }
}
