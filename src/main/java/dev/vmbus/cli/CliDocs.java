package dev.vmbus.cli;

import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;

/**
 * The man page {@code vmbus(1)} (roff) and the bash completion script, both generated from the picocli
 * declarations of {@link Vmbus} and its commands, so that neither can drift from {@code --help}. Run by the
 * packaging build: {@code java -cp vmbus.jar dev.vmbus.cli.CliDocs DIR} writes {@code DIR/vmbus.1} and
 * {@code DIR/vmbus.bash}. The page's date is {@code SOURCE_DATE_EPOCH} when set (reproducible builds).
 */
public final class CliDocs {
    private CliDocs() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: CliDocs DIR");
            System.exit(2);
        }
        Path dir = Files.createDirectories(Path.of(args[0]));
        String epoch = System.getenv("SOURCE_DATE_EPOCH");
        Instant date = epoch != null && epoch.matches("\\d+") ? Instant.ofEpochSecond(Long.parseLong(epoch)) : Instant.now();
        Files.writeString(dir.resolve("vmbus.1"), manPage(Vmbus.commandLine(), date));
        Files.writeString(dir.resolve("vmbus.bash"), completion(Vmbus.commandLine()));
    }

    /**
     * The bash completion script for every command and option. bash-completion sources it, so picocli's
     * {@code #!} line goes (lintian: bash-completion-with-hashbang).
     */
    static String completion(CommandLine cmd) {
        String script = AutoComplete.bash("vmbus", cmd);
        return script.startsWith("#!") ? script.substring(script.indexOf('\n') + 1) : script;
    }

    /** The man page in roff. */
    static String manPage(CommandLine cmd, Instant date) {
        CommandSpec top = cmd.getCommandSpec();
        StringBuilder m = new StringBuilder();
        m.append(".TH VMBUS 1 \"").append(DateTimeFormatter.ISO_LOCAL_DATE.format(date.atOffset(ZoneOffset.UTC)))
                .append("\" \"vmbus ").append(Vmbus.projectVersion()).append("\" \"User Commands\"\n");
        m.append(".SH NAME\nvmbus \\- Hyper\\-V VMBus devices in userspace\n");
        m.append(".SH SYNOPSIS\n.B vmbus\n").append(roff("[-hV] COMMAND [OPTIONS]")).append('\n');
        m.append(".SH DESCRIPTION\n");
        paragraphs(m, top.usageMessage().description(), ".PP");
        m.append(".SH OPTIONS\n");
        options(m, top);
        m.append(".SH COMMANDS\n");
        commands(m, cmd);
        m.append(".SH FILES\n");
        m.append(".TP\n.I /etc/vmbus/vmbus.json\n").append(roff("The configuration of the packaged service "
                + "(a real guest's: transport uio, dry runs off, KVP pools in /var/lib/hyperv), and what every command "
                + "reads when no --conf is given; when it does not exist, the built-in defaults (transport sim), said "
                + "once. Every key is described in the project's README.")).append('\n');
        m.append(".TP\n.I /etc/vmbus/jvm.options\n").append(roff("The JVM options /usr/bin/vmbus passes to the "
                + "packaged Java runtime, one a line.")).append('\n');
        m.append(".TP\n.I /var/lib/hyperv\n").append(roff("KVP pools (as hv_kvp_daemon keeps them) and the default "
                + "file-copy root; never removed by the package.")).append('\n');
        m.append(".SH EXIT STATUS\n").append(roff("0 done; 1 failed; 2 a usage error or a configuration error, "
                + "with the message on standard error.")).append('\n');
        m.append(".SH SEE ALSO\n.BR systemctl (1),\n.BR journalctl (1),\n.BR lsvmbus (8)\n");
        return m.toString();
    }

    /** A section per command, depth first, so that {@code bench footprint} follows {@code bench}. */
    private static void commands(StringBuilder m, CommandLine cmd) {
        for (CommandLine sub : cmd.getSubcommands().values()) {
            CommandSpec spec = sub.getCommandSpec();
            if (spec.name().equals("help")) {
                m.append(".SS \"vmbus help [COMMAND]\"\n").append(roff("Print the usage of vmbus or of COMMAND.")).append('\n');
                continue;
            }
            m.append(".SS \"").append(roff(synopsis(spec))).append("\"\n");
            paragraphs(m, spec.usageMessage().header(), ".PP");
            m.append(".PP\n");
            paragraphs(m, spec.usageMessage().description(), ".PP");
            options(m, spec);
            commands(m, sub);
        }
    }

    private static String synopsis(CommandSpec spec) {
        StringBuilder s = new StringBuilder(spec.qualifiedName());
        for (PositionalParamSpec p : spec.positionalParameters()) {
            s.append(' ').append(p.paramLabel());
        }
        for (OptionSpec o : spec.options()) {
            if (o.usageHelp() || o.versionHelp()) {
                continue;
            }
            s.append(" [").append(o.longestName()).append(o.arity().max() > 0 ? " " + o.paramLabel() : "").append(']');
        }
        return s.toString();
    }

    private static void options(StringBuilder m, CommandSpec spec) {
        for (PositionalParamSpec p : spec.positionalParameters()) {
            m.append(".TP\n.I ").append(roff(p.paramLabel())).append('\n');
            paragraphs(m, p.description(), ".IP");
        }
        for (OptionSpec o : spec.options()) {
            if ((o.usageHelp() || o.versionHelp()) && spec.parent() != null) {
                continue; // -h and -V are said once, for vmbus itself
            }
            m.append(".TP\n");
            List<String> names = List.of(o.names());
            for (int i = 0; i < names.size(); i++) {
                m.append(i == 0 ? "" : ", ").append("\\fB").append(roff(names.get(i))).append("\\fR");
            }
            if (o.arity().max() > 0) {
                m.append(" \\fI").append(roff(o.paramLabel())).append("\\fR");
            }
            m.append('\n');
            paragraphs(m, o.description(), ".IP");
        }
    }

    /** Each string a paragraph, separated by {@code macro} (.PP in running text, .IP inside an option's .TP). */
    private static void paragraphs(StringBuilder m, String[] text, String macro) {
        for (int i = 0; i < text.length; i++) {
            if (i > 0) {
                m.append(macro).append('\n');
            }
            m.append(roff(text[i].replace("%n", " "))).append('\n');
        }
    }

    /** Text safe for roff: backslashes escaped, hyphens as \-, no line starting with a control character. */
    static String roff(String text) {
        String t = text.replace("\\", "\\e").replace("-", "\\-");
        return t.startsWith(".") || t.startsWith("'") ? "\\&" + t : t;
    }
}
