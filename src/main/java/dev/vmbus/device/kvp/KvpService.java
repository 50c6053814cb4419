package dev.vmbus.device.kvp;

import dev.vmbus.ic.IcConstants;
import dev.vmbus.ic.IcStatus;
import dev.vmbus.ic.IcMessage;
import dev.vmbus.ic.MalformedFieldException;
import dev.vmbus.ic.kvp.KvpIpInfo;
import dev.vmbus.ic.kvp.KvpMessage;
import dev.vmbus.ic.kvp.KvpPoolFormat;
import dev.vmbus.ic.kvp.KvpRecord;
import dev.vmbus.ic.kvp.KvpValue;

import dev.vmbus.channel.HostComplaints;
import dev.vmbus.channel.HostComplaints.Kind;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;

/**
 * The guest's KVP service (spec ic-protocols.md sections 3.4.4 and 4): answers one KVP message in place, the way
 * Linux's kernel and {@code hv_kvp_daemon} answer together, with their bugs fixed (GET fills the value, 64-bit
 * values of type 11 are kept, nothing is silently truncated on the way in). Blocking: run on a worker, one
 * message at a time.
 */
final class KvpService {
    private static final Logger LOG = Logger.getLogger(KvpService.class.getName());

    private final KvpPoolFile[] pools = new KvpPoolFile[KvpMessage.POOL_COUNT];
    private final AutoPool auto;
    private final NetworkFacts network;
    private final IpSettingsWriter ipWriter;
    private final Map<Integer, List<KvpRecord>> lastSeen = new ConcurrentHashMap<>();
    private final HostComplaints complaints;

    KvpService(KvpSettings settings, AutoPool auto, NetworkFacts network, HostComplaints complaints) {
        this.complaints = complaints;
        for (int pool = 0; pool < pools.length; pool++) {
            pools[pool] = new KvpPoolFile(settings.poolDir(), pool);
        }
        this.auto = auto;
        this.network = network;
        this.ipWriter = new IpSettingsWriter(settings);
    }

    /** The pools as last read or written (pool 2 as generated at that time), for display. */
    Map<Integer, List<KvpRecord>> lastSeen() {
        return Map.copyOf(lastSeen);
    }

    IpSettingsWriter ipWriter() {
        return ipWriter;
    }

    /** Reads every pool once (start-up, so the dashboard has something to show). */
    void refresh() throws IOException {
        for (int pool = 0; pool < pools.length; pool++) {
            lastSeen.put(pool, pool == KvpMessage.POOL_AUTO ? auto.all() : pools[pool].read());
        }
    }

    /**
     * Answers {@code m} in place.
     *
     * @return false for "send no reply" (a message of another type: Linux's KVP driver logs and drops it)
     */
    boolean handle(int relid, IcMessage m) {
        if (m.msgType() != IcConstants.MSGTYPE_KVPEXCHANGE) {
            complaints.report(relid, Kind.MALFORMED_MESSAGE, () -> "kvp: dropping a message of type " + m.msgType());
            return false;
        }
        m.status(answer(relid, m));
        return true;
    }

    private IcStatus answer(int relid, IcMessage m) {
        if (!m.hasBody(2)) {
            return IcConstants.E_FAIL; // not even an operation and a pool
        }
        int op = KvpMessage.operation(m);
        int pool = KvpMessage.pool(m);
        int needed = KvpMessage.requiredLength(op);
        if (needed < 0) {
            complaints.report(relid, Kind.MALFORMED_MESSAGE, () -> "kvp: unknown operation " + op);
            return IcConstants.E_FAIL;
        }
        if (m.length() < needed) {
            complaints.report(relid, Kind.SHORT_MESSAGE,
                    () -> "kvp: operation " + op + " needs " + needed + " bytes, the message has " + m.length());
            return IcConstants.E_FAIL;
        }
        if (op <= KvpMessage.OP_ENUMERATE && pool >= KvpMessage.POOL_COUNT) {
            complaints.report(relid, Kind.REFUSED_REQUEST, () -> "kvp: no pool " + pool);
            return IcConstants.E_FAIL;
        }
        try {
            return switch (op) {
                case KvpMessage.OP_SET -> set(relid, m, pool);
                case KvpMessage.OP_GET -> get(m, pool);
                case KvpMessage.OP_DELETE -> delete(m, pool);
                case KvpMessage.OP_ENUMERATE -> enumerate(m, pool);
                case KvpMessage.OP_GET_IP_INFO -> getIpInfo(relid, m);
                default -> ipWriter.apply(KvpIpInfo.read(m));
            };
        } catch (MalformedFieldException e) {
            complaints.report(relid, Kind.MALFORMED_MESSAGE, () -> "kvp: malformed operation " + op + ": " + e.getMessage());
            return IcConstants.E_FAIL;
        } catch (IOException e) {
            LOG.warning("kvp: pool " + pool + " I/O failed: " + e);
            return IcConstants.E_FAIL;
        }
    }

