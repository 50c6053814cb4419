package dev.vmbus.bus;

import dev.vmbus.channel.Packet;
import dev.vmbus.ring.GpaRanges;
import dev.vmbus.ring.PacketType;
import dev.vmbus.ring.TransferPageRanges;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** Received packets' ranges in their JSON form, u32 values unsigned; packets without ranges keep their old form. */
class PacketJsonRangesTest {

    @Test
    void transferPagesAndGpaRangesAppearOnlyOnPacketsThatCarryThem() {
        TransferPageRanges t = new TransferPageRanges().reset(0xCAFE, true).add(-1, 6144);
        JsonObject x = PacketJson.toJson(new Packet(2, PacketType.DATA_USING_XFER_PAGES, 1, 9, new byte[0], t, null));
        assertEquals(new JsonObject("{\"pageSetId\":51966,\"senderOwns\":true,"
                + "\"ranges\":[{\"byteCount\":4294967295,\"byteOffset\":6144}]}"), x.getJsonObject("transferPages"));
        assertNull(x.getValue("gpaRanges"));

        GpaRanges g = new GpaRanges().add(100, 0xFF0, new long[] {-1L, 5}, 0);
        JsonObject y = PacketJson.toJson(new Packet(2, PacketType.DATA_USING_GPA_DIRECT, 1, 9, new byte[0], null, g));
        assertEquals("[{\"byteCount\":100,\"byteOffset\":4080,\"pfns\":[\"18446744073709551615\",\"5\"]}]",
                y.getJsonArray("gpaRanges").encode());

        JsonObject plain = PacketJson.toJson(new Packet(2, PacketType.DATA_INBAND, 0, 1, new byte[] {1}));
        assertEquals(java.util.Set.of("relid", "type", "typeName", "flags", "transactionId", "payload"),
                plain.fieldNames());
    }
}
