/* SPDX-License-Identifier: MIT */
/* main.c - xenbakec: compile a xenbake source (*.xb) into a blob (*.xbb),
 * or (--fmt) rewrite sources in canonical layout.
 * Exit status: 0 compiled, 1 errors in the source, 2 usage or I/O error.
 * On any error no output is created and an existing one is left as it was. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "lib/atomic.h"
#include "lib/blob.h"
#include "lib/seal.h"
#include "lib/trust.h"
#include "compiler/compiler.h"

#define EXIT_SOURCE 1
#define EXIT_USAGE 2

static void usage(FILE *out)
{
	int i;

	fputs(
"Usage: xenbakec [OPTIONS] FILE.xb\n"
"       xenbakec --fmt [--check | -o OUT.xb] FILE.xb...\n"
"Compile a xenbake source into a blob that `xenbake apply` runs at boot.\n"
"Every problem XenServer would hide is an error with FILE:LINE:COL.\n"
"\n"
"Options:\n"
"  -o OUT.xbb             where to write the blob (default: FILE.xbb)\n"
"      --check            check only; write nothing\n"
"      --fmt              rewrite FILE.xb in canonical layout, comments kept\n"
"                         (-o OUT.xb elsewhere, -o - on stdout); with --check\n"
"                         write nothing, exit 1 if it is not canonical\n"
"  -I DIR                 look for included files in DIR too (repeatable)\n"
"  -WCHECK, -Wno-CHECK    turn a check on or off\n"
"  -Werror                make every warning an error\n"
"  -Werror=CHECK          make one check an error\n"
"      --diagnostics=json print the diagnostics as one JSON array on stdout\n"
"      --sign KEY.key     also write OUT.xbb.sig, an ed25519 signature\n"
"      --gen-key NAME     make NAME.key (secret) and NAME.pub, then exit;\n"
"                         an existing key is kept unless --force\n"
"      --force            with --gen-key: replace NAME.key and NAME.pub\n"
"      --seal-to HOST.pub seal each secret \"FILE\" value to this host's key\n"
"                         (repeatable: every host that opens the blob)\n"
"      --public-from NAME.key  print NAME.pub (both lines) and exit: for a\n"
"                         pair made before secrets, whose .pub has one line\n"
"  -h, --help             this text;  --version  the version\n"
"\n"
"A source (xenbake.xb(5)):\n"
"  let site = \"lab-a\";\n"
"  include \"common.xb\";                 # next to this file, then -I DIRs\n"
"  vm \"web-01\" {\n"
"      vm-data \"role\" = \"frontend\";     # guest: /local/domain/ID/vm-data/role\n"
"      vm-data \"site\" = \"${site}\";\n"
"      other-config \"owner\" = \"ops\";\n"
"  }\n"
"  network \"Storage network\" { hide-from-xencenter; }\n"
"  sr \"Local storage\" { i18n-key local-storage; }\n"
"\n"
"Examples:\n"
"  xenbakec site.xb                      # -> site.xbb\n"
"  xenbakec --check -Werror site.xb      # in CI: fail on any finding\n"
"  xenbakec -I shared -o out/site.xbb site.xb\n"
"  xenbakec -Wno-hidden-sr lab.xb        # yes, hide that SR\n"
"  xenbakec --diagnostics=json site.xb | jq '.[].check'\n"
"  xenbakec --gen-key vendor && xenbakec --sign vendor.key appliance.xb\n"
"  xenbakec --fmt site.xb                # in place; untouched if canonical\n"
"  xenbakec --fmt --check *.xb           # in CI: which files would change\n"
"  xenbakec --fmt -o - site.xb | diff site.xb -\n"
"\n"
"Checks (see xenbake.xb(5) for what each catches and how to fix it);\n"
"* marks those that cannot be turned off: the blob could not hold, or\n"
"xenbake could not apply, what they reject:\n",
	      out);
	for (i = 0; i < CHECK_COUNT; i++)
		fprintf(out, "  %-22s %-8s %s\n", xbc_checks[i].name,
			xbc_checks[i].severity != SEV_ERROR ? "warning" :
			xbc_checks[i].fixed ? "error*" : "error",
			xbc_checks[i].what);
	fputs("\nExit status: 0 compiled, 1 errors in the source, 2 usage or "
	      "I/O error;\nafter an error the output file is not created, "
	      "and an old one is kept.\n"
	      "-o refuses to write onto a source or included file, a symbolic "
	      "link or\nanything but a regular file (exit 2, nothing written).\n"
	      "--fmt reads no include and resolves nothing: let, include and "
	      "${name} stay\nas written. It exits 1 on a syntax error (writing "
	      "nothing), or with --check\nwhen a file is not canonical.\n", out);
}

static char *default_output(const char *src)
{
	size_t len = strlen(src);
	char *out;

	if (len > 3 && !strcmp(src + len - 3, ".xb")) {
		if (asprintf(&out, "%.*s.xbb", (int)(len - 3), src) < 0)
			return NULL;
	} else if (asprintf(&out, "%s.xbb", src) < 0) {
		return NULL;
	}
	return out;
}

/* The blob (or its signature) is renamed over path: refused when path is
 * a symbolic link, not a regular file (a device, a FIFO: a rename would
 * replace the node), or one of the files read. 0, or -1 said why. */
