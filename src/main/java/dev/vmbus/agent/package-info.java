/**
 * The one composition root: {@code Agent} builds a guest agent (transport, bus, devices, dashboard) or a
 * simulated host from the configuration, on a {@code Vertx} made by {@code AgentVertx} or the caller's;
 * {@code Lifecycle} turns SIGTERM and SIGINT into an orderly close. Used by the commands, the bench harness, the test
 * kit and the tests.
 * <p>Knows nothing of command lines.
 */
package dev.vmbus.agent;
