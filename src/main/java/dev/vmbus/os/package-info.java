/**
 * Every native call the agent makes, through the FFM API and one {@code Linker} ({@code Libc}, which also
 * holds the one errno helper: a failed call becomes text or an exception naming the call, its arguments and the
 * kernel's reason). {@code Posix} opens, maps, reads and writes {@code /dev/uioN} and runs epoll and eventfd;
 * {@code UnixDatagramSocket} sends to chronyd's and systemd's sockets; {@code Clocks} reads
 * {@code CLOCK_MONOTONIC_RAW} and steps {@code CLOCK_REALTIME}; {@code PageSize} asks {@code sysconf}.
 * <p>The only package allowed native access ({@code LayeringTest} checks it). Knows nothing of VMBus or Vert.x.
 */
package dev.vmbus.os;
