/**
 * The {@code vmbus bench} harness, a user command: round trips through a device on each transport
 * ({@code BenchCommand}, {@code RoundTripHost}), the footprint of an agent in a child JVM ({@code FootprintCommand},
 * {@code ChildJvm}, {@code ProcStats}), and the bare Vert.x baseline they are compared with.
 * <p>Used only by the commands; nothing in the agent depends on it.
 */
package dev.vmbus.bench;
