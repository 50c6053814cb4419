/**
 * The simulated host's synthetic NIC ({@code host.nic}): the netvsc channel as OpenVMM's {@code netvsp} serves it
 * (NVSP and RNDIS checked and answered, receive slots and send sections, subchannels, fault knobs), its frames to
 * and from a {@link dev.vmbus.net.FramePort}. Facts from ../shared/spec/netvsc-and-buffers.md §5.1.
 */
package dev.vmbus.host.nic;
