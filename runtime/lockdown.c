/* SPDX-License-Identifier: MIT */
/* lockdown.c - no_new_privs and a seccomp allow-list: see lockdown.h. */
#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "runtime/lockdown.h"
#include "runtime/xenstore.h"

#ifdef HAVE_SECCOMP
#include <seccomp.h>
#endif
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#else
#define RUNNING_ON_VALGRIND 0
#endif

#if defined(__SANITIZE_ADDRESS__)
#define XB_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define XB_ASAN 1
#endif
#endif

static char *lockdown_error(const char *what, int e)
{
	char *s = NULL;

	if (asprintf(&s, "lock-down: %s: %s", what, strerror(e)) < 0)
		s = NULL;
	return s;
}

#ifdef HAVE_SECCOMP
/* The system calls a plan, check or apply makes once everything is open.
 * Found with strace -f over every xenbake run of the test suite (xenstore,
 * XenAPI on the unix socket and over http and https, HOST_IS_SLAVE
 * redirects, SESSION_INVALID re-logins, --wait, journal recovery, receipts
 * and their pruning, syslog, the parallel XenAPI writers, which open new
 * connections and resolve the master's name in curl's resolver threads),
 * taking every call after the prctl(PR_SET_NO_NEW_PRIVS) below: 41 calls.
 * 36 are the first group of each line; socket, mmap, mprotect, ioctl and
 * clone3 (made clone) are allowed below with their arguments checked.
 * After the "|", 36 that the same paths make with another libc or library
 * version (an EL7-era glibc opens with open, stat and getdents; a DNS
 * query goes out with sendmmsg or sendmsg; an NSS module is read with
 * pread64; qsort asks sysinfo how much memory there is; curl waits with
 * ppoll or select and wakes with eventfd or a pipe), or on a path the
 * tests do not reach (the state directory's *at calls, the owner check's
 * geteuid, abort's tgkill, a signal handler's return, a sanitizer
 * thread's sigaltstack). 80 in all on x86-64 (dup and dup3: the receipts
 * directory is listed through a duplicate of its checked descriptor;
 * getcwd: a receipt names its blobs by absolute path). */
static const char *const allowed[] = {
	/* files: blob, state directory, journal, receipts, the host's
	 * /etc/hosts and resolv.conf, certificates */
	"read", "write", "close", "openat", "newfstatat", "lseek", "fcntl",
	"getdents64", "fsync", "ftruncate", "rename", "unlink", "mkdir",
	/* | */ "open", "stat", "fstat", "lstat", "getdents", "pread64",
	"readv", "writev", "fdatasync", "renameat", "renameat2", "unlinkat",
	"mkdirat", "dup", "dup3", "getcwd",
	/* sockets: xenstored, xapi and new connections to it, DNS, the log */
	"connect", "sendto", "recvfrom", "getsockname", "getpeername",
	"setsockopt", "getsockopt", "socketpair", "poll",
	/* | */ "sendmsg", "recvmsg", "sendmmsg", "shutdown", "ppoll",
	"select", "pipe2", "eventfd2",
	/* memory */
	"brk", "munmap", "mremap", "madvise",
	/* threads: curl's resolver, the parallel XenAPI writers */
	"futex", "set_robust_list", "rseq",
	/* | */ "gettid", "tgkill", "sched_yield", "sigaltstack",
	/* signals, time, exit */
	"rt_sigaction", "rt_sigprocmask", "getpid", "getrandom", "exit",
	"exit_group", "clock_nanosleep",
	/* | */ "rt_sigreturn", "restart_syscall", "clock_gettime",
	"gettimeofday", "nanosleep", "getuid", "geteuid",
	"getgid", "getegid", "uname", "sysinfo",
};

/* Refused with EPERM rather than ENOSYS: what a lock-down is for. */
static const char *const refused[] = {
	"execve", "execveat", "fork", "vfork", "ptrace", "process_vm_readv",
	"process_vm_writev", "mount", "umount2", "pivot_root", "chroot",
	"unshare", "setns", "listen", "accept", "accept4", "bind",
	"init_module", "finit_module", "delete_module", "kexec_load",
	"bpf", "perf_event_open", "personality", "setuid", "setgid",
	"setreuid", "setregid", "setresuid", "setresgid", "setgroups",
	"capset", "chmod", "fchmod", "fchmodat", "chown", "fchown", "lchown",
	"fchownat", "link", "linkat", "symlink", "symlinkat", "mknod",
	"mknodat", "prctl",
};

