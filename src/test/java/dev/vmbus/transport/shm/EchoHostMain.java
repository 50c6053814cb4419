package dev.vmbus.transport.shm;

import dev.vmbus.channel.Offer;
import dev.vmbus.transport.EchoHostLogic;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.nio.file.Path;
import java.util.UUID;
import java.util.stream.IntStream;

/**
 * A host process for the shm tests: serves {@code args[0]} with {@code args[2]} (default 1) echo channels
 * (relids 7, 8, ..., ring size {@code args[1]}), prints {@code READY} when listening, and runs until killed.
 */
public final class EchoHostMain {
    public static final UUID CLASS_ID = UUID.fromString("6e0c2a61-3c3c-4c0e-9a37-5d0c1d2e3f40");

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int ringSize = Integer.parseInt(args[1]);
        int channels = args.length > 2 ? Integer.parseInt(args[2]) : 1;
        Vertx vertx = Vertx.vertx();
        Context context = vertx.getOrCreateContext();
        context.runOnContext(v -> {
            ShmHost host = new ShmHost(vertx, dir);
            EchoHostLogic logic = new EchoHostLogic(context);
            host.start()
                    .compose(x -> Future.all(IntStream.range(0, channels)
                            .mapToObj(i -> host.offer(new Offer(7 + i, CLASS_ID, UUID.randomUUID(), 0, ringSize), logic))
                            .toList()))
                    .onSuccess(x -> System.out.println("READY"))
                    .onFailure(e -> {
                        e.printStackTrace();
                        System.exit(2);
                    });
        });
        Thread.currentThread().join();
    }
}
