package dev.vmbus.transport.shm;

import dev.vmbus.channel.Offer;
import dev.vmbus.transport.BufferHostLogic;
import dev.vmbus.transport.HostTransport;
import dev.vmbus.transport.SharedGuestMemory;
import io.vertx.core.Context;
import io.vertx.core.Vertx;

import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A host process for the shm buffer tests: serves {@code args[0]} with {@code args[1]} bytes of guest memory and
 * one channel (relid 9, 16 KiB rings) with a receive buffer of {@code args[2]} and a send buffer of
 * {@code args[3]} bytes, answering {@link BufferHostLogic}'s commands (subchannels included); prints {@code READY} when listening.
 */
public final class BufferHostMain {
    public static final UUID CLASS_ID = UUID.fromString("4b1f3d2a-77e1-4f0e-8a55-3c1d2e3f4051");

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        long memory = Long.parseLong(args[1]);
        HostTransport.Buffers buffers = new HostTransport.Buffers(Long.parseLong(args[2]), Long.parseLong(args[3]));
        Vertx vertx = Vertx.vertx();
        Context context = vertx.getOrCreateContext();
        context.runOnContext(v -> {
            ShmHost host = new ShmHost(vertx, dir);
            AtomicReference<SharedGuestMemory> ram = new AtomicReference<>();
            BufferHostLogic logic = new BufferHostLogic(context, ram::get);
            logic.transport = host;
            host.start()
                    .compose(x -> host.guestMemory(memory)).onSuccess(ram::set)
                    .compose(x -> host.offer(new Offer(9, CLASS_ID, UUID.randomUUID(), 0, 4 * 4096), buffers, logic))
                    .onSuccess(x -> System.out.println("READY"))
                    .onFailure(e -> {
                        e.printStackTrace();
                        System.exit(2);
                    });
        });
        Thread.currentThread().join();
    }
}
