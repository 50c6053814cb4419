package dev.vmbus.host;

import dev.vmbus.channel.DeviceClass;
import dev.vmbus.channel.Offer;
import dev.vmbus.ic.IcConstants;
import dev.vmbus.ic.IcMessage;
import dev.vmbus.ic.IcVersion;
import dev.vmbus.ic.MalformedFieldException;
import dev.vmbus.ic.Utf16Field;
import dev.vmbus.ic.kvp.KvpIpInfo;
import dev.vmbus.ic.kvp.KvpMessage;
import dev.vmbus.ic.kvp.KvpOperation;
import dev.vmbus.ic.kvp.KvpValue;
import dev.vmbus.transport.OnContext;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The host's KVP driver, as OpenVMM's {@code hyperv_ic} KVP (spec ic-protocols.md section 3.4.3): requests are
 * made from Java, one at a time, each a fixed 2580-byte body with flags 0x03. A guest answering 0x80070103
 * (no more items) ends an enumeration; any other non-zero status fails the future with
 * {@link GuestStatusException}. Call the public methods on any thread; they run on the host's context.
 */
public final class KvpHostDevice extends IcHostDevice {
    /** One key and its value as the guest reported it. */
    public record Entry(String key, KvpValue value) {
    }

    private long requests;
    private long failures;
    /** The last request made; the next one starts when it ends. Host context only. */
    private Future<?> queue = Future.succeededFuture();

    public KvpHostDevice(Context context, Offer offer) {
        super(DeviceClass.KVP.name(), context, offer, IcConstants.MSGTYPE_KVPEXCHANGE,
                List.of(IcVersion.of(3, 0), IcVersion.of(4, 0), IcVersion.of(5, 0)));
    }

    /** SET: adds or replaces {@code key} in {@code pool} (0..4). */
    public Future<Void> set(int pool, String key, KvpValue value) {
        return request("SET", m -> KvpMessage.fillSet(m, pool, checkKey(key), checkValue(value)),
                KvpMessage.REQUEST_BODY_LENGTH).mapEmpty();
    }

    /** SET of a string value. */
    public Future<Void> set(int pool, String key, String value) {
        return set(pool, key, KvpValue.string(value));
    }

    /** DELETE: fails with status 0x80070103 if the guest has no such key. */
    public Future<Void> delete(int pool, String key) {
        return request("DELETE", m -> KvpMessage.fillDelete(m, pool, checkKey(key)), KvpMessage.REQUEST_BODY_LENGTH)
                .mapEmpty();
    }

    /** ENUMERATE: the entry at {@code index}, or empty past the end. */
    public Future<Optional<Entry>> enumerate(int pool, int index) {
        return run("ENUMERATE", m -> KvpMessage.fillEnumerate(m, pool, index), KvpMessage.REQUEST_BODY_LENGTH)
                .compose(reply -> {
                    if (IcConstants.S_CONT.equals(reply.status())) {
                        return Future.succeededFuture(Optional.empty());
                    }
                    if (!reply.status().isOk()) {
                        return Future.failedFuture(new GuestStatusException("ENUMERATE " + pool + "/" + index, reply.status()));
                    }
                    try {
                        return Future.succeededFuture(Optional.of(new Entry(
                                KvpMessage.ENUMERATED.key(reply), KvpMessage.ENUMERATED.value(reply))));
                    } catch (MalformedFieldException e) {
                        return Future.failedFuture(new IllegalStateException("malformed ENUMERATE reply: " + e.getMessage()));
                    }
                });
    }

    /** Every entry of {@code pool}, by enumerating from index 0 until the guest reports no more items. */
    public Future<List<Entry>> getAll(int pool) {
        Promise<List<Entry>> all = Promise.promise();
        next(pool, 0, new ArrayList<>(), all);
        return all.future();
    }

    private void next(int pool, int index, List<Entry> so, Promise<List<Entry>> all) {
        enumerate(pool, index).onComplete(ar -> {
            if (ar.failed()) {
                all.fail(ar.cause());
            } else if (ar.result().isEmpty()) {
                all.complete(List.copyOf(so));
            } else {
                so.add(ar.result().get());
                next(pool, index + 1, so, all);
            }
        });
    }

    /** Get by enumeration (how OpenVMM reads a key: guests did not implement GET): empty if absent. */
    public Future<Optional<KvpValue>> get(int pool, String key) {
        return getAll(pool).map(list -> list.stream().filter(e -> e.key().equals(key)).map(Entry::value).findFirst());
    }

