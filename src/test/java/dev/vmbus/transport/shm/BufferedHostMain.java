package dev.vmbus.transport.shm;

import dev.vmbus.channel.EndReason;
import dev.vmbus.channel.Offer;
import dev.vmbus.host.BufferedHostChannel;
import dev.vmbus.ring.PacketType;
import dev.vmbus.transport.ChannelLink;
import dev.vmbus.transport.HostTransport;
import dev.vmbus.transport.SharedGuestMemory;
import io.vertx.core.Context;
import io.vertx.core.Vertx;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A host process serving {@code args[0]} with 64 pages of guest memory and two {@link BufferedHostChannel}s
 * (relids 9 and 10, receive buffer of 32 slots of 2048 bytes, send buffer of 8 pages). In-band commands from the
 * guest: {@code batch:N:LEN} sends N messages of LEN bytes (byte i of message k is {@code k + i}) as one
 * transfer-page packet; {@code raw:W0,W1,...} writes those hex u64 words unchecked as the next packet;
 * {@code past}, {@code unissued}, {@code withhold} set the knobs; {@code state} answers
 * {@code free F completions C gpa G fault X}; anything else is echoed. Every GPA-direct packet's data is answered
 * in band with transaction id 1. Prints {@code READY}.
 */
public final class BufferedHostMain {
    public static final UUID CLASS_ID = UUID.fromString("4b1f3d2a-77e1-4f0e-8a55-3c1d2e3f4052");
    public static final int SLOT = 2048;
    static final byte[] NVSP_107 = {107, 0, 0, 0, 0, 0, 0, 0, -1, -1, -1, -1, 0, 0, 0, 0};

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        Vertx vertx = Vertx.vertx();
        Context context = vertx.getOrCreateContext();
        context.runOnContext(v -> {
            ShmHost host = new ShmHost(vertx, dir);
            AtomicReference<SharedGuestMemory> ram = new AtomicReference<>();
            HostTransport.ChannelListener listener = new HostTransport.ChannelListener() {
                @Override
                public void opened(ChannelLink link) {
                    BufferedHostChannel[] self = new BufferedHostChannel[1];
                    self[0] = new BufferedHostChannel(link, context, SLOT, ram.get(),
                            gpa -> self[0].driver().send(gpa.data(), 1, PacketType.DATA_INBAND, 0),
                            p -> command(self[0], p));
                }

                @Override
                public void closed(int relid, EndReason reason) {
                }
            };
            HostTransport.Buffers buffers = new HostTransport.Buffers(32L * SLOT, 8 * 4096);
            host.start()
                    .compose(x -> host.guestMemory(64 * 4096)).onSuccess(ram::set)
                    .compose(x -> host.offer(new Offer(9, CLASS_ID, UUID.randomUUID(), 0, 8 * 4096), buffers, listener))
                    .compose(x -> host.offer(new Offer(10, CLASS_ID, UUID.randomUUID(), 0, 8 * 4096), buffers, listener))
                    .onSuccess(x -> System.out.println("READY"))
                    .onFailure(e -> {
                        e.printStackTrace();
                        System.exit(2);
                    });
        });
        Thread.currentThread().join();
    }

    private static void command(BufferedHostChannel h, dev.vmbus.channel.Packet p) {
        String text = new String(p.payload(), StandardCharsets.US_ASCII).replace("\0", "").trim();
        String[] f = text.split(":");
        switch (f[0]) {
            case "batch" -> {
                List<byte[]> messages = new ArrayList<>();
                for (int k = 0; k < Integer.parseInt(f[1]); k++) {
                    byte[] m = new byte[Integer.parseInt(f[2])];
                    for (int i = 0; i < m.length; i++) {
                        m[i] = (byte) (k + i);
                    }
                    messages.add(m);
                }
                h.send(messages, NVSP_107);
            }
            case "raw" -> { // raw:W0,W1,...: hex LE u64 words, written unchecked as the next packet (hostile bytes)
                String[] words = f[1].split(",");
                java.lang.foreign.MemorySegment bad = java.lang.foreign.Arena.ofAuto().allocate(8L * words.length, 8);
                for (int i = 0; i < words.length; i++) {
                    bad.set(java.lang.foreign.ValueLayout.JAVA_LONG.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), 8L * i,
                            Long.parseUnsignedLong(words[i], 16));
                }
                h.driver().writeRaw(bad, 0, 8 * words.length);
            }
            case "past" -> h.rangePastBuffer();
            case "unissued" -> h.completeWithUnissuedIds(true);
            case "withhold" -> h.withholdCompletions(true);
            case "state" -> h.driver().send(("free " + h.slots().free() + " completions " + h.completionsReceived()
                    + " gpa " + h.gpaPackets()).getBytes(StandardCharsets.US_ASCII), p.transactionId(),
                    PacketType.DATA_INBAND, 0);
            default -> h.driver().send(p.payload(), p.transactionId(), PacketType.DATA_INBAND, 0);
        }
    }
}
