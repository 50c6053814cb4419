package dev.vmbus.bench;

import dev.vmbus.agent.AgentVertx;
import dev.vmbus.agent.Lifecycle;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;

import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * The baseline of {@code vmbus bench footprint}: a bare Vert.x 5 process, one verticle with one HTTP server
 * answering {@code GET /health}, with the agent's {@link AgentVertx} options and started with the same JVM
 * options, so that what the agent costs on top of Vert.x itself can be read off. Usage:
 * {@code java OPTIONS -cp vmbus.jar dev.vmbus.bench.BareVertx PORT}. The server lives on its event loop.
 */
public final class BareVertx extends VerticleBase {
    private static final Logger LOG = Logger.getLogger(BareVertx.class.getName());
    private final int port;

    BareVertx(int port) {
        this.port = port;
    }

    @Override
    public Future<?> start() {
        return vertx.createHttpServer()
                .requestHandler(req -> req.response().putHeader("Content-Type", "application/json")
                        .end("{\"status\":\"UP\"}"))
                .listen(port, "127.0.0.1")
                .onSuccess(s -> LOG.info("bare Vert.x listening on http://127.0.0.1:" + s.actualPort() + "/"));
    }

    public static void main(String[] args) throws Exception {
        Lifecycle.initLogging();
        if (args.length != 1) {
            System.err.println("usage: BareVertx PORT");
            System.exit(2);
        }
        Vertx vertx = AgentVertx.create();
        String id = vertx.deployVerticle(new BareVertx(Integer.parseInt(args[0]))).await(30, TimeUnit.SECONDS);
        System.exit(Lifecycle.runUntilSignalled(vertx, () -> vertx.undeploy(id)));
    }
}
