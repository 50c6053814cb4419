package dev.vmbus.device.netvsc;

import dev.vmbus.net.Nvsp;
import dev.vmbus.net.NvspMessage;
import dev.vmbus.net.Rndis;
import dev.vmbus.net.RndisMessage;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * The answers {@link NicHost#bringUp} gives a guest's NVSP and RNDIS bring-up, as OpenVMM's netvsp gives them (spec
 * §5.1): each a default a test overrides to play one host mistake.
 */
interface NetvspAnswers {
    default NvspMessage init(NvspMessage.Init m) {
        return new NvspMessage.InitComplete(0xFFFFFFFF, 34,
                m.maxVersion() == Nvsp.VERSION_61 ? Nvsp.STATUS_SUCCESS : Nvsp.STATUS_NONE);
    }

    default NvspMessage receiveBuffer(long bufferSize) {
        int count = (int) (bufferSize / NicHost.SLOT);
        return new NvspMessage.ReceiveBufferComplete(Nvsp.STATUS_SUCCESS,
                List.of(new NvspMessage.ReceiveSection(0, NicHost.SLOT, count, NicHost.SLOT * count)));
    }

    default NvspMessage sendBuffer() {
        return new NvspMessage.SendBufferComplete(Nvsp.STATUS_SUCCESS, NicHost.SECTION);
    }

    default NvspMessage controlCompletion() {
        return new NvspMessage.RndisPacketComplete(Nvsp.STATUS_SUCCESS);
    }

    default RndisMessage rndis(RndisMessage request) {
        return standard(request);
    }

    /** The channel the NVSP 107 carrying {@code request} is completed on: the primary, where the guest sent it. */
    default int completeOn(RndisMessage request) {
        return NicHost.RELID;
    }

    /** The channel whose transfer pages carry the response to {@code request}: the primary, as netvsp answers. */
    default int respondOn(RndisMessage request) {
        return NicHost.RELID;
    }

    /** NVSP 133: grants what the guest asks for. */
    default NvspMessage subchannels(NvspMessage.SubchannelRequest request) {
        return new NvspMessage.SubchannelComplete(Nvsp.STATUS_SUCCESS, request.count());
    }

    /** The standard RNDIS answers, as netvsp gives them. */
    static RndisMessage standard(RndisMessage request) {
        return switch (request) {
            case RndisMessage.InitializeRequest r -> new RndisMessage.InitializeComplete(r.requestId(),
                    Rndis.STATUS_SUCCESS, 1, 0, Rndis.DEVICE_CONNECTIONLESS, Rndis.MEDIUM_802_3, 8, 0xEFFFFFFF, 3, 0, 0);
            case RndisMessage.Set s -> new RndisMessage.SetComplete(s.requestId(), Rndis.STATUS_SUCCESS);
            case RndisMessage.Query q -> switch (q.oid()) {
                case Rndis.OID_GEN_MAXIMUM_FRAME_SIZE -> new RndisMessage.QueryComplete(q.requestId(),
                        Rndis.STATUS_SUCCESS, u32(1500));
                case Rndis.OID_802_3_PERMANENT_ADDRESS -> new RndisMessage.QueryComplete(q.requestId(),
                        Rndis.STATUS_SUCCESS, NicHost.MAC);
                case Rndis.OID_GEN_MEDIA_CONNECT_STATUS -> new RndisMessage.QueryComplete(q.requestId(),
                        Rndis.STATUS_SUCCESS, u32(Rndis.MEDIA_STATE_CONNECTED));
                case Rndis.OID_GEN_RECEIVE_SCALE_CAPABILITIES -> {
                    ByteBuffer caps = ByteBuffer.allocate(20).order(ByteOrder.LITTLE_ENDIAN);
                    caps.put(0, (byte) 0x88).put(1, (byte) 2).putShort(2, (short) 20).putInt(4, 0x701)
                            .putInt(8, NicHost.HOST_QUEUES).putInt(12, NicHost.HOST_QUEUES).putShort(16, (short) 128);
                    yield new RndisMessage.QueryComplete(q.requestId(), Rndis.STATUS_SUCCESS, caps.array());
                }
                default -> new RndisMessage.QueryComplete(q.requestId(), Rndis.STATUS_NOT_SUPPORTED, new byte[0]);
            };
            default -> throw new AssertionError("the guest sent RNDIS " + request);
        };
    }

    /** {@code v} as a little-endian 32-bit field. */
    static byte[] u32(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, v).array();
    }
}
