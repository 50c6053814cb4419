/**
 * The guest's synthetic network adapter ({@code netvsc}): NVSP and RNDIS over a channel's receive and send buffers
 * (spec netvsc-and-buffers.md §3), frames to and from a {@link dev.vmbus.net.FramePort} backend.
 */
package dev.vmbus.device.netvsc;
