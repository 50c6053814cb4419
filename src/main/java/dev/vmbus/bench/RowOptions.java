package dev.vmbus.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The options of the benches that print rows ({@code vmbus bench}, {@code vmbus bench stream}), a picocli mixin:
 * measured and warm-up seconds per row, and a JSON copy of the rows.
 */
final class RowOptions {
    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    @Option(names = "--seconds", paramLabel = "N", description = "Measured seconds per row (default: ${DEFAULT-VALUE}).")
    String seconds = "5";

    @Option(names = "--warmup", paramLabel = "N", description = "Warm-up seconds per row (default: ${DEFAULT-VALUE}).")
    String warmup = "3";

    @Option(names = "--json", paramLabel = "FILE", description = "Also write the results as JSON to FILE.")
    Path json;

    /** {@code --seconds}, or a usage error naming it. */
    double seconds() {
        return BenchCommand.number(spec, "--seconds", seconds);
    }

    /** {@code --warmup}, or a usage error naming it. */
    double warmup() {
        return BenchCommand.number(spec, "--warmup", warmup);
    }

    /** Writes {@code {"results": rows}} to the {@code --json} file (its directory made), when one was given. */
    void write(JsonArray rows) throws IOException {
        if (json != null) {
            BenchCommand.writeJson(json, new JsonObject().put("results", rows));
        }
    }
}
