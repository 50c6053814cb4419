/**
 * The heartbeat message ({@code heartbeat_msg_data}: the sequence number the guest echoes + 1).
 * <p>A codec only: knows nothing of who sends it or when.
 */
package dev.vmbus.ic.heartbeat;
