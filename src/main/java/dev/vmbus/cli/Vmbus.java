package dev.vmbus.cli;

import dev.vmbus.config.ConfigException;

import java.io.PrintStream;

/** The {@code vmbus} command: {@code run}, {@code host}. */
public final class Vmbus {
    static final String USAGE = """
            usage: vmbus <command> [options]

              run   [--conf FILE] [--transport sim|shm|uio] [--shm-dir DIR] [--dashboard-port PORT]
                    [--no-dashboard]
                    the agent: channels, device handlers (default config: conf/vmbus.json, with the
                    simulated host in-process)
              host  --shm-dir DIR [--conf FILE] [--dashboard-port PORT]
                    the simulated Hyper-V host as its own process, serving the shm transport in DIR
              ls    [--url http://127.0.0.1:8080] [--token T] [--json]
                    the channels of a running agent, like lsvmbus -vv, from its dashboard API
              bench [--seconds N] [--warmup N] [--window 1,16] [--json FILE]
                    heartbeat round trips through the whole stack on sim and shm, next to a plain
                    event-bus request/reply measured in the same run (HdrHistogram percentiles)
              bench footprint [--seconds N] [--idle-seconds N] [--transport sim|shm] [--jvm-options FILE]
                    [--aot-cache FILE|none] [--jar FILE | --class-path CP] [--conf FILE] [--json FILE|-]
                    the agent's resident memory, threads, idle CPU and start-up time as a child process
                    started as scripts/run.sh starts it, next to a bare Vert.x process started the same way
              bind   <class> [--sysfs-root DIR]
                    give the devices of a class (heartbeat, timesync, shutdown, kvp, vss, fcopy or a class GUID)
                    to uio_hv_generic, for 'vmbus run' with transport uio (root only)
              unbind <class> [--sysfs-root DIR] [--driver NAME]
                    hand them back to the kernel (hv_utils for the util devices, or NAME)
            """;

    private Vmbus() {
    }

    public static void main(String[] args) {
        Lifecycle.initLogging();
        System.exit(execute(args, System.out, System.err));
    }

    static int execute(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0 || args[0].equals("help") || args[0].equals("--help") || args[0].equals("-h")) {
            out.print(USAGE);
            return args.length == 0 ? 2 : 0;
        }
        try {
            return switch (args[0]) {
                case "run" -> RunCommand.run(args);
                case "host" -> HostCommand.run(args);
                case "bench" -> BenchCommand.run(args);
                case "bind", "unbind" -> BindCommand.run(args);
                case "ls" -> LsCommand.run(args, out);
                default -> throw new Args.UsageException("unknown command '" + args[0] + "'");
            };
        } catch (Args.UsageException e) {
            err.println("vmbus: " + e.getMessage());
            err.print(USAGE);
            return 2;
        } catch (ConfigException e) {
            err.println("vmbus: configuration error: " + e.getMessage());
            return 2;
        } catch (IllegalArgumentException | IllegalStateException e) {
            err.println("vmbus: " + e.getMessage());
            return 2;
        } catch (Exception e) {
            err.println("vmbus: failed: " + e);
            return 1;
        }
    }
}
