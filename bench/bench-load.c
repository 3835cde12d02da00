/* SPDX-License-Identifier: MIT */
/* bench-load.c - what `xenbake` does with a blob before it talks to the
 * host, and nothing else: the runtime's own load (runtime/load.c: owner
 * check, map, xbb_open: hash, every section, record and string; the
 * compiler's rules again), then the planner's input (xb_desired_add_blob).
 * Prints the counts, so that the work cannot be optimised away. Used by
 * bench/load.sh and bench/growth.sh.
 *   bench-load FILE.xbb [REPEAT]
 */
#include <stdio.h>
#include <stdlib.h>

#include "runtime/cli.h"
#include "runtime/desired.h"

int main(int argc, char **argv)
{
	unsigned long repeat = argc > 2 ? strtoul(argv[2], NULL, 10) : 1, i;
	size_t objects = 0, entries = 0, j;
	struct options o = { 0 };

	if (argc < 2 || argc > 3 || !repeat) {
		fprintf(stderr, "usage: bench-load FILE.xbb [REPEAT]\n");
		return 2;
	}
	o.blob_path = argv[1];
	for (i = 0; i < repeat; i++) {
		struct xb_desired d = { 0 };
		struct loaded *l = NULL;
		size_t n = 0, k;
		int r = 0;

		if (load_blobs(&o, &l, &n)) {
			free_blobs(l, n);
			return 1;
		}
		for (k = 0; !r && k < n; k++)
			r = xb_desired_add_blob(&d, &l[k].blob);
		if (r) {
			fprintf(stderr, "bench-load: out of memory\n");
			xb_desired_free(&d);
			free_blobs(l, n);
			return 1;
		}
		objects = d.nobjects;
		entries = 0;
		for (j = 0; j < d.nobjects; j++)
			entries += d.objects[j].nentries;
		xb_desired_free(&d);
		free_blobs(l, n);
	}
	printf("%zu objects, %zu entries\n", objects, entries);
	return 0;
}