/* unix (xenstored, xapi, the log) and the internet (a pool master, DNS):
 * no netlink, packet or other socket */
static const int families[] = { AF_UNIX, AF_INET, AF_INET6 };

/* ioctl: isatty() on stdout and stderr, non-blocking and close-on-exec
 * switches, bytes waiting; never TIOCSTI (typing into root's terminal) */
static const unsigned long ioctls[] = {
	TCGETS, FIONBIO, FIONREAD, FIOCLEX, FIONCLEX,
};

#ifdef XB_ASAN
/* AddressSanitizer builds: at exit LeakSanitizer clones an untraced task
 * that stops the threads with ptrace and reads their registers, and the
 * runtime asks for its limits and whether it may be traced */
static const char *const sanitizer[] = {
	"ptrace", "prctl", "wait4", "getrlimit", "prlimit64",
	"sched_getaffinity", "readlink", "getppid", "kill",
};
/* LeakSanitizer's task is not a thread */
#define CLONE_CHECKED (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | \
		       CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | \
		       CLONE_NEWNET)
#define CLONE_WANTED 0
#else
/* a new thread: no process (glibc's fork() is a clone too), namespace or
 * untraced child */
#define CLONE_CHECKED (CLONE_THREAD | CLONE_NEWNS | CLONE_NEWCGROUP | \
		       CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | \
		       CLONE_NEWPID | CLONE_NEWNET | CLONE_UNTRACED)
#define CLONE_WANTED CLONE_THREAD
#endif

#ifdef SCMP_ACT_KILL_PROCESS
#define KILL_ALL SCMP_ACT_KILL_PROCESS
#else
#define KILL_ALL SCMP_ACT_KILL          /* libseccomp 2.3 */
#endif

static bool for_sanitizer(const char *name)
{
#ifdef XB_ASAN
	size_t i;

	for (i = 0; i < sizeof(sanitizer) / sizeof(*sanitizer); i++)
		if (!strcmp(sanitizer[i], name))
			return true;
#endif
	return false;
}

/* argument N compared with OP; A the value (or the mask, and B the value,
 * for SCMP_CMP_MASKED_EQ). Spelled out: libseccomp's SCMP_An() macros
 * leave datum_b to the compiler's warnings. */
static struct scmp_arg_cmp arg(unsigned n, enum scmp_compare op,
			       scmp_datum_t a, scmp_datum_t b)
{
	return (struct scmp_arg_cmp){ .arg = n, .op = op, .datum_a = a,
				      .datum_b = b };
}

static int add(scmp_filter_ctx ctx, uint32_t action, const char *name,
	       unsigned nargs, const struct scmp_arg_cmp *args)
{
	int nr = seccomp_syscall_resolve_name(name);

	if (nr == __NR_SCMP_ERROR)
		return 0;       /* not on this architecture (open on arm64) */
	return seccomp_rule_add_array(ctx, action, nr, nargs, args);
}

static int load_filter(char **err)
{
	const uint32_t deny = SCMP_ACT_ERRNO(EPERM);
	/* memory that is both writable and executable is refused: the
	 * masked value of PROT_WRITE|PROT_EXEC must be one of these */
	const int wx = PROT_WRITE | PROT_EXEC;
	const int prot_ok[] = { 0, PROT_WRITE, PROT_EXEC };
	scmp_filter_ctx ctx;
	const char *what = "seccomp_init";
	size_t i;
	int r = 0;

	ctx = seccomp_init(SCMP_ACT_ERRNO(ENOSYS));
	if (!ctx) {
		*err = lockdown_error(what, ENOMEM);
		return -1;
	}
	what = "seccomp_attr_set";
	/* every thread, and any started before (curl's resolver) */
	r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	/* a call from another ABI (32-bit int 0x80) kills: no way around */
	if (!r)
		r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, KILL_ALL);
	what = "seccomp_rule_add";
	for (i = 0; !r && i < sizeof(allowed) / sizeof(*allowed); i++)
		r = add(ctx, SCMP_ACT_ALLOW, allowed[i], 0, NULL);
	for (i = 0; !r && i < sizeof(refused) / sizeof(*refused); i++)
		if (!for_sanitizer(refused[i]))
			r = add(ctx, deny, refused[i], 0, NULL);
