/**
 * The VSS (backup) messages and their operations (freeze, thaw, hot backup, check).
 * <p>A codec only: knows nothing of file systems or freezing them.
 */
package dev.vmbus.ic.vss;
