/**
 * A kit for plug-in authors' tests: a scripted host that drives a device as Hyper-V would
 * ({@code ScriptedHost}), an agent on the simulated transport ({@code TestAgent}), packet builders ({@code Packets})
 * and probes of a device's state ({@code DeviceProbe}, {@code StatePoll}).
 * <p>Sits above everything; nothing in the agent depends on it.
 */
package dev.vmbus.testkit;
