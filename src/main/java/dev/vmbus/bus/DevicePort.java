package dev.vmbus.bus;

import dev.vmbus.channel.EndReason;
import dev.vmbus.channel.Packet;
import dev.vmbus.runtime.ChannelDriver;
import dev.vmbus.spi.ChannelPort;
import dev.vmbus.spi.DeviceChannel;
import dev.vmbus.spi.OutboundPacket;
import dev.vmbus.spi.SendSections;
import dev.vmbus.transport.ChannelBuffer;
import dev.vmbus.transport.OnContext;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.util.function.Supplier;

/**
 * A device's direct line to one open channel (see {@link ChannelPort}), as {@link ChannelVerticle} hands it over
 * at attach: completions, sends and ends run on the channel's context, whichever thread calls; the channel's
 * send sections are made once, on first ask.
 */
final class DevicePort implements ChannelPort {
    private final String handlerName;
    private final Context context;
    private final DeviceChannel resources;
    /** The channel's driver, set on the channel's context once it runs; read only there. */
    private ChannelDriver driver;
    private SendSections sections;

    DevicePort(String handlerName, Context context, DeviceChannel resources) {
        this.handlerName = handlerName;
        this.context = context;
        this.resources = resources;
    }

    /** The channel runs: packets may go out. On the channel's context. */
    void driver(ChannelDriver driver) {
        this.driver = driver;
    }

    @Override
    public DeviceChannel channel() {
        return resources;
    }

    @Override
    public Context context() {
        return context;
    }

    @Override
    public Future<Void> complete(Packet request, byte[] payload) {
        if (Vertx.currentContext() == context && driver != null) {
            try { // a batch handler completing on its own context: no task, no lambda (once per packet)
                return driver.complete(request, payload);
            } catch (RuntimeException e) {
                return Future.failedFuture(e);
            }
        }
        return here(() -> driver.complete(request, payload));
    }

    @Override
    public Future<Void> send(OutboundPacket p) {
        return here(() -> driver.send(p.payload(), p.transactionId(), p.type(), p.flags(), p.transferPages(),
                p.gpaRanges()));
    }

    @Override
    public Future<Void> end(String reason) {
        return here(() -> {
            driver.end(EndReason.of(EndReason.Kind.HANDLER_FAILED, "handler '" + handlerName + "': " + reason));
            return Future.succeededFuture();
        });
    }

    @Override
    public Future<Void> close(String reason) {
        return here(() -> driver.close(EndReason.of(EndReason.Kind.CLOSED, "handler '" + handlerName + "': "
                + reason)));
    }

    @Override
    public synchronized SendSections sendSections(int sectionSize) {
        if (sections == null) {
            ChannelBuffer send = resources.buffer(ChannelBuffer.Kind.SEND).orElseThrow(() ->
                    new IllegalStateException("channel " + resources.relid() + " has no send buffer"));
            sections = new SendSections(send, sectionSize);
        } else if (sections.sectionSize() != sectionSize) {
            throw new IllegalStateException("channel " + resources.relid() + " already has send sections of "
                    + sections.sectionSize() + " bytes, not " + sectionSize);
        }
        return sections;
    }

    synchronized SendSections.Use sectionUse() {
        return sections != null ? sections.use() : null;
    }

    /** Runs {@code action} on this channel's context (now if already there); its failure, thrown or not, fails. */
    private <T> Future<T> here(Supplier<Future<T>> action) {
        return Vertx.currentContext() == context ? run(action) : OnContext.call(context, () -> run(action));
    }

    private <T> Future<T> run(Supplier<Future<T>> action) {
        if (driver == null) {
            return Future.failedFuture(new IllegalStateException("channel " + resources.relid() + " is not open yet"));
        }
        try {
            return action.get();
        } catch (RuntimeException e) {
            return Future.failedFuture(e);
        }
    }
}
