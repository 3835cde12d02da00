/* SPDX-License-Identifier: MIT */
/* cli.h - what the files of the `xenbake` program share: its options,
 * the blobs it loaded, and one function per job. main.c parses the command
 * line and runs a command; load.c reads and verifies blobs; wait.c waits
 * at boot; host.c reads the host and plans; render.c prints changes and
 * plans (text and --json); cmd-plan.c (dump, plan, check), cmd-apply.c
 * and cmd-status.c run the commands. */
#ifndef XENBAKE_CLI_H
#define XENBAKE_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "lib/blob.h"
#include "lib/identity.h"
#include "runtime/apply.h"
#include "runtime/desired.h"
#include "runtime/json.h"
#include "runtime/plan.h"
#include "runtime/state.h"

struct xapi;
struct xb_xs;

/* EXIT_PARTIAL: apply gave up guests that kept conflicting, and made
 * every other change (xenstore.h) */
enum { EXIT_OK = 0, EXIT_ERROR = 1, EXIT_PENDING = 2, EXIT_PARTIAL = 3 };

enum command { CMD_DUMP, CMD_PLAN, CMD_APPLY, CMD_CHECK, CMD_STATUS, CMD_DIFF, CMD_EXPORT };

#define DEFAULT_STATE_DIR "/var/lib/xenbake"
#define STATE_DIR_ENV "XENBAKE_STATE_DIR"
/* xapi creates it when it has finished starting (xapi-init-complete) */
#define XAPI_COOKIE "/var/run/xapi_init_complete.cookie"
#define XAPI_COOKIE_ENV "XENBAKE_XAPI_COOKIE"

struct options {
	enum command cmd;
	const char *blob_path;
	const char *new_path;        /* diff: NEW (blob_path is OLD) */
	const char *xapi;
	const char *password_file;
	const char *xapi_ca;         /* --xapi-ca; NULL: $XENBAKE_CA_FILE */
	const char *xapi_fingerprint;   /* --xapi-fingerprint */
	const char *state_dir;
	const char *signature_key;
	const char *host_key;        /* --host-key; NULL: the default */
	bool no_xapi, no_xenstore, json, verbose, no_syslog;
	bool ignore_running_xapi;    /* --no-xapi even though xapi answers */
	bool all;                    /* status: every receipt kept */
	/* export: what to write (NULL / 0: everything) */
	const char *export_classes;  /* "vm,sr" */
	const char *export_names[16];   /* globs on names, or uuids */
	size_t nexport_names;
	const char *export_prefix;   /* keys that start with it */
	bool export_managed;         /* only keys xenbake's record names */
	const char *include_dirs[16];   /* diff of a source: xenbakec -I */
	size_t ninclude_dirs;
	bool xapi_given;             /* --xapi on the command line */
	double wait;
	double start;                /* monotonic: --wait counts from here */
};

struct loaded {
	char *path;
	const void *buf;             /* mapped: xbb_map_fd */
	size_t len;
	struct xbb blob;
	bool ok;                     /* verified */
	unsigned char sha256[XBB_SHA256_SIZE];   /* the blob's own, verified
						    (blob.h: header) */
};

/* One apply, for its receipt. */
struct apply_run {
	struct timespec time;
	struct loaded *blobs;
	size_t nblobs;
	const struct xb_plan *plan;  /* NULL: failed before planning */
	const struct xb_actual *actual;
	enum xb_outcome *outcomes;
	bool verified;
	struct xapi *x;
	struct xb_xs *xs;
	const char *error;
	const unsigned char *identity;   /* NULL: a blob failed to load */
};

/* load.c: every blob o names, verified; 0, or -1 with the reason printed. */
int load_blobs(const struct options *o, struct loaded **out, size_t *n);
void free_blobs(struct loaded *l, size_t n);
/* Each of names, verified. *n counts the ones tried, the failed one
 * included (its blob is zeroed). */
int load_list(const struct options *o, char **names, size_t nnames,
	      struct loaded **out, size_t *n);
void free_names(char **names, size_t n);
/* path made absolute against the current directory (malloc'd; NULL when
 * out of memory); symlinks are kept, not resolved. */
char *absolute_path(const char *path);

/* wait.c: each waits up to --wait; -1 / NULL with *err. */
int take_lock(const struct options *o, char **err);
int wait_xenstored(const struct options *o, struct xb_xs **xs, char **err);
struct xapi *connect_xapi(const struct options *o, char **err);

