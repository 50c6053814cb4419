package dev.vmbus.transport.shm;

import dev.vmbus.channel.Offer;
import dev.vmbus.transport.BufferChecks;
import dev.vmbus.transport.ChannelBuffer;
import dev.vmbus.transport.RecordedOffers;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Buffers and guest memory on {@code shm}, with the host in its own JVM: the offer's buffers, guest.mem. */
@org.junit.jupiter.api.Tag("slow") // a host process per test: run by mvn verify, not by mvn test
class ShmBuffersTest {
    private static final long RECEIVE = 31L << 20;
    private static final long SEND = 16L << 20;
    private static final long MEMORY_PAGES = 256;

    @TempDir
    Path dir;
    private HostProcess host;
    private Vertx vertx;

    @AfterEach
    void stop() throws Exception {
        if (vertx != null) {
            vertx.close().await(10, TimeUnit.SECONDS);
        }
        if (host != null) {
            host.close();
        }
    }

    private void startHost() throws Exception {
        host = HostProcess.start(BufferHostMain.class, dir.toString(), Long.toString(MEMORY_PAGES * 4096),
                Long.toString(RECEIVE), Long.toString(SEND));
    }

    @Test
    void subchannelsAreOfferedOnRequestByAHostProcessAndHandedToTheSameDevice() throws Exception {
        startHost();
        vertx = Vertx.vertx();
        dev.vmbus.transport.SubchannelScenario.run(vertx, new ShmGuest(vertx, new ShmOptions(dir), new dev.vmbus.channel.HostComplaints()), BufferHostMain.CLASS_ID, 9);
        // The subchannels' rings are their own files; their buffers are the primary's.
        assertTrue(Files.exists(dir.resolve("20.ring")));
        assertTrue(!Files.exists(dir.resolve("20.recv")));
    }

    @Test
    void buffersAndGuestMemoryAreSharedWithAHostProcess() throws Exception {
        startHost();

        // The host made the files before the offer, private to this user, named as DESIGN.md says.
        for (String file : new String[] {"9.recv", "9.send", "guest.mem"}) {
            assertEquals("rw-------", PosixFilePermissions.toString(
                    Files.getPosixFilePermissions(dir.resolve(file))), file);
        }
        assertEquals(RECEIVE, Files.size(dir.resolve("9.recv")));

        vertx = Vertx.vertx();
        Context context = vertx.getOrCreateContext();
        ShmGuest guest = new ShmGuest(vertx, new ShmOptions(dir), new dev.vmbus.channel.HostComplaints());
        RecordedOffers offers = new RecordedOffers();
        guest.start(context, offers).await(10, TimeUnit.SECONDS);
        Offer offer = offers.next();
        BufferChecks checks = BufferChecks.open(guest, offer, context);
        checks.buffersAreSharedAndBounded(RECEIVE, SEND);
        ChannelBuffer recv = checks.link().buffer(ChannelBuffer.Kind.RECEIVE).orElseThrow();
        assertTrue(recv.name().toString().matches("recv:\\d{6,}"), recv.name().toString());
        checks.guestMemoryIsSharedByPfn(guest, MEMORY_PAGES);
    }
}
