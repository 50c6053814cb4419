package dev.vmbus.host.nic;

import dev.vmbus.channel.EndReason;
import dev.vmbus.channel.Packet;
import dev.vmbus.host.Subchannels;
import dev.vmbus.net.NetCodecException;
import dev.vmbus.ring.PacketType;
import dev.vmbus.transport.ChannelLink;
import dev.vmbus.transport.HostTransport;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The host's NIC's channels: the primary's and the subchannels' opens and closes (each open of the primary starts
 * the device afresh), the subchannels it offers and rescinds, each packet handed to {@link HostNvsp} or
 * {@link HostRndis}, and a guest mistake ending that channel only.
 *
 * <p>Threads: the host's context.
 */
final class HostNicChannels {
    private final HostNic nic;
    private final List<Integer> subchannelRelidsOffered = new ArrayList<>();

    HostNicChannels(HostNic nic) {
        this.nic = nic;
    }

    /** The primary's listener. */
    HostTransport.ChannelListener primary() {
        return new Listener(0);
    }

    private final class Listener implements HostTransport.ChannelListener {
        private final int index;

        Listener(int index) {
            this.index = index;
        }

        @Override
        public void opened(ChannelLink link) {
            if (index == 0) {
                reset();
                nic.opens++;
                nic.phase = HostNic.Phase.WAIT_INIT;
            } else if (!nic.queues.containsKey(0) || nic.phase != HostNic.Phase.ACTIVE) {
                HostNic.LOG.warning("host: nic subchannel " + index + " opened while the primary is " + nic.phase
                        + "; closing it");
                link.close();
                return;
            }
            HostNicQueue q = new HostNicQueue(index, link, nic.context, HostNicChannels.this::onPacket);
            nic.queues.put(index, q);
            HostNic.LOG.info("host: nic queue " + index + " (relid " + link.offer().relid() + ") opened by the guest");
        }

        @Override
        public void closed(int relid, EndReason reason) {
            HostNicQueue q = nic.queues.get(index);
            if (q != null && q.link.offer().relid() == relid) {
                nic.queues.remove(index);
            }
            HostNic.LOG.info("host: nic queue " + index + " (relid " + relid + ") closed (" + reason.text() + ")");
            if (index == 0) {
                if (nic.phase != HostNic.Phase.FAULTED) {
                    nic.phase = HostNic.Phase.OFFERED;
                }
                if (nic.faults.keepSubchannels()) {
                    HostNic.LOG.info("host: nic subchannels " + subchannelRelidsOffered + " stay offered (fault knob"
                            + " keepSubchannels): the guest closes them");
                } else {
                    rescindSubchannels();
                }
                reset();
            }
        }
    }

    /** Forgets the device's negotiated state (a new open starts from INIT). */
    private void reset() {
        nic.nvsp.reset();
        nic.rndis.reset();
        nic.link.reset();
        nic.queues.values().forEach(q -> {
            q.data.clear();
            q.control.clear();
        });
        nic.toGuest.resumePort();
    }

    /** Offers {@code granted} subchannels of the primary, each on its own relid ({@link HostNic#subchannelRelids}). */
    void offerSubchannels(int granted) {
        int[] relids = new int[granted];
        for (int i = 0; i < granted; i++) {
            relids[i] = nic.subchannelRelids.applyAsInt(i + 1);
            subchannelRelidsOffered.add(relids[i]);
        }
        int[] next = {0};
        Subchannels.offer(nic.transport, nic.offer, granted, () -> relids[next[0]++],
                new HostTransport.ChannelListener() {
                    @Override
                    public void opened(ChannelLink link) {
                        new Listener(link.offer().subchannel()).opened(link);
                    }

                    @Override
                    public void closed(int relid, EndReason reason) {
                        Integer index = null;
                        for (Map.Entry<Integer, HostNicQueue> e : nic.queues.entrySet()) {
                            if (e.getValue().link.offer().relid() == relid) {
                                index = e.getKey();
                            }
                        }
                        if (index != null && index != 0) {
                            new Listener(index).closed(relid, reason);
                        }
                    }
                }).onSuccess(o -> HostNic.LOG.info("host: nic offered " + granted + " subchannel(s)"))
                .onFailure(e -> HostNic.LOG.warning("host: nic could not offer its subchannels: " + e.getMessage()));
    }

    private void rescindSubchannels() {
        for (int relid : subchannelRelidsOffered) {
            nic.transport.rescind(relid).onFailure(e -> HostNic.LOG.fine("host: nic subchannel relid " + relid
                    + " was already gone: " + e.getMessage()));
        }
        subchannelRelidsOffered.clear();
    }

    private void onPacket(HostNicQueue q, Packet packet) {
        if (!q.driver.open()) {
            return;
        }
        try {
            switch (packet.type()) {
                case PacketType.COMP -> nic.nvsp.guestCompletion(packet);
                case PacketType.DATA_INBAND -> nic.nvsp.inband(q, packet);
                case PacketType.DATA_USING_GPA_DIRECT -> nic.rndis.gpaDirect(q, packet);
                default -> throw new NicMistake("a " + PacketType.name(packet.type())
                        + " packet, which a guest never sends on a NIC channel");
            }
        } catch (NicMistake e) {
            faulted(q, e.getMessage());
        } catch (NetCodecException e) {
            faulted(q, e.getMessage());
        }
    }

    /** A guest mistake on {@code q}: the host stops serving that channel and rescinds it, with the reason. */
    void faulted(HostNicQueue q, String why) {
        String reason = "queue " + q.index + " (relid " + q.link.offer().relid() + "): " + why;
        nic.fault = reason;
        nic.faultCount++;
        HostNic.LOG.warning("host: nic " + reason + "; ending the channel");
        if (q.index == 0) {
            nic.phase = HostNic.Phase.FAULTED;
        }
        nic.queues.remove(q.index);
        q.driver.end(EndReason.of(EndReason.Kind.HANDLER_FAILED, "host: " + why));
        q.link.close(); // the host stops serving the channel: the guest sees it rescinded
    }
}
