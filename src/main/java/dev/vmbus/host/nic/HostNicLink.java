package dev.vmbus.host.nic;

import dev.vmbus.net.Rndis;
import dev.vmbus.net.RndisMessage;
import dev.vmbus.runtime.Timers;

/**
 * The link state the host's NIC tells the guest (H7): an INDICATE_STATUS MEDIA_CONNECT or MEDIA_DISCONNECT after
 * RNDIS INITIALIZE and on every change. Each indication opens a quiet window of {@link HostNic#LINK_DELAY_MS}
 * (OpenVMM {@code LINK_DELAY_DURATION}: Linux guests may not act on changes in quick succession); a change inside
 * it is told when it closes. A bounce inside it (down and up again) is still told, as OpenVMM tells one: its first
 * leg when the window closes, its second when the next one does. The state is kept across opens; what the guest
 * was told is forgotten on each.
 *
 * <p>Threads: the host's context; the timers fire there.
 */
final class HostNicLink {
    private final HostNic nic;
    private final Timers timers;
    private boolean up = true;
    /** What the guest was last told (null: nothing since this open's INITIALIZE). */
    private Boolean indicated;
    /** Whether {@link #up} changed since the guest was last told (after a bounce it is back where it was). */
    private boolean flipped;
    /** Cancels the quiet window that follows an indication, or null when none is open. */
    private Runnable window;

    HostNicLink(HostNic nic, Timers timers) {
        this.nic = nic;
        this.timers = timers;
    }

    boolean up() {
        return up;
    }

    /** The link as the guest was last told it: "up", "down", or null before the first indication of this open. */
    String indicated() {
        return indicated == null ? null : indicated ? "up" : "down";
    }

    void set(boolean state) {
        if (state == up) {
            return;
        }
        up = state;
        flipped = true;
        tellSoon();
    }

    /** Tells the guest the link state unless a quiet window is open (then its close will). */
    void tellSoon() {
        if (nic.rndis.rndisInitialized && window == null) {
            tell();
        }
    }

    private void tell() {
        HostNicQueue primary = nic.queues.get(0);
        if (primary == null || !nic.rndis.rndisInitialized) {
            return;
        }
        boolean bounce = indicated != null && indicated == up;
        if (bounce && !flipped) {
            return; // the guest knows
        }
        boolean state = bounce ? !up : up;
        indicated = state;
        flipped = false;
        window = timers.schedule(HostNic.LINK_DELAY_MS, () -> {
            window = null;
            tell();
        });
        nic.toGuest.sendControl(primary, new RndisMessage.IndicateStatus(state ? Rndis.STATUS_MEDIA_CONNECT
                : Rndis.STATUS_MEDIA_DISCONNECT, new byte[0]).encode());
    }

    /** Forgets what the guest was told (a new open tells it afresh after INITIALIZE). */
    void reset() {
        indicated = null;
        flipped = false;
        if (window != null) {
            window.run();
            window = null;
        }
    }
}
