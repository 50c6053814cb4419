package dev.vmbus.transport.shm;

import dev.vmbus.channel.HostComplaints;
import dev.vmbus.channel.Offer;
import dev.vmbus.os.Posix;
import dev.vmbus.transport.EchoHostLogic;
import dev.vmbus.transport.OnContext;
import dev.vmbus.transport.RecordedOffers;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Only this user (or root) may play host: the host makes DIR private, the guest refuses anything else. */
class ShmTrustTest {
    @TempDir
    Path tmp;
    private Vertx vertx;
    private Path dir;
    private ShmHost host;

    @BeforeEach
    void startHost() throws Exception {
        vertx = Vertx.vertx();
        dir = tmp.resolve("shm");
        Context context = vertx.getOrCreateContext();
        host = new ShmHost(vertx, dir);
        OnContext.call(context, () -> host.start()
                .compose(x -> host.offer(new Offer(3, EchoHostMain.CLASS_ID, UUID.randomUUID(), 0, 4 * 4096),
                        new EchoHostLogic(context)))).await(10, TimeUnit.SECONDS);
    }

    @AfterEach
    void stop() throws Exception {
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    private static String mode(Path p) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    private Exception guestStartFails() {
        ShmGuest guest = new ShmGuest(vertx, new ShmOptions(dir).withConnectTimeoutMs(500), new HostComplaints());
        return assertThrows(Exception.class, () -> guest.start(vertx.getOrCreateContext(), new RecordedOffers())
                .await(10, TimeUnit.SECONDS));
    }

    @Test
    void theHostMakesItsDirectoryRingsAndSocketsPrivate() throws Exception {
        assertEquals("rwx------", mode(dir));
        assertEquals("rw-------", mode(dir.resolve(ShmProtocol.CONTROL_SOCKET)));
        assertEquals("rw-------", mode(dir.resolve(ShmProtocol.ringFile(3))));
        assertEquals("rw-------", mode(dir.resolve(ShmProtocol.signalSocket(3))));
    }

    @Test
    void theGuestRefusesADirectoryOthersCanWriteNamingThePathAndMode() throws Exception {
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
        Exception e = guestStartFails();
        assertTrue(e.getMessage().contains("shm directory " + dir.toAbsolutePath() + " has mode 0777"), e.getMessage());
    }

    @Test
    void theGuestRefusesAControlSocketOwnedBySomeoneElse() throws Exception {
        assumeTrue(Posix.geteuid() == 0, "only root can give a file to another user");
        Path socket = dir.resolve(ShmProtocol.CONTROL_SOCKET);
        Files.setAttribute(socket, "unix:uid", 65534);
        Exception e = guestStartFails();
        assertTrue(e.getMessage().contains("shm control socket " + socket.toAbsolutePath() + " belongs to uid 65534"),
                e.getMessage());
    }

    @Test
    void theGuestRefusesToOpenARingFileOthersCanWrite() throws Exception {
        ShmGuest guest = new ShmGuest(vertx, new ShmOptions(dir).withConnectTimeoutMs(2_000), new HostComplaints());
        RecordedOffers offers = new RecordedOffers();
        guest.start(vertx.getOrCreateContext(), offers).await(10, TimeUnit.SECONDS);
        Offer offer = offers.next();
        assertNotNull(offer);
        Path ring = dir.resolve(ShmProtocol.ringFile(3));
        Files.setPosixFilePermissions(ring, PosixFilePermissions.fromString("rw-rw-rw-"));
        Exception e = assertThrows(Exception.class, () -> guest.open(offer).await(10, TimeUnit.SECONDS));
        assertTrue(e.getMessage().contains("ring file " + ring.toAbsolutePath() + " has mode 0666"), e.getMessage());
        Files.setPosixFilePermissions(ring, PosixFilePermissions.fromString("rw-------"));
        assertNotNull(guest.open(offer).await(10, TimeUnit.SECONDS), "a private ring file opens");
    }

    @Test
    void aHostRefusesADirectoryThatAnotherUserOwns() throws Exception {
        assumeTrue(Posix.geteuid() == 0, "only root can give a directory to another user");
        Path foreign = tmp.resolve("foreign");
        Files.createDirectory(foreign);
        Files.setAttribute(foreign, "unix:uid", 65534);
        Exception e = assertThrows(Exception.class, () -> new ShmHost(vertx, foreign).start().await(10, TimeUnit.SECONDS));
        assertTrue(e.getMessage().contains("belongs to uid 65534"), e.getMessage());
    }
}
