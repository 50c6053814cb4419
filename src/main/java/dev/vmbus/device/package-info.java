/**
 * The guest's built-in device classes, one sub-package each, written exactly as a plug-in is; this package
 * holds only what several share ({@code CommandRunner}, which runs an operator's command on a worker and keeps its output in memory).
 * <p>The classes know nothing of rings, of one another, or of which transport serves them.
 */
package dev.vmbus.device;
