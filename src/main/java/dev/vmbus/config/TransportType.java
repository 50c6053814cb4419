package dev.vmbus.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Where an agent's channels come from ({@code transport.type}): the one place the names {@code sim}, {@code shm}
 * and {@code uio} are spelled. Immutable, so any thread may use it.
 */
public enum TransportType {
    /** The simulated host in the same JVM: host and guest share ring memory, signals are calls. */
    SIM,
    /** The host in another process, over ring files and Unix sockets in a directory. */
    SHM,
    /** A real Hyper-V guest: {@code /dev/uioN} of {@code uio_hv_generic}. */
    UIO;

    /**
     * The name in {@code conf/vmbus.json} and on the command line, the constant's name in lower case: {@code sim},
     * {@code shm} or {@code uio}.
     */
    @JsonValue
    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Why a guest whose devices are on this transport cannot hibernate, or null. On {@link #UIO} every served device
     * is on {@code uio_hv_generic}, which has no {@code .suspend}; the kernel facts are in the uio transport's
     * {@code KernelFeatures.NO_HIBERNATION}, which is this text (kernel review F7).
     */
    public String hibernationImpossible() {
        return this == UIO ? UIO_NO_HIBERNATION : null;
    }

    /** The kernel's refusal to hibernate with a device on {@code uio_hv_generic}, as operators are told it. */
    static final String UIO_NO_HIBERNATION = "the kernel aborts hibernation while any device is on uio_hv_generic:"
            + " the driver has no .suspend, so vmbus_suspend fails the device freeze with -EOPNOTSUPP";

    /** The allowed names, as a message lists them: {@code sim, shm, uio}. */
    public static String allowed() {
        return Arrays.stream(values()).map(TransportType::configName).collect(Collectors.joining(", "));
    }

    /**
     * The transport called {@code name} (exactly as in the config: lower case).
     *
     * @throws IllegalArgumentException naming the allowed values and what was given
     */
    @JsonCreator
    public static TransportType parse(String name) {
        for (TransportType t : values()) {
            if (t.configName().equals(name)) {
                return t;
            }
        }
        throw new IllegalArgumentException("must be one of " + allowed() + "; got '" + name + "'");
    }

    @Override
    public String toString() {
        return configName();
    }
}
