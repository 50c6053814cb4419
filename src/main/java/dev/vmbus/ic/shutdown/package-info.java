/**
 * The shutdown message (flags, reason code, the UTF-16 display message) and the action its flags ask
 * for ({@code ShutdownAction}).
 * <p>A codec only: knows nothing of how a guest powers off.
 */
package dev.vmbus.ic.shutdown;