/* host.c: the host as it is, and the plan to make it match d. 0; -1:
 * reading failed (*err); 1: the plan failed, *planned says how
 * (xb_plan_make's -1: plan->errors, or -ENOMEM). recover: undo or finish
 * a cut-off apply first (NULL: not). */
int read_and_plan(const struct options *o, const struct xb_desired *d,
		  struct xapi *x, struct xb_xs *xs,
		  const struct xb_apply_options *recover,
		  struct xb_actual *actual, struct xb_plan *plan,
		  int *planned, char **err);

/* host.c: one run of plan, check or apply: the blobs, the connections,
 * the host as read and the plan. Zero it before session_plan(). */
struct session {
	struct loaded *blobs;
	size_t nblobs;
	struct xb_desired desired;
	struct xb_actual actual;
	struct xb_plan plan;
	int planned;                 /* see read_and_plan() */
	struct xapi *x;
	struct xb_xs *xs;
	const unsigned char **shas;
	struct xb_apply_options aopt;
	unsigned char identity[XB_IDENTITY_SIZE];   /* of the blobs */
	bool identified;             /* identity set: every blob loaded */
};
enum { SESSION_NOT_LOADED = 2, SESSION_PLAN_FAILED = 1 };
/* Loads and verifies the blobs, opens the connections, reads the host and
 * plans. 0; -1: failed (*err); SESSION_NOT_LOADED: a blob failed
 * verification (the reason printed); SESSION_PLAN_FAILED: the plan failed
 * (s->plan.errors, printed). Notes go to stderr unless --json. */
int session_plan(const struct options *o, struct session *s, char **err);
/* The error of a failed session on stderr, and as --json. */
void session_fail(const struct options *o, const struct session *s,
		  char *err);
/* hint.c: a plan error that a name selects nothing gets the nearest name
 * the host has, instead of the advice to mark the block optional; and the
 * source line with a caret under an error (or where the source is not). */
void improve_plan_errors(struct session *s);
void print_source_excerpt(FILE *out, const struct session *s, const char *e,
			  const char *blob_path);

/* --json: the one object for SESSION_NOT_LOADED. */
void session_not_loaded(const struct options *o, const struct session *s);
/* --verbose's counts, then everything closed and freed. */
void session_end(const struct options *o, struct session *s);

/* render.c: the one renderer of a change, for people and for --json. */
void put_quoted(FILE *f, const char *s);
void put_json(FILE *f, const char *s);
void put_json_or_null(FILE *f, const char *s);
void put_name(FILE *f, const char *s);
void print_change(FILE *f, const struct xb_change *c);
/* The plan as people read it: per object, one line per key, a guest's
 * live copy of a vm-data key as a detail of its line. */
void print_plan(FILE *f, const struct xb_plan *p, bool colour);
/* One summary line per class of object that changes. */
void print_plan_classes(FILE *f, const struct xb_plan *p);
bool use_colour(FILE *f);
/* identity: the configuration's (XB_IDENTITY_SIZE bytes), NULL: unknown */
void print_json(const char *command, const char *result,
		const unsigned char *identity,
		const struct xb_plan *p, const struct xb_actual *a,
		char **errors, size_t nerrors);
size_t print_drift(FILE *f, const struct xb_plan *plan);
char *change_line(const struct xb_change *c);

/* main.c: "plan", "apply"... */
const char *command_name(enum command cmd);

/* cmd-plan.c: dump, plan and check, which only read the host. */
int cmd_dump(const struct options *o);
int cmd_plan(const struct options *o);

/* cmd-diff.c */
int cmd_diff(const struct options *o);

/* cmd-export.c */
int cmd_export(const struct options *o);

/* cmd-apply.c */
int cmd_apply(const struct options *o);
bool verify_outcomes(const struct options *o, const struct xb_desired *d,
		     struct xapi *x, struct xb_xs *xs, const struct xb_plan *p,
		     enum xb_outcome *out);
void log_outcomes(const struct xb_plan *p, const enum xb_outcome *out,
		  bool failed);
/* 0, or -1 when no receipt could be written (said on stderr and in the
 * log): apply then exits 1, even after its changes were made. */
int save_receipt(const struct options *o, const struct apply_run *a,
		 const char *result);

/* cmd-status.c */
int show_status(struct options *o);

#endif
