package dev.vmbus.transport;

import dev.vmbus.channel.EndReason;
import dev.vmbus.channel.Packet;
import dev.vmbus.ring.PacketType;
import dev.vmbus.runtime.ChannelDriver;
import io.vertx.core.Context;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Host logic for buffer and guest-memory tests, driven by in-band text commands from the guest; every answer
 * echoes the command's transaction id:
 * <ul>
 *   <li>{@code names}: the host's own buffer names, space-separated;</li>
 *   <li>{@code where}: {@code relid R subchannel K} of the channel it came on;</li>
 *   <li>{@code fill:KIND:OFF:LEN:B}: fills the host's view of buffer KIND (recv or send) with byte B, answers
 *       {@code filled} (or {@code error: ...});</li>
 *   <li>{@code read:KIND:OFF:LEN}: answers the bytes the host sees there;</li>
 *   <li>{@code subchannels:N}: offers N subchannels of this channel ({@link dev.vmbus.host.Subchannels}),
 *       answers {@code offered N};</li>
 *   <li>{@code gpa:OFF:LEN:PFN,PFN...}: answers the bytes of that GPA range of guest memory, or
 *       {@code error: ...} when it does not resolve.</li>
 * </ul>
 */
public final class BufferHostLogic implements HostTransport.ChannelListener {
    private final Context context;
    private final Supplier<SharedGuestMemory> memory;
    public final Map<Integer, ChannelDriver> drivers = new ConcurrentHashMap<>();
    /** Where {@code subchannels:N} offers them, with relids from 20 up; null to refuse the command. */
    public volatile HostTransport transport;
    private int nextRelid = 20;

    public BufferHostLogic(Context context, Supplier<SharedGuestMemory> memory) {
        this.context = context;
        this.memory = memory;
    }

    @Override
    public void opened(ChannelLink link) {
        ChannelDriver[] self = new ChannelDriver[1];
        self[0] = ChannelDriver.host(link, context, 0, packet -> onPacket(link, self[0], packet));
        drivers.put(link.offer().relid(), self[0]);
    }

    private void onPacket(ChannelLink link, ChannelDriver driver, Packet packet) {
        String text = new String(packet.payload(), StandardCharsets.US_ASCII).trim();
        byte[] answer;
        try {
            answer = answer(link, text);
        } catch (RuntimeException e) {
            answer = ("error: " + e.getMessage()).getBytes(StandardCharsets.US_ASCII);
        }
        driver.send(answer, packet.transactionId(), PacketType.DATA_INBAND, 0);
    }

    private byte[] answer(ChannelLink link, String text) {
        String[] f = text.split(":");
        switch (f[0]) {
            case "names" -> {
                StringBuilder b = new StringBuilder();
                link.buffers().forEach(x -> b.append(b.isEmpty() ? "" : " ").append(x.name()));
                return b.toString().getBytes(StandardCharsets.US_ASCII);
            }
            case "fill" -> {
                byte[] bytes = new byte[Integer.parseInt(f[3])];
                Arrays.fill(bytes, (byte) Integer.parseInt(f[4]));
                buffer(link, f[1]).write(Long.parseLong(f[2]), bytes);
                return "filled".getBytes(StandardCharsets.US_ASCII);
            }
            case "read" -> {
                return buffer(link, f[1]).read(Long.parseLong(f[2]), Integer.parseInt(f[3]));
            }
            case "gpa" -> {
                long[] pfns = Arrays.stream(f[3].split(",")).mapToLong(Long::parseLong).toArray();
                SharedGuestMemory m = memory.get();
                if (m == null) {
                    throw new IllegalStateException("the host has no guest memory");
                }
                return m.read(pfns, Integer.parseInt(f[1]), Integer.parseInt(f[2]));
            }
            case "subchannels" -> {
                int n = Integer.parseInt(f[1]);
                dev.vmbus.host.Subchannels.offer(transport, link.offer(), n, () -> nextRelid++, this)
                        .onFailure(e -> System.out.println("subchannels refused: " + e.getMessage()));
                return ("offered " + n).getBytes(StandardCharsets.US_ASCII);
            }
            case "where" -> {
                return ("relid " + link.offer().relid() + " subchannel " + link.offer().subchannel())
                        .getBytes(StandardCharsets.US_ASCII);
            }
            default -> throw new IllegalArgumentException("unknown command " + text);
        }
    }

    private static ChannelBuffer buffer(ChannelLink link, String kind) {
        return link.buffer(kind.equals("recv") ? ChannelBuffer.Kind.RECEIVE : ChannelBuffer.Kind.SEND)
                .orElseThrow(() -> new IllegalStateException("no " + kind + " buffer"));
    }

    @Override
    public void closed(int relid, EndReason reason) {
        drivers.remove(relid);
    }
}
