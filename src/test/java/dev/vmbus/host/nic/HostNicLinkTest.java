package dev.vmbus.host.nic;

import dev.vmbus.net.Rndis;
import dev.vmbus.net.RndisMessage;
import dev.vmbus.runtime.ManualTimers;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.vmbus.host.nic.NicGuest.config;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The simulated host's link indications (H7), with the test playing the guest ({@link NicGuest}) and the host's
 * 5 s quiet windows on {@link ManualTimers}, so no test waits for one to pass: each indication opens a window, a
 * change inside it is told when it closes, and a bounce inside it (down and up again) is still told, as two
 * indications a window apart. A query answered after a change shows what the guest has been told meanwhile: the
 * ring keeps the host's messages in order, so an indication sent before the answer would be read first.
 */
class HostNicLinkTest {
    private static final RndisMessage CONNECT = new RndisMessage.IndicateStatus(Rndis.STATUS_MEDIA_CONNECT, new byte[0]);
    private static final RndisMessage DISCONNECT =
            new RndisMessage.IndicateStatus(Rndis.STATUS_MEDIA_DISCONNECT, new byte[0]);

    private final ManualTimers timers = new ManualTimers();
    private NicGuest g;
    private int requestId = 100;

    @AfterEach
    void close() throws Exception {
        if (g != null) {
            g.close();
        }
    }

    /** RNDIS up (its CONNECT read): the window that indication opened is the one pending timer. */
    private void up() throws Exception {
        g = NicGuest.open(config(), timers);
        g.initialise();
        g.rndisUp(Rndis.FILTER_DIRECTED);
        assertEquals(List.of(HostNic.LINK_DELAY_MS), timers.liveDelays(), "the window INITIALIZE's CONNECT opened");
    }

    private void link(boolean up) throws Exception {
        g.onHost(() -> {
            g.nic.link(up);
            return null;
        });
    }

    private void closeWindow() throws Exception {
        g.onHost(() -> {
            timers.fireAll();
            return null;
        });
    }

    /** Queries the media state: what the host says, and (being read next) that no indication came before it. */
    private int mediaState() throws Exception {
        RndisMessage.QueryComplete q = g.query(requestId++, Rndis.OID_GEN_MEDIA_CONNECT_STATUS);
        return java.nio.ByteBuffer.wrap(q.info()).order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt();
    }

    private String indicated() throws Exception {
        JsonObject state = g.onHost(() -> g.nic.state());
        return state.getString("link") + "/" + state.getString("linkIndicated");
    }

    @Test
    void aChangeInsideTheWindowIsToldWhenItCloses() throws Exception {
        up();
        link(false);
        assertEquals(Rndis.MEDIA_STATE_DISCONNECTED, mediaState(), "a query answers the link as it is");
        assertEquals("down/up", indicated(), "the DISCONNECT waits for the window");
        closeWindow();
        assertEquals(DISCONNECT, g.controlReply());
        assertEquals("down/down", indicated());
        assertEquals(List.of(HostNic.LINK_DELAY_MS), timers.liveDelays(), "the DISCONNECT opened a window of its own");
        closeWindow();
        assertEquals(List.of(), timers.liveDelays(), "no change waits: no window follows");
        link(true);
        assertEquals(CONNECT, g.controlReply(), "outside any window a change is told at once");
        assertEquals("up/up", indicated());
    }

    @Test
    void aBackendGoneForGoodTakesTheLinkDownAndTheGuestIsTold() throws Exception {
        up();
        closeWindow();
        g.failBackend("TAP vmbushost0 is gone: it was deleted outside this process");
        assertEquals(DISCONNECT, g.controlReply(), "outside any window the guest is told at once");
        JsonObject state = g.onHost(() -> g.nic.state());
        assertEquals("down/down", state.getString("link") + "/" + state.getString("linkIndicated"));
        assertEquals("TAP vmbushost0 is gone: it was deleted outside this process", state.getString("backendFailure"));
        assertEquals(Rndis.MEDIA_STATE_DISCONNECTED, mediaState());
        g.failBackend("told twice");
        assertEquals("TAP vmbushost0 is gone: it was deleted outside this process",
                g.onHost(() -> g.nic.state()).getString("backendFailure"), "the first reason stays");
    }

    @Test
    void aBounceInsideTheWindowIsToldAsTwoIndicationsAWindowApart() throws Exception {
        up();
        link(false);
        link(true);
        assertEquals(Rndis.MEDIA_STATE_CONNECTED, mediaState());
        assertEquals("up/up", indicated());
        closeWindow();
        assertEquals(DISCONNECT, g.controlReply(), "the bounce's first leg, when the window closes");
        assertEquals("up/down", indicated());
        assertEquals(Rndis.MEDIA_STATE_CONNECTED, mediaState(), "its second leg waits for the next window");
        closeWindow();
        assertEquals(CONNECT, g.controlReply());
        assertEquals("up/up", indicated());
        closeWindow();
        assertEquals(List.of(), timers.liveDelays());
        assertEquals(Rndis.MEDIA_STATE_CONNECTED, mediaState(), "and nothing more is told");
    }

    @Test
    void changesThatEndWhereTheyBeganInsideTheWindowAreOneBounceNotMore() throws Exception {
        up();
        link(false);
        link(true);
        link(false);
        link(true);
        closeWindow();
        assertEquals(DISCONNECT, g.controlReply());
        closeWindow();
        assertEquals(CONNECT, g.controlReply());
        closeWindow();
        assertEquals(Rndis.MEDIA_STATE_CONNECTED, mediaState(), "no third indication before this answer");
        assertEquals(List.of(), timers.liveDelays());
    }
}
