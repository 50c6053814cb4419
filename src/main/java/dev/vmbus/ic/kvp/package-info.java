/**
 * The KVP wire formats: the message header and each operation's body ({@code KvpMessage},
 * {@code KvpOperation}, {@code KvpRecord}, {@code KvpValue}, {@code KvpValueType}), the IP-information record, and
 * the pools' on-disk record format that {@code hv_kvp_daemon} writes ({@code KvpPool}, {@code KvpPoolFormat}).
 * <p>Knows nothing of where the pools live or of Vert.x.
 */
package dev.vmbus.ic.kvp;
