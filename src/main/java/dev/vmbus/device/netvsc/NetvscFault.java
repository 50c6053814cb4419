package dev.vmbus.device.netvsc;

/**
 * The host broke NVSP or RNDIS (a bad answer, a range outside a buffer, an id never issued): the message is the
 * reason the NIC's channel is faulted with. Thrown inside packet handling and turned into the packet's failed
 * future, which faults that channel only.
 */
final class NetvscFault extends RuntimeException {
    private static final long serialVersionUID = 1L;

    NetvscFault(String reason) {
        super(reason);
    }

    NetvscFault(String reason, Throwable cause) {
        super(reason, cause);
    }
}
