package dev.vmbus.transport.uio;

import dev.vmbus.transport.ChannelBuffer;

/**
 * A channel buffer {@code uio_hv_generic} exposes: uio map 3 ({@code recv:N}) or 4 ({@code send:N}), already
 * GPADL-established by the kernel. Before 6.14 every bound device has both (15/15 MiB on 4.16, 31/16 MiB from
 * 108ddb8fa1fc); from 6.14 only the synthetic NIC does (spec netvsc-and-buffers.md section 2.2). Sizes always come
 * from {@code maps/mapN/size}. All channels of a device (primary and subchannels) share the one pair.
 *
 * @param name the parsed {@code maps/mapN/name}: kind and GPADL handle
 * @param size {@code maps/mapN/size}, a positive whole number of 4 KiB pages
 */
public record UioBufferMap(ChannelBuffer.Name name, long size) {
}
