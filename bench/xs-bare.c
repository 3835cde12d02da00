/* SPDX-License-Identifier: MIT */
/* xs-bare.c - the baseline xenbake's xenstore apply is measured against:
 * a bare libxenstore loop writing GUESTS x KEYS vm-data nodes in ONE
 * transaction, the same paths and values bench/xenstore.sh gives xenbake,
 * and nothing else (no reads, no permissions, no bookkeeping).
 *   xs-bare GUESTS KEYS_PER_GUEST FIRST_DOMID
 * Prints the wall time in seconds. Build: cc -O2 xs-bare.c -lxenstore */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <xenstore.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct xs_handle *h;
	int guests, keys, first, g, k, attempt;
	double start;

	if (argc != 4) {
		fprintf(stderr, "usage: xs-bare GUESTS KEYS_PER_GUEST FIRST_DOMID\n");
		return 2;
	}
	guests = atoi(argv[1]);
	keys = atoi(argv[2]);
	first = atoi(argv[3]);
	h = xs_open(0);
	if (!h) {
		perror("xs_open");
		return 1;
	}
	start = now();
	for (attempt = 0; attempt < 8; attempt++) {
		xs_transaction_t t = xs_transaction_start(h);

		if (t == XBT_NULL) {
			perror("xs_transaction_start");
			return 1;
		}
		for (g = 0; g < guests; g++)
			for (k = 0; k < keys; k++) {
				char path[96], value[32];

				snprintf(path, sizeof(path),
					 "/local/domain/%d/vm-data/k%05d",
					 first + g, k);
				snprintf(value, sizeof(value), "value-%d-%d",
					 first + g, k);
				if (!xs_write(h, t, path, value,
					      strlen(value))) {
					perror(path);
					xs_transaction_end(h, t, true);
					return 1;
				}
			}
		if (xs_transaction_end(h, t, false))
			break;
		if (errno != EAGAIN) {
			perror("xs_transaction_end");
			return 1;
		}
	}
	printf("%.4f\n", now() - start);
	xs_close(h);
	return 0;
}
