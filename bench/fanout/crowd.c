/* bench/fanout/crowd.c: thousands of WebSocket subscribers in one small native process, so
 * that the fan-out figures are the server's and not the measuring client's (one Python
 * process reading 10,000 sockets takes longer than a server writing them).
 *
 *   crowd HOST PORT MARKER        then, one command a line on standard input:
 *   connect COUNT READY PATH      open COUNT more sockets on PATH; each is ready once a text
 *                                 frame holding READY arrives ("-": once upgraded); answers
 *                                 "ready LIVE" or "error WHY"
 *   arm                           answers "armed", then "done T DROPPED" once every live socket
 *                                 has had a text frame holding MARKER (T: CLOCK_MONOTONIC
 *                                 seconds of the last one; a socket closed meanwhile counts
 *                                 as dropped)
 *   quit
 *
 * Pings are answered with pongs; frames from a server are unmasked, frames to it masked.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { CONNECTING, UPGRADING, SYNCING, LIVE, CLOSED };

typedef struct {
    int fd, state, armed;
    char *buf;
    size_t len, cap;
} Sub;

static Sub *subs;  /* reserved before each connect command: never moved while in use */
static size_t nsubs, capsubs;
static const char *marker, *ready_marker;
static struct sockaddr_in addr;
static char request[1024];
static int epfd;
static size_t to_open, in_flight, pending_ready, armed_left, dropped;
static double last_marker;
static int arming;

static void open_more(void);

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void say(const char *line) {
    fputs(line, stdout);
    fflush(stdout);
}

static void send_frame(Sub *s, int opcode, const unsigned char *payload, size_t n) {
    unsigned char out[256];
    unsigned char mask[4] = {0x12, 0x34, 0x56, 0x78};
    if (n > 125) n = 125;
    out[0] = 0x80 | opcode;
    out[1] = 0x80 | n;
    memcpy(out + 2, mask, 4);
    for (size_t i = 0; i < n; i++) out[6 + i] = payload[i] ^ mask[i % 4];
    if (write(s->fd, out, 6 + n) < 0) { /* a closed socket shows up on read */ }
}

static void finish_arming(void) {
    if (arming && armed_left == 0) {
        char line[96];
        snprintf(line, sizeof line, "done %.9f %zu\n", last_marker, dropped);
        arming = 0;
        say(line);
    }
}

static void close_sub(Sub *s) {
    if (s->state == CLOSED) return;
    if (s->state != LIVE) {
        if (s->state == CONNECTING || s->state == UPGRADING) in_flight--;
        if (pending_ready) pending_ready--;
    }
    if (s->armed) {
        s->armed = 0;
        dropped++;
        armed_left--;
        last_marker = now();
    }
    s->state = CLOSED;
    close(s->fd);
    free(s->buf);
    s->buf = NULL;
    open_more();
}

static void became_ready(Sub *s) {
    s->state = LIVE;
    pending_ready--;
}

static void text_frame(Sub *s, const char *payload, size_t n) {
    if (s->state == SYNCING && memmem(payload, n, ready_marker, strlen(ready_marker)))
        became_ready(s);
    else if (s->state == LIVE && s->armed && memmem(payload, n, marker, strlen(marker))) {
        s->armed = 0;
        armed_left--;
        last_marker = now();
    }
}

static void frames(Sub *s) {
    size_t at = 0;
    unsigned char *b = (unsigned char *)s->buf;
    while (s->len - at >= 2) {
        int opcode = b[at] & 0x0F;
        uint64_t n = b[at + 1] & 0x7F;
        size_t head = 2;
        if (n == 126) {
            if (s->len - at < 4) break;
            n = ((uint64_t)b[at + 2] << 8) | b[at + 3];
            head = 4;
        } else if (n == 127) {
            if (s->len - at < 10) break;
            n = 0;
            for (int i = 0; i < 8; i++) n = (n << 8) | b[at + 2 + i];
            head = 10;
        }
        if (s->len - at < head + n) break;
        const unsigned char *payload = b + at + head;
        if (opcode == 0x9) send_frame(s, 0xA, payload, n);
        else if (opcode == 0x8) { close_sub(s); return; }
        else if (opcode == 0x1 || opcode == 0x0) text_frame(s, (const char *)payload, n);
        at += head + n;
    }
    memmove(s->buf, s->buf + at, s->len - at);
    s->len -= at;
}

