/**
 * The guest's key-value pair exchange: the pools in {@code hv_kvp_daemon}'s file format
 * ({@code KvpPoolFile}), the auto pool's facts about this guest, the network facts for GET_IP_INFO and the SET_IP_INFO
 * hook ({@code IpSettingsWriter}), with every host mistake counted in the agent's complaints.
 * <p>Knows nothing of rings, transports or the other device classes.
 */
package dev.vmbus.device.kvp;
