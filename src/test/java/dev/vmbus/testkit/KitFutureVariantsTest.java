package dev.vmbus.testkit;

import dev.vmbus.device.heartbeat.HeartbeatHandler;
import dev.vmbus.channel.ChannelState;
import dev.vmbus.channel.Packet;
import dev.vmbus.ic.IcConstants;
import dev.vmbus.ic.IcVersion;
import dev.vmbus.spi.Device;
import dev.vmbus.spi.Reply;
import dev.vmbus.transport.ChannelBuffer;
import dev.vmbus.transport.HostTransport;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The kit's Future variants as a plug-in author's test uses them: on the {@code Vertx} that {@link VertxExtension}
 * injects, every step on an event loop; and each blocking form, called there, fails at once having done nothing.
 */
@ExtendWith(VertxExtension.class)
class KitFutureVariantsTest {
    private static final UUID ECHO = ScriptedHostTest.ECHO;
    private static final HostTransport.Buffers BUFFERS = new HostTransport.Buffers(16 << 10, 16 << 10);

    @Test
    void theProbesFutureVariantsRunOnTheInjectedVertx(Vertx vertx, VertxTestContext test) {
        Device echo = packet -> Future.succeededFuture(Reply.echo());
        Device silent = packet -> Future.succeededFuture(Reply.none());
        vertx.runOnContext(v -> DeviceProbe.ofAsync(vertx, "echo", echo).compose(probe -> probe
                .replyAsync(new byte[] {1, 2}, 5)
                .compose(reply -> {
                    test.verify(() -> {
                        assertArrayEquals(new byte[] {1, 2}, reply.payload());
                        assertEquals(5, reply.transactionId());
                    });
                    return probe.exchangeAsync(new byte[] {3});
                })
                .compose(payload -> {
                    test.verify(() -> assertArrayEquals(new byte[] {3}, payload));
                    return probe.closeAsync();
                })
                .compose(closed -> {
                    test.verify(() -> assertTrue(vertx.deploymentIDs().isEmpty(), "closeAsync undeploys the device"));
                    return DeviceProbe.ofAsync(vertx, "silent", silent);
                })
                .compose(quiet -> quiet.replyAsync(new byte[] {4}, 6).transform(ar -> {
                    test.verify(() -> {
                        assertInstanceOf(AssertionError.class, ar.cause());
                        assertEquals("silent sent no reply", ar.cause().getMessage());
                    });
                    return quiet.closeAsync();
                }))
                .compose(closed -> DeviceProbe.ofAsync(vertx, new HeartbeatHandler(), new JsonObject()))
                .compose(heartbeat -> heartbeat.negotiateAsync(List.of(IcVersion.of(3, 0)))
                        .compose(negotiated -> {
                            test.verify(() -> assertEquals(IcConstants.MSGTYPE_NEGOTIATE, negotiated.msgType()));
                            return heartbeat.stateWhen(s -> s.containsKey("actionsSkipped"), "heartbeat's state");
                        })
                        .compose(state -> heartbeat.closeAsync()))
                .compose(closed -> DeviceProbe.ofAsync(vertx, new HeartbeatHandler(), new JsonObject().put("bogus", 1))
                        .transform(ar -> {
                            test.verify(() -> {
                                assertInstanceOf(IllegalArgumentException.class, ar.cause());
                                assertTrue(ar.cause().getMessage().contains("unknown key 'bogus'"), ar.cause().getMessage());
                                assertTrue(vertx.deploymentIDs().isEmpty(), "nothing deployed for a bad section");
                            });
                            return Future.succeededFuture();
                        })))
                .onComplete(test.succeedingThenComplete()));
    }

    /** Echoes every packet and counts them in its state. */
    private static final class Counting implements Device {
        private final AtomicInteger packets = new AtomicInteger();

        @Override public Future<Reply> handle(Packet packet) {
            packets.incrementAndGet();
            return Future.succeededFuture(Reply.echo());
        }

        @Override public JsonObject state() {
            return new JsonObject().put("packets", packets.get());
        }
    }

    @Test
    void theProbesBlockingCallsFailAtOnceOnAnEventLoopHavingDoneNothing(Vertx vertx, VertxTestContext test) {
        DeviceProbe.ofAsync(vertx, "echo", new Counting())
                .onComplete(test.succeeding(probe -> vertx.runOnContext(v -> {
                    List<Throwable> refused = new ArrayList<>();
                    refused.add(thrownBy(() -> DeviceProbe.of(vertx, "other", packet -> Future.succeededFuture(Reply.none()))));
                    refused.add(thrownBy(() -> DeviceProbe.of(vertx, new HeartbeatHandler(), new JsonObject())));
                    refused.add(thrownBy(() -> probe.send(new byte[] {1}, 1)));
                    refused.add(thrownBy(() -> probe.reply(new byte[] {1}, 1)));
                    refused.add(thrownBy(() -> probe.exchange(new byte[] {1})));
                    refused.add(thrownBy(() -> probe.negotiate(List.of(IcVersion.of(3, 0)))));
                    refused.add(thrownBy(() -> probe.awaitState(s -> true, "anything")));
                    refused.add(thrownBy(probe::close));
                    test.verify(() -> {
                        assertRefused(refused);
                        assertEquals(1, vertx.deploymentIDs().size(), "no device started and the probe's still runs");
                    });
                    probe.stateAsync().compose(state -> {
                        test.verify(() -> assertEquals(0, state.getInteger("packets"), "no packet was sent"));
                        return probe.closeAsync();
                    }).onComplete(test.succeedingThenComplete());
                })));
    }

