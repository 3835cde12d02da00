/* SPDX-License-Identifier: MIT */
/* xs-raw.c - the speed limit of xenstored itself, for bench/xenstore.sh:
 * the same GUESTS x KEYS vm-data writes as xs-bare.c, in ONE transaction,
 * but spoken directly on the daemon's socket and pipelined: every write is
 * sent before the first reply is awaited (replies are read as they come,
 * so neither side's socket buffer fills up). What is left is the daemon's
 * own work per request, no round trips.
 *   xs-raw GUESTS KEYS_PER_GUEST FIRST_DOMID
 * Prints the wall time in seconds. Build: cc -O2 xs-raw.c -lxenstore
 * (libxenstore only names the socket: XENSTORED_PATH overrides it). */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <xenstore_lib.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct out {
	char *buf;
	size_t len, cap;
};

static void put(struct out *o, uint32_t type, uint32_t id, uint32_t tx,
		const char *a, size_t alen, const char *b, size_t blen)
{
	struct xsd_sockmsg h = {
		.type = type, .req_id = id, .tx_id = tx,
		.len = (uint32_t)(alen + blen),
	};

	while (o->len + sizeof(h) + alen + blen > o->cap) {
		o->cap = o->cap ? 2 * o->cap : 65536;
		o->buf = realloc(o->buf, o->cap);
		if (!o->buf) {
			perror("realloc");
			exit(1);
		}
	}
	memcpy(o->buf + o->len, &h, sizeof(h));
	memcpy(o->buf + o->len + sizeof(h), a, alen);
	memcpy(o->buf + o->len + sizeof(h) + alen, b, blen);
	o->len += sizeof(h) + alen + blen;
}

/* Sends o and reads n replies at the same time; the number of error
 * replies, the last reply's payload into last (NUL-terminated). */
static int exchange(int fd, const struct out *o, int n, char *last)
{
	static char in[65536];
	size_t off = 0, have = 0;
	int got = 0, errors = 0;

	while (got < n) {
		struct pollfd p = {
			.fd = fd,
			.events = POLLIN | (off < o->len ? POLLOUT : 0),
		};
		ssize_t r;
		size_t at = 0;

		if (poll(&p, 1, -1) < 0) {
			perror("poll");
			exit(1);
		}
		if (off < o->len && (p.revents & POLLOUT)) {
			r = send(fd, o->buf + off, o->len - off,
				 MSG_DONTWAIT | MSG_NOSIGNAL);
			if (r < 0 && errno != EAGAIN) {
				perror("send");
				exit(1);
			}
			if (r > 0)
				off += (size_t)r;
		}
		if (!(p.revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		r = recv(fd, in + have, sizeof(in) - have, MSG_DONTWAIT);
		if (r == 0 || (r < 0 && errno != EAGAIN)) {
			fprintf(stderr, "xs-raw: lost xenstored\n");
			exit(1);
		}
		if (r < 0)
			continue;
		have += (size_t)r;
		for (;;) {
			struct xsd_sockmsg h;

			if (have - at < sizeof(h))
				break;
			memcpy(&h, in + at, sizeof(h));
			if (h.len > XENSTORE_PAYLOAD_MAX) {
				fprintf(stderr, "xs-raw: bad reply\n");
				exit(1);
			}
			if (have - at < sizeof(h) + h.len)
				break;
			if (h.type == XS_ERROR && !errors++)
				fprintf(stderr, "xs-raw: error %.*s\n",
					(int)h.len, in + at + sizeof(h));
			memcpy(last, in + at + sizeof(h), h.len);
			last[h.len] = '\0';
			at += sizeof(h) + h.len;
			got++;
		}
		memmove(in, in + at, have - at);
		have -= at;
	}
	return errors;
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct out o = { 0 };
	char reply[XENSTORE_PAYLOAD_MAX + 1];
	const char *sock = xs_daemon_socket();
	int guests, keys, first, g, k, fd, attempt;
	uint32_t id = 0, tx;
	double start;

	if (argc != 4) {
		fputs("usage: xs-raw GUESTS KEYS_PER_GUEST FIRST_DOMID\n",
		      stderr);
		return 2;
	}
	guests = atoi(argv[1]);
	keys = atoi(argv[2]);
	first = atoi(argv[3]);
	if (!sock || strlen(sock) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "xs-raw: no usable socket path\n");
		return 1;
	}
	strcpy(sa.sun_path, sock);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror(sock);
		return 1;
	}
	start = now();
	for (attempt = 0; attempt < 8; attempt++) {
		o.len = 0;
		put(&o, XS_TRANSACTION_START, ++id, 0, "", 1, "", 0);
		if (exchange(fd, &o, 1, reply))
			return 1;
		tx = (uint32_t)strtoul(reply, NULL, 10);
		o.len = 0;
		for (g = 0; g < guests; g++)
			for (k = 0; k < keys; k++) {
				char path[96], value[32];
				int pl = snprintf(path, sizeof(path),
					"/local/domain/%d/vm-data/k%05d",
					first + g, k);
				int vl = snprintf(value, sizeof(value),
					"value-%d-%d", first + g, k);

				put(&o, XS_WRITE, ++id, tx, path,
				    (size_t)pl + 1, value, (size_t)vl);
			}
		put(&o, XS_TRANSACTION_END, ++id, tx, "T", 2, "", 0);
		if (exchange(fd, &o, guests * keys + 1, reply) == 0)
			break;
		if (strcmp(reply, "EAGAIN"))
			return 1;           /* a write failed, or the commit */
	}
	printf("%.4f\n", now() - start);
	close(fd);
	free(o.buf);
	return 0;
}
