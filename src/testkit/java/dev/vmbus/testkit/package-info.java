/**
 * A kit for plug-in authors' tests: a scripted host that drives a device as Hyper-V would
 * ({@code ScriptedHost}), an agent on the simulated transport ({@code TestAgent}), packet builders ({@code Packets})
 * and probes of a device's state ({@code DeviceProbe}, {@code StatePoll}).
 * <p>Sits above everything; nothing in the agent depends on it. Its own source root ({@code src/testkit/java}),
 * compiled with the tests and packaged as the {@code testkit} classifier jar: never in the agent's jar nor the
 * Debian package.
 */
package dev.vmbus.testkit;
