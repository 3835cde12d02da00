/* SPDX-License-Identifier: MIT */
/* replay.c - runs a libFuzzer harness over files without libFuzzer, so the
 * suite replays every seed and every past crash on each build (and under
 * the sanitizers and valgrind).
 *   replay-NAME FILE|DIR...
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
	FILE *f = NULL;
	unsigned char *buf = NULL;
	long len;
	int ret = -1;

	f = fopen(path, "rb");
	if (!f || fseek(f, 0, SEEK_END) || (len = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET)) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		goto out;
	}
	buf = malloc(len ? (size_t)len : 1);
	if (!buf || fread(buf, 1, (size_t)len, f) != (size_t)len) {
		fprintf(stderr, "replay: %s: cannot read\n", path);
		goto out;
	}
	LLVMFuzzerTestOneInput(buf, (size_t)len);
	ret = 0;
out:
	free(buf);
	if (f)
		fclose(f);
	return ret;
}

static int replay(const char *path, unsigned *count)
{
	struct stat st;
	struct dirent **names = NULL;
	int n, i, ret = 0;

	if (stat(path, &st)) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		++*count;
		return replay_file(path);
	}
	n = scandir(path, &names, NULL, alphasort);   /* sorted: repeatable */
	if (n < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		char *sub = NULL;

		if (names[i]->d_name[0] != '.' &&
		    asprintf(&sub, "%s/%s", path, names[i]->d_name) >= 0) {
			if (replay(sub, count))
				ret = -1;
		}
		free(sub);
		free(names[i]);
	}
	free(names);
	return ret;
}

int main(int argc, char **argv)
{
	unsigned count = 0;
	int i, ret = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 2;
	}
	for (i = 1; i < argc; i++)
		if (replay(argv[i], &count))
			ret = 1;
	printf("replayed %u inputs\n", count);
	return ret;
}
