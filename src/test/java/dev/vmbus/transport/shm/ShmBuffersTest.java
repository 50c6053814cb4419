package dev.vmbus.transport.shm;

import dev.vmbus.channel.Offer;
import dev.vmbus.transport.BufferChecks;
import dev.vmbus.transport.ChannelBuffer;
import dev.vmbus.transport.OfferListener;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Buffers and guest memory on {@code shm}, with the host in its own JVM: the offer's buffers, guest.mem. */
class ShmBuffersTest {
    private static final long RECEIVE = 31L << 20;
    private static final long SEND = 16L << 20;
    private static final long MEMORY_PAGES = 256;

    @TempDir
    Path dir;
    private Process host;
    private Vertx vertx;

    @AfterEach
    void stop() throws Exception {
        if (vertx != null) {
            vertx.close().await(10, TimeUnit.SECONDS);
        }
        if (host != null) {
            host.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    private void startHost() throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        host = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                BufferHostMain.class.getName(), dir.toString(), Long.toString(MEMORY_PAGES * 4096),
                Long.toString(RECEIVE), Long.toString(SEND)).redirectErrorStream(true).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(host.getInputStream(), StandardCharsets.UTF_8));
        String line = CompletableFuture.supplyAsync(() -> {
            try {
                String l;
                while ((l = out.readLine()) != null && !l.equals("READY")) {
                    System.out.println("host: " + l);
                }
                return l;
            } catch (Exception e) {
                return null;
            }
        }).get(30, TimeUnit.SECONDS);
        assertEquals("READY", line, "host process did not start");
    }

    @Test
    void subchannelsAreOfferedOnRequestByAHostProcessAndHandedToTheSameDevice() throws Exception {
        startHost();
        vertx = Vertx.vertx();
        dev.vmbus.transport.SubchannelScenario.run(vertx, new ShmGuest(vertx, dir, new dev.vmbus.channel.HostComplaints()), BufferHostMain.CLASS_ID, 9);
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
        ShmGuest guest = new ShmGuest(vertx, dir, new dev.vmbus.channel.HostComplaints());
        LinkedBlockingQueue<Offer> offers = new LinkedBlockingQueue<>();
        guest.start(context, new OfferListener() {
            @Override
            public void offered(Offer offer) {
                offers.add(offer);
            }

            @Override
            public void rescinded(int relid) {
            }
        }).await(10, TimeUnit.SECONDS);
        Offer offer = offers.poll(10, TimeUnit.SECONDS);
        assertNotNull(offer, "no offer from the host process");
        BufferChecks checks = BufferChecks.open(guest, offer, context);
        checks.buffersAreSharedAndBounded(RECEIVE, SEND);
        ChannelBuffer recv = checks.link().buffer(ChannelBuffer.Kind.RECEIVE).orElseThrow();
        assertTrue(recv.name().toString().matches("recv:\\d{6,}"), recv.name().toString());
        checks.guestMemoryIsSharedByPfn(guest, MEMORY_PAGES);
    }
}
