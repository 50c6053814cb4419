package dev.vmbus.cli;

import dev.vmbus.agent.Lifecycle;
import dev.vmbus.bench.BenchCommand;

import dev.vmbus.config.ConfigException;
import dev.vmbus.config.ProjectVersion;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;

/**
 * The {@code vmbus} command. Every command and option is declared once, with picocli annotations on the command
 * classes; {@code --help}, {@code --version}, the man page and the bash completion ({@link CliDocs}) all come
 * from those declarations. Exit status: 0 done, 1 failed, 2 usage or configuration error (message on stderr).
 */
@Command(name = "vmbus", mixinStandardHelpOptions = true, versionProvider = Vmbus.Version.class,
        synopsisSubcommandLabel = "COMMAND",
        description = "Hyper-V VMBus devices in userspace: runs a Linux guest's integration services (heartbeat, "
                + "time sync, shutdown, KVP, VSS, file copy), the synthetic NIC (netvsc) and plug-in device classes "
                + "from one JVM, on a real guest through uio_hv_generic or against a simulated Hyper-V host.",
        subcommands = {RunCommand.class, HostCommand.class, LsCommand.class, BenchCommand.class,
                BindCommand.Bind.class, BindCommand.Unbind.class, DoctorCommand.class,
                CommandLine.HelpCommand.class},
        footerHeading = "%nFiles:%n",
        footer = {"  /etc/vmbus/vmbus.json   the packaged service's configuration",
                "  /etc/vmbus/jvm.options  the packaged launcher's JVM options, one a line",
                "%nExit status: 0 done, 1 failed, 2 usage or configuration error."})
public final class Vmbus implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    /** No command: the usage, on stderr, and exit status 2. */
    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return CommandLine.ExitCode.USAGE;
    }

    public static void main(String[] args) {
        Lifecycle.initLogging();
        System.exit(execute(args, System.out, System.err));
    }

    /** The command line as {@code main} runs it, printing to {@code out} and {@code err}. */
    public static int execute(String[] args, PrintStream out, PrintStream err) {
        CommandLine cmd = commandLine();
        cmd.setOut(new PrintWriter(out, true, StandardCharsets.UTF_8));
        cmd.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
        return cmd.execute(args);
    }

    /** The whole command tree, with vmbus's error handling. */
    static CommandLine commandLine() {
        CommandLine cmd = new CommandLine(new Vmbus());
        cmd.setExecutionExceptionHandler((e, line, parsed) -> {
            PrintWriter err = line.getErr();
            if (e instanceof ConfigException) {
                err.println("vmbus: configuration error: " + e.getMessage());
                return CommandLine.ExitCode.USAGE;
            }
            if (e instanceof IllegalArgumentException || e instanceof IllegalStateException) {
                err.println("vmbus: " + e.getMessage());
                return CommandLine.ExitCode.USAGE;
            }
            // A plain IOException is one of ours, a sentence that says it all; any other exception's class says
            // what went wrong (NoSuchFileException, AccessDeniedException: their message is only the path).
            boolean ours = e.getClass() == java.io.IOException.class && e.getMessage() != null;
            err.println("vmbus: failed: " + (ours ? e.getMessage() : e));
            return CommandLine.ExitCode.SOFTWARE;
        });
        cmd.setParameterExceptionHandler((e, argv) -> {
            PrintWriter err = e.getCommandLine().getErr();
            err.println("vmbus: " + e.getMessage());
            e.getCommandLine().usage(err);
            return CommandLine.ExitCode.USAGE;
        });
        return cmd;
    }

    /** This project's version, filtered into {@code dev/vmbus/version.properties} by the build. */
    static String projectVersion() {
        return ProjectVersion.read().orElse("unknown");
    }

    /** {@code vmbus VERSION} and the Java runtime it runs on (the packaged one under /usr/lib/vmbus/runtime). */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"vmbus " + projectVersion(), "Java " + Runtime.version() + " ("
                    + System.getProperty("java.vendor") + ") at " + System.getProperty("java.home")};
        }
    }
}