static int check_output(const struct xbc *c, const char *path)
{
	const struct xbc_file *f;
	struct stat out, in;

	if (lstat(path, &out)) {
		if (errno == ENOENT)
			return 0;
		fprintf(stderr, "xenbakec: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (S_ISLNK(out.st_mode)) {
		fprintf(stderr, "xenbakec: %s: a symbolic link; xenbakec "
			"replaces regular files only (-o the link's target)\n",
			path);
		return -1;
	}
	if (!S_ISREG(out.st_mode)) {
		fprintf(stderr, "xenbakec: %s: not a regular file (a device, "
			"FIFO, socket or directory); xenbakec replaces regular "
			"files only\n", path);
		return -1;
	}
	for (f = c->files; f; f = f->next) {
		if (!f->path || (!f->text && !f->on_disk) ||
		    stat(f->path, &in))
			continue;
		if (in.st_dev == out.st_dev && in.st_ino == out.st_ino) {
			fprintf(stderr, "xenbakec: %s: is %s, which this "
				"compilation reads; the blob would replace "
				"it (-o OUT.xbb elsewhere)\n", path,
				f == c->main_file ? "the source" :
				"an included file");
			return -1;
		}
	}
	return 0;
}

/* --gen-key: an existing key is a secret that blobs are signed with and
 * hosts trust; replaced only when asked. 0, or -1 said why. */
static int check_new_key(const char *name, bool force)
{
	static const char *const suffixes[] = { ".key", ".pub" };
	struct stat st;
	char *path = NULL;
	size_t i;
	int ret = 0;

	for (i = 0; i < 2 && !ret; i++) {
		if (asprintf(&path, "%s%s", name, suffixes[i]) < 0) {
			fputs("xenbakec: out of memory\n", stderr);
			return -1;
		}
		if (lstat(path, &st)) {
			if (errno != ENOENT) {
				fprintf(stderr, "xenbakec: %s: %s\n", path,
					strerror(errno));
				ret = -1;
			}
		} else if (!S_ISREG(st.st_mode)) {
			fprintf(stderr, "xenbakec: %s: exists and is not a "
				"regular file; refusing to write a key there\n",
				path);
			ret = -1;
		} else if (!force) {
			fprintf(stderr, "xenbakec: %s exists; not replaced: "
				"hosts that trust %s.pub would refuse what a new "
				"key signs (--force replaces it)\n", path, name);
			ret = -1;
		}
		free(path);
		path = NULL;
	}
	return ret;
}

/* --check --fmt: where the file first differs from its canonical layout,
 * as a hint of what would change. */
static void show_difference(const char *path, const char *old, size_t old_len,
			    const char *new, size_t new_len)
{
	size_t i = 0, start = 0, line = 1, o_end, n_end;
	bool cr;

	for (; i < old_len && i < new_len && old[i] == new[i]; i++)
		if (old[i] == '\n') {
			start = i + 1;
			line++;
		}
	for (o_end = start; o_end < old_len && old[o_end] != '\n'; o_end++)
		;
	for (n_end = start; n_end < new_len && new[n_end] != '\n'; n_end++)
		;
	fprintf(stderr, "xenbakec: %s: not in canonical layout "
		"(xenbakec --fmt %s rewrites it)\n", path, path);
	cr = o_end > start && old[o_end - 1] == '\r';
	if (o_end - start - cr == n_end - start &&
	    !memcmp(old + start, new + start, n_end - start)) {
		/* the two lines would look the same */
		fprintf(stderr, "%s:%zu: the line ends differently (CR LF, or "
			"no newline at the end of the file)\n", path, line);
		return;
	}
	if (start < old_len)
		fprintf(stderr, "%s:%zu: -%.*s\n", path, line,
			(int)(o_end - start), old + start);
	else
		fprintf(stderr, "%s:%zu: - (end of file)\n", path, line);
	if (start < new_len)
		fprintf(stderr, "%s:%zu: +%.*s\n", path, line,
			(int)(n_end - start), new + start);
	else
		fprintf(stderr, "%s:%zu: + (end of file)\n", path, line);
}

/* --fmt of one file: in place (through a temporary file, with the file's
 * permissions, and not at all when it is canonical already), to output,
 * or "-" for stdout; with check, nowhere. Only this file: its includes
 * are neither read nor formatted. */
static int format_file(const struct xbc_options *opt, const char *path,
		       const char *output, bool check, bool json)
{
	struct xbc c;
	struct stat st;
	char *text = NULL, *target = NULL, *err = NULL;
	const struct xbc_file *f;
	size_t len = 0;
	bool same, to_stdout = output && !strcmp(output, "-");
	int ret = EXIT_USAGE;

	xbc_init(&c);
	c.opt = *opt;
	c.opt.no_includes = true;
	if (xbc_parse_file(&c, path) && (c.read_failed || !c.nerrors))
		goto out;           /* unreadable, said why */
	if (!c.nerrors && !c.out_of_memory)
		xbc_format(&c, &text, &len);
	if (c.ndiags)
		xbc_print_diags(&c, json, !json && isatty(STDERR_FILENO) &&
				!getenv("NO_COLOR"),
				json && !to_stdout ? stdout : stderr);
	if (c.out_of_memory) {
		fputs("xenbakec: out of memory\n", stderr);
		goto out;
	}
	if (c.nerrors || !text) {
		ret = EXIT_SOURCE;
		goto out;
	}
	f = c.main_file;
	same = len == f->len && !memcmp(text, f->text, len);
	if (check) {
		if (!same)
			show_difference(path, f->text, f->len, text, len);
		ret = same ? 0 : EXIT_SOURCE;
		goto out;
	}
	if (to_stdout) {
		if (fwrite(text, 1, len, stdout) != len || fflush(stdout)) {
			fprintf(stderr, "xenbakec: stdout: %s\n",
				strerror(errno));
			goto out;
		}
		ret = 0;
		goto out;
	}
	if (!output && same) {
		ret = 0;
		goto out;
	}
	/* through a symbolic link to the file itself, which keeps its mode */
	target = output ? strdup(output) : realpath(path, NULL);
	if (!target || stat(path, &st)) {
		fprintf(stderr, "xenbakec: %s: %s\n", path, strerror(errno));
		goto out;
	}
	if (xb_replace_file(target, text, len, (int)(st.st_mode & 07777),
			    XB_ATOMIC_SYNC, &err)) {
		fprintf(stderr, "xenbakec: %s\n", err);
		goto out;
	}
	ret = 0;
out:
	free(err);
	free(target);
	free(text);
	xbc_free(&c);
	return ret;
}

enum { OPT_CHECK = 256, OPT_DIAG, OPT_SIGN, OPT_GEN_KEY, OPT_VERSION,
       OPT_FMT, OPT_FORCE, OPT_SEAL_TO, OPT_PUBLIC_FROM };

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "check", no_argument, NULL, OPT_CHECK },
		{ "fmt", no_argument, NULL, OPT_FMT },
		{ "diagnostics", required_argument, NULL, OPT_DIAG },
		{ "sign", required_argument, NULL, OPT_SIGN },
		{ "gen-key", required_argument, NULL, OPT_GEN_KEY },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "seal-to", required_argument, NULL, OPT_SEAL_TO },
		{ "public-from", required_argument, NULL, OPT_PUBLIC_FROM },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ NULL, 0, NULL, 0 }
	};
	struct xbc c;
	const char *output = NULL, *sign_key = NULL, *why = NULL;
	const char *gen_key = NULL, *public_from = NULL;
	const char **dirs = NULL;
	unsigned char (*seal_to)[XB_SEAL_KEY_SIZE] = NULL;
	size_t nseal_to = 0;
	char *out_path = NULL, *tmp = NULL, *err = NULL, *sig_path = NULL;
	const void *blob = NULL;
	unsigned char sk[XB_SECRET_KEY_SIZE];
	size_t len = 0, ndirs = 0;
	bool check_only = false, json = false, fmt = false, force = false;
	bool color;
	int opt, i, r, fd = -1, ret = EXIT_USAGE;

	xbc_init(&c);
	dirs = calloc((size_t)argc, sizeof(*dirs));
	seal_to = calloc((size_t)argc, sizeof(*seal_to));
	if (!dirs || !seal_to)
		goto out;
	while ((opt = getopt_long(argc, argv, "o:I:W:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'o':
			output = optarg;
			break;
		case 'I':
			dirs[ndirs++] = optarg;
			break;
		case 'W':
			if (xbc_option_w(&c.opt, optarg, &why)) {
				fprintf(stderr, "xenbakec: -W%s: %s\n", optarg, why);
				goto out;
			}
			break;
		case OPT_CHECK:
			check_only = true;
			break;
		case OPT_FMT:
			fmt = true;
			break;
		case OPT_DIAG:
			if (strcmp(optarg, "json") && strcmp(optarg, "text")) {
				fprintf(stderr, "xenbakec: --diagnostics is text "
					"or json\n");
				goto out;
			}
			json = !strcmp(optarg, "json");
			break;
		case OPT_SIGN:
			sign_key = optarg;
			break;
		case OPT_GEN_KEY:
			gen_key = optarg;
			break;
		case OPT_FORCE:
			force = true;
			break;
		case OPT_PUBLIC_FROM:
			public_from = optarg;
			break;
		case OPT_SEAL_TO:
			if (xb_key_read_seal_public(optarg, seal_to[nseal_to],
						    &err)) {
				fprintf(stderr, "xenbakec: --seal-to %s\n", err);
				goto out;
			}
			nseal_to++;
			break;
		case 'h':
			usage(stdout);
			ret = 0;
			goto out;
		case OPT_VERSION:
			printf("xenbakec %s\n", PACKAGE_VERSION);
			ret = 0;
			goto out;
		default:
			fputs("Try 'xenbakec --help'.\n", stderr);
			goto out;
		}
	}
	if (gen_key) {
		/* after every option: --force may come after it */
		if (optind != argc || fmt) {
			fputs("xenbakec: --gen-key NAME takes no source file "
			      "(xenbakec --help)\n", stderr);
			goto out;
		}
		if (check_new_key(gen_key, force))
			goto out;
		if (xb_key_generate(gen_key, &err)) {
			fprintf(stderr, "xenbakec: %s\n", err);
			goto out;
		}
		fprintf(stderr, "xenbakec: wrote %s.key (keep it secret) "
			"and %s.pub (give it to xenbake "
			"--require-signature)\n", gen_key, gen_key);
		ret = 0;
		goto out;
	}
	if (public_from) {
		char *text = NULL;

		if (optind != argc || fmt || output || sign_key || nseal_to) {
			fputs("xenbakec: --public-from KEY.key takes nothing "
			      "else (xenbakec --help)\n", stderr);
			goto out;
		}
		if (xb_key_public_text(public_from, &text, &err)) {
			fprintf(stderr, "xenbakec: %s\n", err);
			goto out;
		}
		fputs(text, stdout);
		free(text);
		ret = fflush(stdout) ? EXIT_USAGE : 0;
		goto out;
	}
	if (force) {
		fputs("xenbakec: --force goes with --gen-key only\n", stderr);
		goto out;
	}
	if (fmt) {
		if (optind == argc || sign_key ||
		    (output && (check_only || optind != argc - 1))) {
			fputs("xenbakec: --fmt takes source files, and -o with "
			      "one file only, no --sign (xenbakec --help)\n",
			      stderr);
			goto out;
		}
		/* every file, even after one that fails: the worst status */
		ret = 0;
		for (i = optind; i < argc; i++) {
			r = format_file(&c.opt, argv[i], output, check_only,
					json);
			if (r > ret)
				ret = r;
		}
		goto out;
	}
	if (optind != argc - 1) {
		fputs("xenbakec: one source file, please (xenbakec --help)\n",
		      stderr);
		goto out;
	}
	c.opt.include_dirs = dirs;
	c.opt.ninclude_dirs = ndirs;
	c.opt.seal_to = (const unsigned char (*)[32])seal_to;
	c.opt.nseal_to = nseal_to;
	if (sign_key && xb_key_read_secret(sign_key, sk, &err)) {
		fprintf(stderr, "xenbakec: %s\n", err);
		goto out;
	}
	out_path = output ? strdup(output) : default_output(argv[optind]);
	if (!out_path) {
		fputs("xenbakec: out of memory\n", stderr);
		goto out;
	}

	if (xbc_parse_file(&c, argv[optind]) &&
	    (c.read_failed || !c.nerrors)) {
		ret = EXIT_USAGE;           /* a source could not be read */
		goto out;
	}
	if (!check_only && check_output(&c, out_path))
		goto out;                   /* before anything is written */
	if (!check_only && sign_key) {
		if (asprintf(&sig_path, "%s%s", out_path, XB_SIG_SUFFIX) < 0) {
			sig_path = NULL;
			fputs("xenbakec: out of memory\n", stderr);
			goto out;
		}
		if (check_output(&c, sig_path))
			goto out;
	}
	xbc_compile(&c);
	color = !json && isatty(STDERR_FILENO) && !getenv("NO_COLOR");
	xbc_print_diags(&c, json, color, json ? stdout : stderr);
	if (c.out_of_memory) {
		fputs("xenbakec: out of memory\n", stderr);
		goto out;
	}
	if (c.nerrors) {
		ret = EXIT_SOURCE;
		goto out;
	}
	xbc_release_tree(&c);        /* the emit reads the objects only */
	if (check_only) {
		/* nothing written, but a blob too big is still an error */
		if (xbc_emit_fd(&c, -1, NULL))
			goto out;
		ret = 0;
		goto out;
	}
	fd = xb_atomic_open(out_path, -1, &tmp, &err);
	if (fd < 0) {
		fprintf(stderr, "xenbakec: %s\n", err);
		goto out;
	}
	if (xbc_emit_fd(&c, fd, tmp))
		goto out;
	if (sign_key) {
		/* the signature is over the bytes as written */
		if (xbb_map_fd(fd, tmp, &blob, &len, &err)) {
			fprintf(stderr, "xenbakec: %s\n", err);
			goto out;
		}
		r = xb_sig_write(out_path, blob, len, sk, &err);
		xbb_unmap(blob, len);
		if (r) {
			fprintf(stderr, "xenbakec: %s\n", err);
			goto out;
		}
	}
	r = xb_atomic_close(fd, &tmp, XB_ATOMIC_SYNC, &err);
	fd = -1;
	if (r) {
		fprintf(stderr, "xenbakec: %s\n", err);
		goto out;
	}
	/* once more: the path may have been replaced while compiling */
	if (check_output(&c, out_path))
		goto out;
	if (xb_atomic_commit(&tmp, out_path, &err)) {
		fprintf(stderr, "xenbakec: %s\n", err);
		goto out;
	}
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	xb_atomic_abandon(&tmp);
	if (sign_key)
		memset(sk, 0, sizeof(sk));
	free(err);
	free(out_path);
	free(sig_path);
	free(dirs);
	free(seal_to);
	xbc_free(&c);
	return ret;
}