    private IcStatus set(int relid, IcMessage m, int pool) throws MalformedFieldException, IOException {
        if (pool == KvpMessage.POOL_AUTO) {
            return IcConstants.ERROR_NOT_SUPPORTED; // generated from the machine: nothing to store
        }
        KvpMessage.Exchange exchange = KvpMessage.GET_SET;
        if (Integer.toUnsignedLong(m.u32(exchange.keySizeAt())) > KvpMessage.KEY_BYTES
                || Integer.toUnsignedLong(m.u32(exchange.valueSizeAt())) > KvpMessage.VALUE_BYTES) {
            return IcConstants.S_CONT; // the daemon's answer to a key or value too big for a record
        }
        int type = m.u32(exchange.typeAt());
        if (!KvpValue.isString(type) && !KvpValue.isNumber(type)) {
            complaints.report(relid, Kind.MALFORMED_MESSAGE, () -> "kvp: SET with unknown value type " + type);
            return IcConstants.ERROR_NOT_SUPPORTED;
        }
        String key = exchange.key(m);
        String value = exchange.value(m).text();
        byte[] k = key.getBytes(StandardCharsets.UTF_8);
        byte[] v = value.getBytes(StandardCharsets.UTF_8);
        if (k.length >= KvpPoolFormat.KEY_FIELD || v.length >= KvpPoolFormat.VALUE_FIELD) {
            return IcConstants.S_CONT; // fits in UTF-16 but not in the pool's UTF-8 field: refuse, never cut
        }
        KvpRecord record = new KvpRecord(k, v);
        lastSeen.put(pool, pools[pool].modify(records -> {
            for (int i = 0; i < records.size(); i++) {
                if (records.get(i).hasKey(k)) {
                    records.set(i, record); // modify keeps the record's place
                    return records;
                }
            }
            records.add(record);
            return records;
        }));
        return IcConstants.S_OK;
    }

    private IcStatus get(IcMessage m, int pool) throws MalformedFieldException, IOException {
        String key = KvpMessage.GET_SET.key(m);
        Optional<String> value;
        if (pool == KvpMessage.POOL_AUTO) {
            value = auto.get(key);
        } else {
            byte[] k = key.getBytes(StandardCharsets.UTF_8);
            value = Optional.empty();
            for (KvpRecord r : read(pool)) {
                if (r.hasKey(k)) {
                    value = Optional.of(utf8(r.value()));
                    break;
                }
            }
        }
        if (value.isEmpty()) {
            return IcConstants.S_CONT;
        }
        KvpMessage.GET_SET.putValue(m, KvpValue.string(value.get()));
        return IcConstants.S_OK;
    }

    private IcStatus delete(IcMessage m, int pool) throws MalformedFieldException, IOException {
        if (pool == KvpMessage.POOL_AUTO) {
            return IcConstants.ERROR_NOT_SUPPORTED;
        }
        if (Integer.toUnsignedLong(m.u32(KvpMessage.DELETE_KEY_SIZE)) > KvpMessage.KEY_BYTES) {
            return IcConstants.S_CONT;
        }
        byte[] k = KvpMessage.key(m, KvpMessage.DELETE_KEY_SIZE, KvpMessage.DELETE_KEY).getBytes(StandardCharsets.UTF_8);
        boolean[] found = new boolean[1];
        lastSeen.put(pool, pools[pool].modify(records -> {
            for (int i = 0; i < records.size(); i++) {
                if (records.get(i).hasKey(k)) {
                    records.remove(i); // later records shift up by one, as the daemon does
                    found[0] = true;
                    break;
                }
            }
            return records;
        }));
        return found[0] ? IcConstants.S_OK : IcConstants.S_CONT;
    }

    private IcStatus enumerate(IcMessage m, int pool) throws MalformedFieldException, IOException {
        long index = Integer.toUnsignedLong(m.u32(KvpMessage.ENUM_INDEX));
        Optional<KvpRecord> record;
        if (pool == KvpMessage.POOL_AUTO) {
            record = index < AutoPool.KEYS.size() ? auto.record((int) index) : Optional.empty();
            lastSeen.put(pool, auto.all());
        } else {
            List<KvpRecord> records = read(pool);
            record = index < records.size() ? Optional.of(records.get((int) index)) : Optional.empty();
        }
        if (record.isEmpty()) {
            return IcConstants.S_CONT; // end of enumeration
        }
        KvpMessage.ENUMERATED.putKey(m, utf8(record.get().key()));
        // Pool files hold text only, so everything is reported as a string, as Linux does.
        KvpMessage.ENUMERATED.putValue(m, KvpValue.string(utf8(record.get().value())));
        return IcConstants.S_OK;
    }

    private IcStatus getIpInfo(int relid, IcMessage m) throws MalformedFieldException, IOException {
        KvpIpInfo request = KvpIpInfo.read(m);
        var nic = network.byMac(request.adapterId());
        if (nic.isEmpty()) {
            complaints.report(relid, Kind.REFUSED_REQUEST, () -> "kvp: GET_IP_INFO for unknown MAC " + request.adapterId());
            return IcConstants.E_FAIL;
        }
        KvpIpInfo answer = network.describe(nic.get(), request.adapterId());
        if (!answer.fits()) {
            return IcConstants.E_FAIL;
        }
        answer.write(m);
        return IcConstants.S_OK;
    }

    private List<KvpRecord> read(int pool) throws IOException {
        List<KvpRecord> records = pools[pool].read();
        lastSeen.put(pool, records);
        return records;
    }

    /** Strict UTF-8 (a pool written by another program may hold anything); bad bytes are malformed. */
    private static String utf8(byte[] bytes) throws MalformedFieldException {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new MalformedFieldException("pool record is not valid UTF-8");
        }
    }
}
