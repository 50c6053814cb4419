package dev.vmbus.transport.uio.admin;

import dev.vmbus.config.VmbusConfig;
import dev.vmbus.transport.uio.KernelFeatures;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.logging.Logger;

/**
 * Before anything is opened or started on {@code uio}: the same judgement as {@code vmbus doctor}; any device bound
 * to uio that this kernel cannot serve safely, or any enabled class it cannot serve at all, stops start-up.
 * Blocking file I/O on the calling thread (before Vert.x starts); stateless.
 */
public final class UioRefusal {
    private static final Logger LOG = Logger.getLogger(UioRefusal.class.getName());

    private UioRefusal() {
    }

    /** Returns the kernel's features (for the uio transport's options), or throws naming every refusal. */
    /** @param enabledClasses the enabled device classes' GUIDs by name ({@code DeviceRegistry.enabledClasses()}) */
    public static KernelFeatures check(VmbusConfig config, Map<String, List<UUID>> enabledClasses) throws IOException {
        Diagnosis d = Diagnosis.of(SystemView.of(config, null, null), enabledClasses);
        List<String> refusals = d.refusals();
        if (!refusals.isEmpty()) {
            throw new IllegalStateException("refusing to start on the uio transport with kernel " + d.kernel().release()
                    + " (" + d.kernel().basis() + "); nothing was opened:\n  " + String.join("\n  ", refusals)
                    + "\n'vmbus doctor' shows every device; disable the class in devices.<name>, or state a"
                    + " backported kernel in transport.kernel");
        }
        LOG.info("uio: kernel " + d.kernel().release() + " (" + d.kernel().basis() + ")");
        for (Diagnosis.ClassReport c : d.classes()) {
            if (c.status() == Diagnosis.Status.BINDABLE) {
                LOG.warning(c.name() + " is enabled and offered but " + c.text());
            }
        }
        return d.kernel();
    }
}