#ifdef XB_ASAN
	for (i = 0; !r && i < sizeof(sanitizer) / sizeof(*sanitizer); i++)
		r = add(ctx, SCMP_ACT_ALLOW, sanitizer[i], 0, NULL);
#endif
	for (i = 0; !r && i < sizeof(families) / sizeof(*families); i++) {
		struct scmp_arg_cmp a = arg(0, SCMP_CMP_EQ, families[i], 0);

		r = add(ctx, SCMP_ACT_ALLOW, "socket", 1, &a);
	}
	for (i = 0; !r && i < sizeof(ioctls) / sizeof(*ioctls); i++) {
		struct scmp_arg_cmp a = arg(1, SCMP_CMP_EQ, ioctls[i], 0);

		r = add(ctx, SCMP_ACT_ALLOW, "ioctl", 1, &a);
	}
	if (!r) {
		/* threads only; clone3's flags are out of a filter's reach,
		 * so it fails as unknown and glibc falls back to clone */
		struct scmp_arg_cmp a = arg(0, SCMP_CMP_MASKED_EQ,
					      CLONE_CHECKED, CLONE_WANTED);

		r = add(ctx, SCMP_ACT_ALLOW, "clone", 1, &a);
	}
	for (i = 0; !r && i < sizeof(prot_ok) / sizeof(*prot_ok); i++) {
		struct scmp_arg_cmp a = arg(2, SCMP_CMP_MASKED_EQ, wx,
					      prot_ok[i]);

		r = add(ctx, SCMP_ACT_ALLOW, "mmap", 1, &a);
		if (!r)
			r = add(ctx, SCMP_ACT_ALLOW, "mprotect", 1, &a);
	}
	if (!r) {
		struct scmp_arg_cmp a = arg(2, SCMP_CMP_MASKED_EQ, wx, wx);

		r = add(ctx, deny, "mmap", 1, &a);
		if (!r)
			r = add(ctx, deny, "mprotect", 1, &a);
	}
	what = "seccomp_load";
	if (!r)
		r = seccomp_load(ctx);
	seccomp_release(ctx);
	if (r) {
		*err = lockdown_error(what, -r);
		return -1;
	}
	return 0;
}
#endif

#ifdef XB_TEST_HOOKS
static bool test_skip_filter(void)
{
	const char *skip = getenv(XB_LOCKDOWN_TEST_SKIP_ENV);
	const char *hook = getenv(XB_XS_TEST_HOOK_ENV);
	const char *writes = getenv(XB_XS_TEST_HOOK_WRITES_ENV);

	return (skip && !strcmp(skip, "1")) || (hook && *hook) ||
	       (writes && *writes);
}

/* execve after the lock-down: the test expects "Operation not permitted" */
static void test_exec(void)
{
	const char *want = getenv(XB_LOCKDOWN_TEST_EXEC_ENV);
	char arg0[] = "true";
	char *const argv[] = { arg0, NULL };
	char *const envp[] = { NULL };
	int e;

	if (!want || strcmp(want, "1"))
		return;
	execve("/bin/true", argv, envp);
	e = errno;
	fprintf(stderr, "xenbake: test hook: execve after lock-down: %s (errno %d)\n",
		strerror(e), e);
}
#else
static bool test_skip_filter(void)
{
	return false;
}

static void test_exec(void)
{
}
#endif

int xb_lockdown(char **err)
{
	/* no set-user-ID program, no file capability ever raises what this
	 * process (or a child, were there one) may do */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		*err = lockdown_error("PR_SET_NO_NEW_PRIVS", errno);
		return -1;
	}
	if (RUNNING_ON_VALGRIND || test_skip_filter()) {
		test_exec();
		return 0;
	}
#ifdef HAVE_SECCOMP
	if (load_filter(err))
		return -1;
#else
	fprintf(stderr, "xenbake: notice: built without libseccomp: no system call filter after start-up\n");
#endif
	test_exec();
	return 0;
}
