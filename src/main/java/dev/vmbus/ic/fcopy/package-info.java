/**
 * The file copy messages (start, fragment, complete, cancel) with their UTF-16 names and bounded
 * fragments.
 * <p>A codec only: knows nothing of files or of the roots a copy may write to.
 */
package dev.vmbus.ic.fcopy;
