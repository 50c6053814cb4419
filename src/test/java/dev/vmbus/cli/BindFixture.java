package dev.vmbus.cli;

import dev.vmbus.transport.uio.KernelFixtures;
import dev.vmbus.transport.uio.KernelFixtures.Generation;
import dev.vmbus.transport.uio.SimulatedKernel;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code vmbus bind} / {@code unbind} run on a kernel-generation fixture tree, with {@link SimulatedKernel} doing what
 * the kernel does with each write; what the command printed is kept in {@link #out}. The bind and unbind tests of
 * this package share it.
 */
final class BindFixture {
    static final String HEARTBEAT = "57164f39-9115-4e78-ab55-382f3bd5422d";
    static final String FCOPY = "34d14be3-dee4-41c8-9ae7-6b174977c192";

    private final Path dir;
    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    KernelFixtures tree;
    SimulatedKernel kernel;
    Path conf;
    private int trees;

    /** Fixture trees and config files go under {@code dir} (a test's temporary directory). */
    BindFixture(Path dir) {
        this.dir = dir;
    }

    /** A fresh tree of generation {@code g} (a test that calls this twice gets two trees). */
    void on(Generation g, String extraTransport) throws IOException {
        trees++;
        tree = KernelFixtures.create(dir.resolve(trees == 1 ? "root" : "root" + trees), g);
        kernel = new SimulatedKernel(tree);
        conf = tree.config(dir.resolve("vmbus.json"), extraTransport);
    }

    /** Runs {@code vmbus} with {@code argv} and this fixture's config, as root, on the simulated kernel. */
    int run(String... argv) throws IOException {
        String[] full = new String[argv.length + 2];
        System.arraycopy(argv, 0, full, 0, argv.length);
        full[argv.length] = "--conf";
        full[argv.length + 1] = conf.toString();
        return BindCommand.run(full, new PrintStream(out, true, StandardCharsets.UTF_8), true, kernel);
    }

    String text() {
        return out.toString(StandardCharsets.UTF_8);
    }

    /** Each fixture device class's driver now. */
    Map<String, String> drivers() throws IOException {
        Map<String, String> m = new LinkedHashMap<>();
        for (KernelFixtures.Dev d : KernelFixtures.DEVICES) {
            m.put(d.className(), tree.driverOf(d.instance()));
        }
        return m;
    }

    /** The heartbeat device's instance. */
    String hb() {
        return tree.dev("heartbeat").instance();
    }

    String read(String driver, String attr) throws IOException {
        return Files.readString(tree.sys().resolve("bus/vmbus/drivers/" + driver + "/" + attr));
    }

    /** A 6.16 tree of its own, the output cleared, for a test that moves to a kernel with 6.14's buffer change. */
    void on2616() throws IOException {
        out.reset();
        tree = KernelFixtures.create(dir.resolve("root616"), Generation.V6_16);
        kernel = new SimulatedKernel(tree);
        conf = tree.config(dir.resolve("vmbus616.json"), null);
    }

    /** Enables device handler {@code name} in this fixture's configuration (devices.NAME.enabled = true). */
    void enable(String name) throws IOException {
        io.vertx.core.json.JsonObject c = new io.vertx.core.json.JsonObject(Files.readString(conf));
        c.getJsonObject("devices").put(name, new io.vertx.core.json.JsonObject().put("enabled", true));
        Files.writeString(conf, c.encode());
    }

    /** {@code transport.stateDir} of this fixture's tree: what survives a reboot. */
    Path stateDir() {
        return tree.root.resolve("var/lib/vmbus");
    }

    /**
     * A reboot: a fresh tree of generation {@code g} (every device back on its kernel driver, no new_id, an empty
     * run directory), with the state directory carried over, as /var/lib/vmbus is kept on disk.
     */
    void reboot(Generation g) throws IOException {
        Path kept = stateDir();
        on(g, null);
        if (Files.isDirectory(kept)) {
            try (var files = Files.walk(kept)) {
                for (Path p : files.toList()) {
                    Path to = stateDir().resolve(kept.relativize(p).toString());
                    if (Files.isDirectory(p)) {
                        Files.createDirectories(to);
                    } else {
                        Files.copy(p, to);
                    }
                }
            }
        }
        out.reset();
    }

    /** {@code bind --enabled --stop-daemons}, each daemon command it runs added to {@code ran}. */
    int bindEnabled(List<List<String>> ran) throws IOException {
        return bindEnabled(c -> {
            ran.add(c);
            return 0;
        }, BindCommand.RELEASE_WAIT);
    }

    /** {@code bind --enabled --stop-daemons} with {@code runner} standing for systemctl, waiting {@code releaseWait}. */
    int bindEnabled(BindCommand.Runner runner, java.time.Duration releaseWait) throws IOException {
        return BindCommand.run(new String[] {"bind", "--enabled", "--stop-daemons", "--conf", conf.toString()},
                new PrintStream(out, true, StandardCharsets.UTF_8), true, kernel, runner, false, releaseWait);
    }
}