    @Test
    void theHostsFutureVariantsRunOnTheInjectedVertx(Vertx vertx, VertxTestContext test) {
        TestAgent.startAsync(vertx, List.of(new ScriptedHostTest.Echo()), Map.of()).onComplete(test.succeeding(agent ->
                vertx.runOnContext(v -> agent.openAsync(9, ECHO, BUFFERS).compose(primary -> primary.bufferAsync(ChannelBuffer.Kind.SEND)
                        .compose(send -> {
                            test.verify(() -> assertEquals(16L << 10, send.size()));
                            return primary.slotsInUseAsync();
                        })
                        .compose(slots -> {
                            test.verify(() -> assertEquals(0, slots));
                            return primary.pollPacketAsync(Duration.ofMillis(20));
                        })
                        .compose(none -> {
                            test.verify(() -> assertTrue(none.isEmpty(), "the guest sent nothing yet: " + none));
                            return primary.sendAsync("polled", 3).compose(c -> c.pollPacketAsync(ScriptedHost.TIMEOUT));
                        })
                        .compose(polled -> {
                            test.verify(() -> assertEquals("polled", Packets.text(polled.orElseThrow())));
                            return agent.host().offerSubchannelAsync(primary, 10, 1);
                        })
                        .compose(ScriptedHost.Channel::opened)
                        .compose(sub -> sub.exchangeAsync("on the subchannel", 4))
                        .compose(answer -> {
                            test.verify(() -> assertEquals("on the subchannel", answer));
                            return agent.host().offerSubchannelAsync(primary, 11, 0).transform(ar -> {
                                test.verify(() -> {
                                    assertInstanceOf(IllegalArgumentException.class, ar.cause());
                                    assertEquals("a subchannel's index is 1 or more, got 0", ar.cause().getMessage());
                                });
                                return agent.host().guestMemoryAsync(4096);
                            });
                        })
                        .transform(ar -> {
                            // the agent gave the guest its memory at start; a bus gives it once
                            test.verify(() -> assertTrue(ar.failed(), "a second guestMemory is refused by the transport"));
                            return agent.openAsync(12, ECHO);
                        })
                        .compose(plain -> plain.bufferAsync(ChannelBuffer.Kind.RECEIVE).transform(ar -> {
                            test.verify(() -> {
                                assertInstanceOf(IllegalStateException.class, ar.cause());
                                assertEquals("channel 12 shares no recv buffer", ar.cause().getMessage());
                            });
                            return plain.slotsInUseAsync();
                        })))
                        .transform(ar -> {
                            test.verify(() -> assertInstanceOf(IllegalStateException.class, ar.cause()));
                            return agent.closeAsync();
                        })
                        .onComplete(test.succeedingThenComplete()))));
    }

    @Test
    void theHostsBlockingCallsFailAtOnceOnAnEventLoopHavingDoneNothing(Vertx vertx, VertxTestContext test) {
        TestAgent.startAsync(vertx, List.of(new ScriptedHostTest.Echo()), Map.of()).onComplete(test.succeeding(agent ->
                agent.openAsync(9, ECHO, BUFFERS).onComplete(test.succeeding(primary -> vertx.runOnContext(v -> {
                    List<Throwable> refused = new ArrayList<>();
                    refused.add(thrownBy(() -> agent.host().offerSubchannel(primary, 10, 1)));
                    refused.add(thrownBy(() -> agent.host().guestMemory(4096)));
                    refused.add(thrownBy(primary::slotsInUse));
                    refused.add(thrownBy(() -> primary.buffer(ChannelBuffer.Kind.SEND)));
                    refused.add(thrownBy(() -> primary.pollPacket(Duration.ofMillis(1))));
                    refused.add(thrownBy(() -> primary.exchange("never sent", 5)));
                    test.verify(() -> assertRefused(refused));
                    // nothing was sent, no packet was taken, no subchannel offered: the next answer is to this packet
                    primary.exchangeAsync("after", 6)
                            .compose(answer -> {
                                test.verify(() -> assertEquals("after", answer));
                                return agent.eventWhen(ChannelState.OPEN, 9);
                            })
                            .compose(open -> {
                                test.verify(() -> assertTrue(agent.events().stream().noneMatch(e -> e.relid() == 10),
                                        "no subchannel was offered: " + agent.events()));
                                return agent.closeAsync();
                            })
                            .onComplete(test.succeedingThenComplete());
                })))));
    }

    private static void assertRefused(List<Throwable> refused) {
        for (Throwable e : refused) {
            assertInstanceOf(IllegalStateException.class, e);
            assertTrue(e.getMessage().contains("event loop") && e.getMessage().contains("Future variant"),
                    e.getMessage());
        }
    }

    private interface Call {
        void run() throws Exception;
    }

    private static Throwable thrownBy(Call call) {
        try {
            call.run();
            return new AssertionError("the blocking call returned on an event loop");
        } catch (Exception | AssertionError e) {
            return e;
        }
    }
}
