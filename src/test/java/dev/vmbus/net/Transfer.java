package dev.vmbus.net;

import dev.vmbus.bench.Netns;
import dev.vmbus.os.NetNamespace;
import io.vertx.core.Promise;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One TCP transfer between two network namespaces over IPv6 link-local, in this JVM: the receiver's socket is made
 * in its namespace, the sender's in its own ({@link NetNamespace#call}); the sender streams seeded pseudo-random
 * bytes and both ends compute SHA-256 over what they sent and received. Bounded: a read waits at most 30 s, the
 * whole transfer at most {@code timeoutSeconds}, after which both sockets are closed.
 */
final class Transfer {
    /** What each end counted and hashed. */
    record Result(long sent, String sentSha256, long received, String receivedSha256, double seconds) {
        double gbitPerSecond() {
            return received * 8 / seconds / 1e9;
        }
    }

    private Transfer() {
    }

    /**
     * {@code bytes} from namespace {@code from} to {@code address} on namespace {@code to}'s interface
     * {@code toDev}, connecting through {@code fromDev}.
     */
    static Result run(Netns from, String fromDev, Netns to, String toDev, String address, int port, long bytes,
                      int timeoutSeconds) throws Exception {
        byte[] ip = InetAddress.getByName(address).getAddress();
        Inet6Address listenAt = Inet6Address.getByAddress(null, ip, dev.vmbus.bench.NetLab.ifindex(to, toDev));
        Inet6Address connectTo = Inet6Address.getByAddress(null, ip, dev.vmbus.bench.NetLab.ifindex(from, fromDev));
        try (ServerSocket server = NetNamespace.call(to.path(), () -> {
            ServerSocket s = new ServerSocket();
            s.bind(new InetSocketAddress(listenAt, port));
            return s;
        })) {
            server.setSoTimeout(30_000);
            Promise<Object[]> receiver = Promise.promise();
            Thread.ofPlatform().daemon().name("transfer-receiver").start(() -> {
                try (Socket s = server.accept(); InputStream in = s.getInputStream()) {
                    s.setSoTimeout(30_000);
                    MessageDigest sha = MessageDigest.getInstance("SHA-256");
                    byte[] buffer = new byte[256 * 1024];
                    long total = 0;
                    for (int n; (n = in.read(buffer)) > 0; ) {
                        sha.update(buffer, 0, n);
                        total += n;
                    }
                    receiver.complete(new Object[] {total, HexFormat.of().formatHex(sha.digest())});
                } catch (Throwable e) {
                    receiver.fail(new IOException("the transfer failed: " + e, e));
                }
            });
            long t0 = System.nanoTime();
            Socket sender = NetNamespace.call(from.path(), () -> {
                Socket s = new Socket();
                s.connect(new InetSocketAddress(connectTo, port), 10_000);
                return s;
            });
            Promise<Object[]> sending = Promise.promise();
            Thread.ofPlatform().daemon().name("transfer-sender").start(() -> {
                try (OutputStream out = sender.getOutputStream()) {
                    MessageDigest sha = MessageDigest.getInstance("SHA-256");
                    SplittableRandom random = new SplittableRandom(bytes ^ port);
                    byte[] chunk = new byte[256 * 1024];
                    long left = bytes;
                    while (left > 0) {
                        int n = (int) Math.min(chunk.length, left);
                        random.nextBytes(chunk);
                        sha.update(chunk, 0, n);
                        out.write(chunk, 0, n);
                        left -= n;
                    }
                    out.flush();
                    sender.shutdownOutput();
                    sending.complete(new Object[] {bytes, HexFormat.of().formatHex(sha.digest())});
                } catch (Throwable e) {
                    sending.fail(new IOException("the transfer failed: " + e, e));
                }
            });
            try {
                Object[] sent = sending.future().await(timeoutSeconds, TimeUnit.SECONDS);
                long leftNanos = TimeUnit.SECONDS.toNanos(timeoutSeconds) - (System.nanoTime() - t0);
                Object[] got = receiver.future().await(Math.max(1, leftNanos), TimeUnit.NANOSECONDS);
                double seconds = (System.nanoTime() - t0) / 1e9;
                return new Result((Long) sent[0], (String) sent[1], (Long) got[0], (String) got[1], seconds);
            } catch (TimeoutException e) {
                throw new AssertionError("the transfer of " + bytes + " bytes did not finish in " + timeoutSeconds
                        + " s", e);
            } finally {
                sender.close();
            }
        }
    }
}
