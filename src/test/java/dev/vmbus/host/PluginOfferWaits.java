package dev.vmbus.host;

import dev.vmbus.bus.Addresses;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.awaitility.core.ConditionTimeoutException;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.awaitility.Awaitility.await;

/** Bounded waits on what the simulated host and the guest say of a plug-in's configured offer. */
final class PluginOfferWaits {
    private PluginOfferWaits() {
    }

    /** The host's device at {@code relid} once {@code condition} holds for it (at most 15 s; fails naming the last). */
    static JsonObject awaitHostDevice(SimulatedHostControl control, int relid, Predicate<JsonObject> condition) {
        JsonObject[] last = new JsonObject[1];
        try {
            await("host device at relid " + relid).atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(20))
                    .until(() -> {
                        JsonArray devices = control.state().await(5, TimeUnit.SECONDS).getJsonArray("devices");
                        for (int i = 0; i < devices.size(); i++) {
                            if (devices.getJsonObject(i).getInteger("relid") == relid) {
                                last[0] = devices.getJsonObject(i);
                            }
                        }
                        return last[0] != null && condition.test(last[0]);
                    });
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("host device at relid " + relid + ": " + last[0], e);
        }
        return last[0];
    }

    /** Waits until the guest's ping device has answered {@code n} greetings (at most 10 s). */
    static void awaitPingAnswered(Vertx guest, long n) {
        await("the guest's ping device to have answered " + n).atMost(Duration.ofSeconds(10))
                .until(() -> guestState(guest, "ping").getLong("answered") == n);
    }

    /** The guest device {@code name}'s state, as its event-bus address answers it. */
    static JsonObject guestState(Vertx guest, String name) throws Exception {
        return guest.eventBus().<JsonObject>request(Addresses.deviceState(name), null).await(5, TimeUnit.SECONDS).body();
    }
}
