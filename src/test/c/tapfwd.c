/*
 * tapfwd: the plainest userspace path between two network namespaces, the baseline for `vmbus bench net`.
 * Opens two TAP interfaces (IFF_TAP | IFF_NO_PI, non-blocking), each in the network namespace it is given
 * (a file such as /var/run/netns/NAME, or "-" for this process's own), then forwards frames between them with
 * one read() and one write() per frame, waiting in poll(). A frame the far side cannot take now (EAGAIN) or at
 * all (EIO: the link is down) is dropped, as a NIC would drop it. Runs until SIGTERM or SIGINT; prints one line
 * when both TAPs are open and one with its counts when it ends.
 *
 * Usage: tapfwd NETNS_A TAP_A NETNS_B TAP_B
 * Build: gcc -O2 -Wall -Wextra -o tapfwd tapfwd.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define FRAME_MAX 65550
#define BURST 64

static volatile sig_atomic_t stop;

static void on_signal(int sig) {
    (void) sig;
    stop = 1;
}

static int open_tap(const char *netns, const char *name) {
    if (strcmp(netns, "-") != 0) {
        int ns = open(netns, O_RDONLY | O_CLOEXEC);
        if (ns < 0) {
            fprintf(stderr, "tapfwd: open %s: %s\n", netns, strerror(errno));
            exit(1);
        }
        if (setns(ns, CLONE_NEWNET) != 0) {
            fprintf(stderr, "tapfwd: setns %s: %s\n", netns, strerror(errno));
            exit(1);
        }
        close(ns);
    }
    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "tapfwd: open /dev/net/tun: %s\n", strerror(errno));
        exit(1);
    }
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    if (strlen(name) >= IFNAMSIZ) {
        fprintf(stderr, "tapfwd: interface name too long: %s\n", name);
        exit(2);
    }
    strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    if (ioctl(fd, TUNSETIFF, &ifr) != 0) {
        fprintf(stderr, "tapfwd: TUNSETIFF %s: %s\n", name, strerror(errno));
        exit(1);
    }
    return fd;
}

/* Forwards up to BURST frames waiting on `from` to `to`; counts them. */
static void forward(int from, int to, unsigned char *frame, unsigned long long *frames,
                    unsigned long long *drops) {
    for (int i = 0; i < BURST; i++) {
        ssize_t n = read(from, frame, FRAME_MAX);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR) {
                return;
            }
            fprintf(stderr, "tapfwd: read: %s\n", strerror(errno));
            exit(1);
        }
        if (write(to, frame, (size_t) n) == n) {
            (*frames)++;
        } else if (errno == EAGAIN || errno == EINTR || errno == EIO) {
            (*drops)++;
        } else {
            fprintf(stderr, "tapfwd: write: %s\n", strerror(errno));
            exit(1);
        }
    }
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: tapfwd NETNS_A TAP_A NETNS_B TAP_B  (a NETNS of - is this process's own)\n");
        return 2;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    int a = open_tap(argv[1], argv[2]);
    int b = open_tap(argv[3], argv[4]);
    static unsigned char frame[FRAME_MAX];
    unsigned long long ab = 0, ba = 0, drops = 0;
    printf("tapfwd: forwarding %s <-> %s\n", argv[2], argv[4]);
    fflush(stdout);
    struct pollfd fds[2] = {{.fd = a, .events = POLLIN}, {.fd = b, .events = POLLIN}};
    while (!stop) {
        int r = poll(fds, 2, 1000);
        if (r < 0) {
            if (errno == EINTR) {
                continue;
            }
            fprintf(stderr, "tapfwd: poll: %s\n", strerror(errno));
            return 1;
        }
        if (fds[0].revents & POLLIN) {
            forward(a, b, frame, &ab, &drops);
        }
        if (fds[1].revents & POLLIN) {
            forward(b, a, frame, &ba, &drops);
        }
    }
    printf("tapfwd: %llu frames %s->%s, %llu frames %s->%s, %llu dropped\n", ab, argv[2], argv[4], ba, argv[4],
           argv[2], drops);
    return 0;
}