static void readable(Sub *s) {
    for (;;) {
        if (s->cap - s->len < 4096) {
            s->cap = s->cap ? s->cap * 2 : 8192;
            s->buf = realloc(s->buf, s->cap);
        }
        ssize_t got = read(s->fd, s->buf + s->len, s->cap - s->len);
        if (got == 0) { close_sub(s); return; }
        if (got < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) break;
            close_sub(s);
            return;
        }
        s->len += got;
    }
    if (s->state == UPGRADING) {
        char *end = memmem(s->buf, s->len, "\r\n\r\n", 4);
        if (!end) return;
        if (strncmp(s->buf, "HTTP/1.1 101", 12) != 0) {
            say("error the server refused a WebSocket upgrade\n");
            close_sub(s);
            return;
        }
        size_t head = end + 4 - s->buf;
        memmove(s->buf, s->buf + head, s->len - head);
        s->len -= head;
        in_flight--;
        s->state = SYNCING;
        if (strcmp(ready_marker, "-") == 0) became_ready(s);
        open_more();
    }
    if (s->state != CLOSED) frames(s);
}

static void writable(Sub *s) {
    int error = 0;
    socklen_t size = sizeof error;
    getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &error, &size);
    if (error) { close_sub(s); return; }
    if (write(s->fd, request, strlen(request)) < 0) { close_sub(s); return; }
    s->state = UPGRADING;
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = (uint64_t)(s - subs) + 1};
    epoll_ctl(epfd, EPOLL_CTL_MOD, s->fd, &ev);
}

static void open_more(void) {
    while (to_open && in_flight < 100) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        if (fd < 0) { say("error socket() failed: raise the open-file limit\n"); exit(1); }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0 && errno != EINPROGRESS) {
            close(fd);
            say("error connect() failed\n");
            exit(1);
        }
        Sub *s = &subs[nsubs++];
        *s = (Sub){.fd = fd, .state = CONNECTING};
        struct epoll_event ev = {.events = EPOLLOUT, .data.u64 = nsubs};
        epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
        to_open--;
        in_flight++;
    }
}

static size_t live(void) {
    size_t count = 0;
    for (size_t i = 0; i < nsubs; i++) count += subs[i].state == LIVE;
    return count;
}

static int command(char *line) {
    char path[512], ready[128];
    size_t count;
    if (sscanf(line, "connect %zu %127s %511s", &count, ready, path) == 3) {
        static char ready_copy[128];
        strcpy(ready_copy, ready);
        ready_marker = ready_copy;
        snprintf(request, sizeof request,
                 "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: "
                 "Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                 "Sec-WebSocket-Version: 13\r\n\r\n",
                 path, inet_ntoa(addr.sin_addr), ntohs(addr.sin_port));
        if (nsubs + count > capsubs) {
            capsubs = nsubs + count;
            subs = realloc(subs, capsubs * sizeof *subs);
        }
        to_open = count;
        pending_ready = count;
        open_more();
    } else if (strncmp(line, "arm", 3) == 0) {
        armed_left = 0;
        dropped = 0;
        for (size_t i = 0; i < nsubs; i++)
            if (subs[i].state == LIVE) { subs[i].armed = 1; armed_left++; }
        arming = 1;
        say("armed\n");
        finish_arming();
    } else if (strncmp(line, "quit", 4) == 0) {
        return 0;
    }
    return 1;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: crowd HOST PORT MARKER\n");
        return 2;
    }
    addr.sin_family = AF_INET;
    addr.sin_port = htons(atoi(argv[2]));
    inet_pton(AF_INET, argv[1], &addr.sin_addr);
    marker = argv[3];
    ready_marker = "-";
    epfd = epoll_create1(0);
    fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
    struct epoll_event in = {.events = EPOLLIN, .data.u64 = 0};
    epoll_ctl(epfd, EPOLL_CTL_ADD, 0, &in);
    char input[4096];
    size_t input_len = 0;
    int waiting_ready = 0;
    struct epoll_event events[512];
    for (;;) {
        int n = epoll_wait(epfd, events, 512, 1000);
        for (int i = 0; i < n; i++) {
            uint64_t id = events[i].data.u64;
            if (id == 0) {
                ssize_t got = read(0, input + input_len, sizeof input - 1 - input_len);
                if (got == 0) return 0;
                if (got < 0) continue;
                input_len += got;
                char *newline;
                while ((newline = memchr(input, '\n', input_len))) {
                    *newline = 0;
                    if (!command(input)) return 0;
                    if (strncmp(input, "connect", 7) == 0) waiting_ready = 1;
                    size_t used = newline + 1 - input;
                    memmove(input, newline + 1, input_len - used);
                    input_len -= used;
                }
                continue;
            }
            Sub *s = &subs[id - 1];
            if (s->state == CLOSED) continue;
            if (s->state == CONNECTING) writable(s);
            else if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) readable(s);
        }
        if (waiting_ready && to_open == 0 && pending_ready == 0) {
            char line[64];
            snprintf(line, sizeof line, "ready %zu\n", live());
            waiting_ready = 0;
            say(line);
        }
        finish_arming();
    }
}
