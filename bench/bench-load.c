/* SPDX-License-Identifier: MIT */
/* bench-load.c - what `xenbake` does with a blob before it talks to the
 * host, and nothing else: read the file, verify it (xbb_open: hash, every
 * section, record and string), and turn it into the planner's input
 * (xb_desired_add_blob). Prints the counts, so that the work cannot be
 * optimised away. Used by bench/growth.sh and bench/run.
 *   bench-load FILE.xbb [REPEAT]
 */
#include <stdio.h>
#include <stdlib.h>

#include "lib/blob.h"
#include "runtime/desired.h"

int main(int argc, char **argv)
{
	unsigned long repeat = argc > 2 ? strtoul(argv[2], NULL, 10) : 1, i;
	size_t objects = 0, entries = 0, j;
	void *buf = NULL;
	char *err = NULL;
	size_t len;
	int ret = 1;

	if (argc < 2 || argc > 3 || !repeat) {
		fprintf(stderr, "usage: bench-load FILE.xbb [REPEAT]\n");
		return 2;
	}
	for (i = 0; i < repeat; i++) {
		struct xb_desired d = { 0 };
		struct xbb blob;
		int r;

		if (xbb_load_file(argv[1], &buf, &len, &err)) {
			fprintf(stderr, "bench-load: %s\n", err);
			goto out;
		}
		r = xbb_open(&blob, buf, len);
		if (r != XBB_OK) {
			fprintf(stderr, "bench-load: %s: %s\n", argv[1],
				xbb_strerror(r));
			goto out;
		}
		if (xb_desired_add_blob(&d, &blob)) {
			fprintf(stderr, "bench-load: out of memory\n");
			xb_desired_free(&d);
			goto out;
		}
		objects = d.nobjects;
		entries = 0;
		for (j = 0; j < d.nobjects; j++)
			entries += d.objects[j].nentries;
		xb_desired_free(&d);
		free(buf);
		buf = NULL;
	}
	printf("%zu objects, %zu entries\n", objects, entries);
	ret = 0;
out:
	free(buf);
	free(err);
	return ret;
}
