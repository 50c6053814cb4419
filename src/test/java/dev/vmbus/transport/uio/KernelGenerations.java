package dev.vmbus.transport.uio;

import dev.vmbus.os.PageSize;

/**
 * The kernel generations the uio fixtures model, as {@link KernelFeatures}: what each one's
 * {@code uio_hv_generic} does (see {@link FixtureKernel} for how the simulated {@code /dev/uioN} behaves on each).
 */
final class KernelGenerations {
    private KernelGenerations() {
    }

    /** Stable 6.1 / 6.6 without the 6.10 slow-device change: unmonitored channels cannot be probed or kicked. */
    static final KernelFeatures STABLE_6_6 = new KernelFeatures("6.6.0", PageSize.system(), false, false, true, true, null,
            "fixture: stable 6.6 without 547fa4ffd799");

    /** 6.10 and later before d062463edf17: write(1) touches the primary only; a subchannel interrupt oopses. */
    static final KernelFeatures V6_10 = new KernelFeatures("6.10.0", PageSize.system(), true, false, true, true, null,
            "fixture: 6.10 without d062463edf17");

    /** With d062463edf17: write(1) unmasks and signals the primary and every unmonitored subchannel. */
    static final KernelFeatures D062463 = new KernelFeatures("6.18.0", PageSize.system(), true, true, true, true, null,
            "fixture: with d062463edf17");

    /** 64 KiB pages before 09eea7ad0b8e: the interrupt and monitor pages sit at an offset inside their page. */
    static final KernelFeatures PAGES_64K = new KernelFeatures("6.12.0-64k", 65536, true, true, false, true, null,
            "fixture: arm64 64 KiB pages without 09eea7ad0b8e");
}
