/* scripts/ping.c: PING round trips against `ufsearch serve`, from C, so that the figure is the
 * server's and the loopback's, not a Python client's (a Python client adds ~40 µs per round trip
 * on our machines). Built by scripts/bench with the C compiler that ships with Swift.
 *
 *   ping PORT [N] [pin]
 *       N (default 2000) sequential "PING\n" on one connection, each answered by "OK PONG\n.\n";
 *       prints "p50_us p99_us mean_us" on one line. Exit 2 on error.
 *       With "pin", the client first pins itself to the processor it starts on, as latency
 *       benchmarks (netperf, sockperf) are run: unpinned, the scheduler moves a woken client to
 *       the idle core, so every round trip pays two cross-core wake-ups (~60 µs on our virtual
 *       machines) whichever core the server answers on. The server serves each connection on
 *       an event loop pinned to the client's processor (docs/PROTOCOL.md, "Latency").
 */
#define _GNU_SOURCE
#include <sched.h>
#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_us(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: ping PORT [N] [pin]\n"); return 2; }
    int n = argc > 2 ? atoi(argv[2]) : 2000;
    if (n < 1) n = 1;
    if (argc > 3 && strcmp(argv[3], "pin") == 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(sched_getcpu(), &set);
        if (sched_setaffinity(0, sizeof set, &set) != 0) { perror("ping: sched_setaffinity"); return 2; }
    }
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)atoi(argv[1]));
    a.sin_addr.s_addr = htonl(0x7f000001);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) { perror("ping: connect"); return 2; }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    double *lat = malloc(sizeof(double) * (size_t)n);
    char buf[64];
    double sum = 0;
    for (int i = 0; i < n; i++) {
        double t = now_us();
        if (write(fd, "PING\n", 5) != 5) { perror("ping: write"); return 2; }
        int got = 0;
        while (got < 10) {
            ssize_t r = read(fd, buf + got, sizeof buf - (size_t)got);
            if (r <= 0) { fprintf(stderr, "ping: connection closed\n"); return 2; }
            got += (int)r;
        }
        if (got != 10 || memcmp(buf, "OK PONG\n.\n", 10) != 0) { fprintf(stderr, "ping: unexpected answer\n"); return 2; }
        lat[i] = now_us() - t;
        sum += lat[i];
    }
    if (write(fd, "QUIT\n", 5) != 5) { /* the server may already be closing */ }
    close(fd);
    qsort(lat, (size_t)n, sizeof(double), cmp);
    printf("%.1f %.1f %.1f\n", lat[n / 2], lat[(n * 99) / 100], sum / n);
    return 0;
}
