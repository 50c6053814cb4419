package dev.vmbus.transport.uio;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Whether this guest is a confidential VM (kernel review F5), from every source a root process can read without
 * loading a module; the one place that decides it ({@link KernelFeatures#detect} records the verdict). In such a
 * guest the kernel decrypts (shares with the host) the ring and monitor pages, but every released
 * {@code uio_hv_generic} maps them to userspace with the default, private, page protection.
 *
 * <p>The sources, in the order they are asked, the first that says so deciding:
 * <ol>
 * <li>the {@code sev_snp} or {@code tdx_guest} flag in {@code <proc>/cpuinfo}: a fully enlightened guest only. With a
 *     paravisor (Azure's SNP "vTOM" and TDX "TD partitioning" CVMs) the native capability is hidden from the guest
 *     and neither flag shows;
 * <li>{@code <dev>/sev-guest} or {@code <dev>/tdx_guest}, the attestation devices: again enlightened guests only (a
 *     paravisor guest attests through its vTPM);
 * <li>{@code <sys>/devices/system/cpu/sev} or {@code <sys>/hypervisor/sev}: present only in an SEV-SNP guest
 *     (Documentation/ABI, "May 2024", the VMPL/SVSM series; a 2025 series moves it to /sys/hypervisor/sev and
 *     keeps the first as a link). vTOM guests do not set SEV_SNP_ENABLED, so not there either;
 * <li>the kernel log ({@code <dev>/kmsg}, read by {@link KernelLog}), which does show a paravisor guest:
 *   <ul>
 *   <li>{@code "Hyper-V: Isolation Config: Group A 0x%x, Group B 0x%x"}, printed by
 *       {@code ms_hyperv_init_platform} whenever the HV_ISOLATION privilege is granted (a6c76bb08dc7, Linux 5.12,
 *       "x86/hyperv: Load/save the Isolation Configuration leaf"). The low four bits of Group B are the isolation
 *       type: 0 none, 1 VBS, 2 SNP, 3 TDX; bit 0 of Group A says a paravisor is present. Any type but 0 is refused:
 *       {@code hv_vtom_init} puts VBS, SNP and TDX alike behind the shared-GPA boundary;
 *   <li>{@code "Memory Encryption Features active: ..."} ({@code print_mem_encrypt_feature_info}; "AMD Memory
 *       Encryption Features active:" before 5.19): any feature but the host's SME. A paravisor guest prints it once
 *       Hyper-V's vTOM uses the standard CoCo attributes (cc_vendor AMD or INTEL), first as "AMD SEV" whatever the
 *       CPU, "Intel TDX" for TDX from "x86/mm: Print the encryption features correctly when a paravisor is
 *       present" (2023);
 *   <li>any line "... from the host supporting isolation" (hv_vmbus's "Invalid offer %d", "Invalid VMBus version",
 *       netvsc's "Invalid NVSP version"), printed only when {@code hv_is_isolation_supported()} (21a4e356d358 and
 *       the same series, 5.12).
 *   </ul>
 * </ol>
 * A source that is missing or cannot be read tells nothing; when the log could not be read (or no longer reaches
 * back to boot) and nothing else said so, {@link #unread} says why, so that doctor does not say "no".
 *
 * @param reason why this is a confidential VM (the source and what it showed), or null when nothing said so
 * @param unread when {@code reason} is null: why the kernel log could not tell (not read, or its boot messages
 *               already overwritten), else null
 */
public record ConfidentialVm(String reason, String unread) {

    /** The sources asked, for a "no" that says what it rests on. */
    public static final String SOURCES = "no sev_snp/tdx_guest CPU flag, no sev-guest/tdx_guest device, no SEV-SNP"
            + " directory in sysfs, no Hyper-V isolation or memory encryption in the kernel log";

    /** The kernel prints both groups as 32-bit {@code %x}: more digits are not its line (and would not parse). */
    static final Pattern ISOLATION = Pattern.compile(
            "Isolation Config: Group ?A 0x([0-9a-fA-F]{1,8}), Group ?B 0x([0-9a-fA-F]{1,8})\\b");
    static final Pattern ENCRYPTION = Pattern.compile("Memory Encryption Features active:(.*)$");
    static final String ISOLATED_HOST = "from the host supporting isolation";

    /** Not a confidential VM by every source. */
    public static final ConfidentialVm NO = new ConfidentialVm(null, null);

    /**
     * Asks the sources under these roots ({@code /proc}, {@code /sys}, {@code /dev} on a real guest; any of them may
     * be null, and then tells nothing). Blocking file I/O.
     */
    public static ConfidentialVm detect(Path procRoot, Path sysfsRoot, Path devRoot) {
        String reason = procRoot == null ? null : cpuFlag(procRoot);
        if (reason == null && devRoot != null) {
            for (String node : new String[] {"sev-guest", "tdx_guest"}) {
                if (Files.exists(devRoot.resolve(node))) {
                    reason = "the guest attestation device " + devRoot.resolve(node);
                    break;
                }
            }
        }
        if (reason == null && sysfsRoot != null) {
            for (String dir : new String[] {"devices/system/cpu/sev", "hypervisor/sev"}) {
                if (Files.isDirectory(sysfsRoot.resolve(dir))) {
                    reason = "the SEV-SNP guest directory " + sysfsRoot.resolve(dir);
                    break;
                }
            }
        }
        if (reason != null) {
            return new ConfidentialVm(reason, null);
        }
        return devRoot == null ? NO : fromLog(devRoot.resolve("kmsg"));
    }

    /**
     * The {@code tdx_guest} (TDX) or {@code sev_snp} (SEV-SNP) flag in {@code <procRoot>/cpuinfo}, as a reason, or
     * null (no such flag, or no cpuinfo: not Linux, or a fixture without one).
     */
    public static String cpuFlag(Path procRoot) {
        Path cpuinfo = procRoot.resolve("cpuinfo");
        try {
            for (String line : Files.readAllLines(cpuinfo)) {
                if (!line.toLowerCase(Locale.ROOT).startsWith("flags")) {
                    continue;
                }
                for (String flag : line.substring(line.indexOf(':') + 1).trim().split("\\s+")) {
                    if (flag.equals("tdx_guest") || flag.equals("sev_snp")) {
                        return "the CPU flag " + flag + " in " + cpuinfo;
                    }
                }
                return null; // the first processor's flags are every processor's
            }
        } catch (IOException e) {
            return null;
        }
        return null;
    }

    /** What the kernel log at {@code kmsg} says. */
    static ConfidentialVm fromLog(Path kmsg) {
        List<String> found = new ArrayList<>(1);
        long firstSeq;
        try {
            firstSeq = KernelLog.scan(kmsg, text -> {
                String why = evidence(text);
                if (why != null) {
                    found.add("the kernel log line '" + text.strip() + "' in " + kmsg + " (" + why + ")");
                }
                return why != null;
            });
        } catch (IOException e) {
            return new ConfidentialVm(null, "the kernel log " + kmsg + " could not be read (" + e.getMessage() + ")");
        }
        if (!found.isEmpty()) {
            return new ConfidentialVm(found.get(0), null);
        }
        if (firstSeq > 0) {
            return new ConfidentialVm(null, "the kernel log " + kmsg + " no longer reaches back to boot (its oldest"
                    + " record is number " + firstSeq + "), where the kernel says whether it is isolated");
        }
        return NO;
    }

    /** Why one message says this is a confidential VM, or null. */
    static String evidence(String text) {
        Matcher iso = ISOLATION.matcher(text);
        if (iso.find()) {
            long a = Long.parseLong(iso.group(1), 16);
            long b = Long.parseLong(iso.group(2), 16);
            int type = (int) (b & 0xF);
            if (type == 0) {
                return null;
            }
            String name = switch (type) {
                case 1 -> "VBS";
                case 2 -> "SEV-SNP";
                case 3 -> "TDX";
                default -> "type " + type + ", unknown to this agent";
            };
            return "Hyper-V isolation type " + type + ", " + name + ((a & 1) != 0 ? ", with a paravisor" : "");
        }
        Matcher enc = ENCRYPTION.matcher(text);
        if (enc.find()) {
            String features = enc.group(1).replace("AMD", " ").strip();
            return features.equals("SME") ? null : "guest memory encryption: " + enc.group(1).strip();
        }
        if (text.contains(ISOLATED_HOST)) {
            return "printed only in an isolated guest (hv_is_isolation_supported)";
        }
        return null;
    }
}