    /** GET by key; Linux's own GET is broken, this project's guest answers it correctly. Empty if absent. */
    public Future<Optional<KvpValue>> getByKey(int pool, String key) {
        return run("GET", m -> KvpMessage.fillGet(m, pool, checkKey(key)), KvpMessage.REQUEST_BODY_LENGTH)
                .compose(reply -> {
                    if (IcConstants.S_CONT.equals(reply.status())) {
                        return Future.succeededFuture(Optional.empty());
                    }
                    if (!reply.status().isOk()) {
                        return Future.failedFuture(new GuestStatusException("GET " + key, reply.status()));
                    }
                    try {
                        return Future.succeededFuture(Optional.of(KvpMessage.GET_SET.value(reply)));
                    } catch (MalformedFieldException e) {
                        return Future.failedFuture(new IllegalStateException("malformed GET reply: " + e.getMessage()));
                    }
                });
    }

    /** GET_IP_INFO (string form) for the NIC with this MAC address. */
    public Future<KvpIpInfo> getIpInfo(String mac) {
        return request("GET_IP_INFO", m -> new KvpIpInfo(mac, 0, false, "", "", "", "")
                .fill(m, KvpOperation.GET_IP_INFO), KvpIpInfo.REQUEST_BODY_LENGTH).compose(reply -> {
                    try {
                        return Future.succeededFuture(KvpIpInfo.read(reply));
                    } catch (MalformedFieldException e) {
                        return Future.failedFuture(new IllegalStateException("malformed GET_IP_INFO reply: " + e.getMessage()));
                    }
                });
    }

    /** SET_IP_INFO (string form): {@code info.adapterId()} is the NIC's VMBus instance id as {@code {…}}. */
    public Future<Void> setIpInfo(KvpIpInfo info) {
        return request("SET_IP_INFO", m -> info.fill(m, KvpOperation.SET_IP_INFO), KvpIpInfo.REQUEST_BODY_LENGTH)
                .mapEmpty();
    }

    private static String checkKey(String key) {
        if (!Utf16Field.fits(key, KvpMessage.MAX_KEY_UNITS)) {
            throw new IllegalArgumentException("KVP key longer than " + KvpMessage.MAX_KEY_UNITS + " UTF-16 units");
        }
        return key;
    }

    private static KvpValue checkValue(KvpValue value) {
        if (value.type().isString() && !Utf16Field.fits(value.string(), KvpMessage.MAX_VALUE_UNITS)) {
            throw new IllegalArgumentException("KVP value longer than " + KvpMessage.MAX_VALUE_UNITS + " UTF-16 units");
        }
        return value;
    }

    private interface Filler {
        void fill(IcMessage m);
    }

    /** Sends a request and fails on any non-zero status. */
    private Future<IcMessage> request(String what, Filler filler, int bodyLength) {
        return run(what, filler, bodyLength).compose(reply -> reply.status().isOk()
                ? Future.succeededFuture(reply) : Future.failedFuture(new GuestStatusException(what, reply.status())));
    }

    /**
     * Builds and sends one request on the host context once every earlier request is answered (callers may
     * overlap; the wire never does); completes with the reply, whatever its status.
     */
    private Future<IcMessage> run(String what, Filler filler, int bodyLength) {
        return OnContext.call(context, () -> {
            Promise<IcMessage> done = Promise.promise();
            Future<?> previous = queue;
            queue = done.future().otherwiseEmpty();
            previous.onComplete(x -> send(filler, bodyLength, done));
            return done.future();
        });
    }

    private void send(Filler filler, int bodyLength, Promise<IcMessage> done) {
        if (phase() != Phase.READY) {
            done.fail("the kvp channel is not ready (" + phase().name().toLowerCase() + ")");
            return;
        }
        IcMessage m = newRequest(bodyLength);
        try {
            filler.fill(m);
        } catch (IllegalArgumentException e) {
            done.fail(e);
            return;
        }
        requests++;
        transact(m, IcConstants.MSGTYPE_KVPEXCHANGE, DEFAULT_REPLY_TIMEOUT_MS).onComplete(ar -> {
            if (ar.failed() || !ar.result().status().isOk()) {
                failures++;
            }
            done.handle(ar);
        });
    }

    @Override
    public JsonObject state() {
        return super.state().put("requests", requests).put("failedRequests", failures);
    }
}
