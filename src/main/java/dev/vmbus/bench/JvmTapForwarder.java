package dev.vmbus.bench;

import dev.vmbus.agent.AgentVertx;
import dev.vmbus.net.FramePort;
import dev.vmbus.net.TapPort;
import dev.vmbus.runtime.LoopReadiness;
import dev.vmbus.transport.OnContext;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code jvmfwd}, the link of {@code vmbus bench net} that measures what a JVM alone costs a frame: src/test/c/tapfwd.c's
 * job (two TAPs, every frame read from one written to the other) done by the synthetic NIC's own TAP code in a JVM
 * started with the agent's options: both {@link TapPort}s read on the agent's one Vert.x event loop through {@link
 * LoopReadiness}, in bursts, with no allocation per frame, exactly as each end of the NIC reads its TAP. A ping
 * through it wakes one JVM twice (request, reply); through the NIC it wakes the host's JVM twice and the guest's once,
 * and runs the VMBus path between. So {@code tapfwd} to {@code jvmfwd} is what the JVM's wake-ups cost, and
 * {@code jvmfwd} to {@code vmbus} what the rings, the codecs and the third wake-up add (docs/benchmarks/net.md).
 *
 * <p>Usage (a child process of the bench, never of the agent): {@code JvmTapForwarder NETNS_A TAP_A NETNS_B TAP_B},
 * a NETNS being a file such as {@code /var/run/netns/NAME}, or {@code -} for this process's own. Prints {@link
 * #READY} once both TAPs are open and its counts as it ends on SIGTERM.
 */
public final class JvmTapForwarder {
    static final String READY = "jvmfwd: forwarding";
    /** The TAPs' frame limit: an MTU of 1500 (every link of the bench keeps the kernel's default) and its header. */
    static final int MAX_FRAME = TapPort.largestFrame(1500);

    private JvmTapForwarder() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 4) {
            System.err.println("usage: JvmTapForwarder NETNS_A TAP_A NETNS_B TAP_B  (a NETNS of - is this process's own)");
            System.exit(2);
        }
        Vertx vertx = AgentVertx.create();
        Context loop = vertx.getOrCreateContext();
        try (TapPort a = open(args[0], args[1]); TapPort b = open(args[2], args[3])) {
            OnContext.call(loop, () -> {
                try {
                    a.startBursts(task -> loop.runOnContext(x -> task.run()), LoopReadiness.of(loop), to(b));
                    b.startBursts(task -> loop.runOnContext(x -> task.run()), LoopReadiness.of(loop), to(a));
                    return Future.succeededFuture();
                } catch (IOException e) {
                    return Future.failedFuture(e);
                }
            }).await(10, TimeUnit.SECONDS);
            System.out.println(READY + " " + a.tap().name() + " <-> " + b.tap().name() + " (on the event loop: "
                    + (a.readsOnLoop() && b.readsOnLoop()) + ")");
            CountDownLatch stop = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                stop.countDown();
                System.out.println("jvmfwd: " + a.tap().name() + " " + a.stats() + "; " + b.tap().name() + " "
                        + b.stats());
            }));
            stop.await();
        } finally {
            vertx.close();
        }
    }

    private static TapPort open(String netns, String name) throws IOException {
        return netns.equals("-") ? TapPort.open(name, MAX_FRAME) : TapPort.open(Path.of(netns), name, MAX_FRAME);
    }

    /** Each frame read from one TAP is written to the other before the next is read (the array is reused). */
    private static FramePort.Receiver to(TapPort out) {
        return (frame, length, more) -> out.send(frame, 0, length);
    }
}
