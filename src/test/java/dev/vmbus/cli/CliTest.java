package dev.vmbus.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The command line itself: exit codes, usage errors on stderr, --version, and the generated man page and completion. */
class CliTest {
    @TempDir
    Path tmp;

    record Run(int code, String out, String err) {
    }

    static Run vmbus(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Vmbus.execute(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** The command names of today's CLI, every one of which must stay. */
    static final List<String> COMMANDS = List.of("run", "host", "ls", "bench", "bind", "unbind", "doctor", "help");

    @Test
    void noCommandPrintsTheUsageOnStderrAndExitsTwo() {
        Run r = vmbus();
        assertEquals(2, r.code());
        assertEquals("", r.out());
        assertTrue(r.err().startsWith("Usage: vmbus"), r.err());
        for (String c : COMMANDS) {
            assertTrue(r.err().contains("\n  " + c + " "), c + " missing from the usage:\n" + r.err());
        }
    }

    @Test
    void helpAndVersionExitZeroOnStdout() {
        Run help = vmbus("--help");
        assertEquals(0, help.code());
        assertTrue(help.out().startsWith("Usage: vmbus"), help.out());
        Run runHelp = vmbus("help", "run");
        assertEquals(0, runHelp.code());
        assertTrue(runHelp.out().contains("--no-dashboard") && runHelp.out().contains("--shm-dir=DIR"), runHelp.out());
        Run version = vmbus("--version");
        assertEquals(0, version.code(), version.err());
        assertTrue(version.out().startsWith("vmbus " + Vmbus.projectVersion() + "\nJava " + Runtime.version()), version.out());
        assertTrue(!Vmbus.projectVersion().equals("unknown"), "the build filters the version in");
        assertEquals(version.out(), vmbus("-V").out());
    }

    @Test
    void usageErrorsExitTwoWithTheMessageOnStderr() {
        assertUsage("Unknown option: '--nosuch'", "run", "--nosuch");
        assertUsage("Invalid value for option '--dashboard-port': 'eighty' is not an int", "run", "--dashboard-port", "eighty");
        assertUsage("--dashboard-port must be 0..65535, got 70000", "run", "--dashboard-port", "70000");
        assertUsage("--transport must be sim, shm or uio; got 'tcp'", "run", "--transport", "tcp");
        assertUsage("Missing required parameter: 'CLASS'", "bind");
        assertUsage("Unmatched argument at index 2: 'timesync'", "unbind", "heartbeat", "timesync");
        assertUsage("Missing required parameter for option '--conf' (FILE)", "run", "--conf");
        assertUsage("--seconds must be a non-negative number, got '-1'", "bench", "--seconds", "-1");
        assertUsage("--warmup must be a non-negative number, got 'soon'", "bench", "--warmup", "soon");
        assertUsage("Invalid value for option '--window' (1,16): 'x' is not an int", "bench", "--window", "1,x");
        assertUsage("Unmatched argument at index 0: 'jump'", "jump");
        assertUsage("Unknown option", "bind", "kvp", "--driver", "hv_utils"); // only unbind has it
    }

    private static void assertUsage(String message, String... args) {
        Run r = vmbus(args);
        assertEquals(2, r.code(), String.join(" ", args) + ": " + r.err());
        assertTrue(r.err().startsWith("vmbus: " + message), "expected '" + message + "' first on stderr:\n" + r.err());
        assertTrue(r.err().contains("Usage: vmbus"), "the command's usage follows:\n" + r.err());
        assertEquals("", r.out());
    }

    @Test
    void aFailureThatIsNotAUsageErrorExitsWithoutTheUsage() {
        Run r = vmbus("run", "--conf", tmp.resolve("missing.json").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("vmbus: configuration error: ") && r.err().contains("does not exist"), r.err());
        assertTrue(!r.err().contains("Usage:"), r.err());
    }

    // The README's first step on a new guest, 'vmbus bind heartbeat --dry-run', run where there is no VMBus: the
    // reason as doctor gives it, not a Java exception's class name in front of it.
    @Test
    void aFailureSaysWhatFailedWithoutTheExceptionsClassName() {
        for (String command : List.of("bind", "unbind")) {
            Run r = vmbus(command, "heartbeat", "--dry-run", "--sysfs-root", tmp.toString());
            assertEquals(1, r.code(), r.err());
            assertTrue(r.err().startsWith("vmbus: failed: " + tmp.resolve("bus/vmbus/devices")
                    + " does not exist: this is not a Hyper-V guest"), command + ": " + r.err());
            assertEquals("", r.out(), command + ": a refused dry run prints no plan's heading");
        }
    }

    @Test
    void theManPageNamesEveryCommandAndEveryOption() {
        CommandLine cmd = Vmbus.commandLine();
        String page = CliDocs.manPage(cmd, Instant.parse("2026-01-02T00:00:00Z"));
        assertTrue(page.startsWith(".TH VMBUS 1 \"2026-01-02\" \"vmbus " + Vmbus.projectVersion() + "\""), page);
        for (String c : COMMANDS) {
            assertTrue(page.contains(".SS \"vmbus " + c), "no section for " + c);
        }
        for (CommandLine sub : cmd.getSubcommands().values()) {
            assertTrue(COMMANDS.contains(sub.getCommandName()), "a command the tests do not know: " + sub.getCommandName());
        }
        assertEveryOptionIn(page, cmd);
        // Text never starts a line with a roff control character; only the page's own upper-case requests do.
        assertTrue(page.lines().noneMatch(l -> l.startsWith("'") || l.matches("^\\.[a-z].*")), page);
    }

    /** Every command below {@code cmd}, however deep, has its section, and every option of it is in the page. */
    private static void assertEveryOptionIn(String page, CommandLine cmd) {
        for (CommandLine sub : cmd.getSubcommands().values()) {
            CommandSpec spec = sub.getCommandSpec();
            if (spec.name().equals("help")) {
                continue;
            }
            assertTrue(page.contains(".SS \"" + CliDocs.roff(spec.qualifiedName())), "no section for " + spec.qualifiedName());
            for (OptionSpec o : spec.options()) {
                if (!o.usageHelp() && !o.versionHelp()) {
                    assertTrue(page.contains("\\fB" + CliDocs.roff(o.longestName()) + "\\fR"),
                            spec.qualifiedName() + " " + o.longestName() + " missing from the man page");
                }
            }
            assertEveryOptionIn(page, sub);
        }
    }

    @Test
    void theBashCompletionCompletesCommandsOptionsAndValues() throws Exception {
        Path script = tmp.resolve("vmbus.bash");
        Files.writeString(script, CliDocs.completion(Vmbus.commandLine()));
        String text = Files.readString(script);
        assertTrue(!text.startsWith("#!"), "a sourced file, no #! line");
        for (String c : COMMANDS) {
            assertTrue(text.contains(c), c);
        }
        assertEquals(List.of("run"), complete(script, "vmbus", "ru"));
        assertEquals(List.of("--shm-dir"), complete(script, "vmbus", "run", "--shm"));
        assertEquals(List.of("shm", "sim"), complete(script, "vmbus", "run", "--transport", "s"));
        assertEquals(List.of("--driver"), complete(script, "vmbus", "unbind", "--dri"));
        assertEquals(List.of("--driver", "--dry-run"), complete(script, "vmbus", "unbind", "--dr"));
        assertEquals(List.of("--json"), complete(script, "vmbus", "doctor", "--j"));
        assertEquals(List.of("heartbeat"), complete(script, "vmbus", "bind", "he"));
        assertEquals(List.of("netvsc"), complete(script, "vmbus", "bind", "ne"));
        assertEquals(List.of("netvsc"), complete(script, "vmbus", "unbind", "net"));
    }

    /** What bash's programmable completion offers for the last word, through the generated function. */
    private static List<String> complete(Path script, String... words) throws Exception {
        StringBuilder array = new StringBuilder();
        for (String w : words) {
            array.append(" '").append(w).append('\'');
        }
        // compopt only works inside a completion that bash itself started; a no-op stands in for it here.
        String program = "source '" + script + "'; compopt() { :; }; COMP_WORDS=(" + array + " ); COMP_CWORD=" + (words.length - 1)
                + "; COMP_LINE=\"${COMP_WORDS[*]}\"; COMP_POINT=${#COMP_LINE}; _complete_vmbus; printf '%s\\n' \"${COMPREPLY[@]}\"";
        Process p = new ProcessBuilder("bash", "-c", program).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(10, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        List<String> got = new ArrayList<>(out.lines().map(String::trim).filter(l -> !l.isEmpty()).toList());
        got.sort(null);
        return got;
    }
}
