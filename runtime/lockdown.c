/* lockdown.c - no_new_privs and a seccomp allow-list: see lockdown.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
/* The system calls a plan, check or apply makes once everything is open:
 * every call of xenbake after the lock-down over the whole test suite
 * (strace -f of every run: xenstore, XenAPI on the unix socket, http and
 * https with their re-connections, HOST_IS_SLAVE redirects and SESSION_
 * INVALID re-logins, --wait, journal recovery, receipts, syslog, the
 * parallel XenAPI writers), and what glibc, libcurl, OpenSSL and libxml2
 * may call on the same paths (name resolution after a redirect: reading
 * /etc/hosts, loading an NSS module, a DNS query; a thread's start). */
static const char *const allowed[] = {
	/* files: blob, state directory, journal, receipts, the lock */
	"read", "write", "pread64", "pwrite64", "readv", "writev", "lseek",
	"openat", "open", "close", "newfstatat", "fstat", "stat", "lstat",
	"statx", "fstatfs", "statfs", "getdents64", "readlink", "readlinkat",
	"access", "faccessat", "faccessat2", "fsync", "fdatasync",
	"ftruncate", "rename", "renameat", "renameat2", "unlink", "unlinkat",
	"mkdir", "mkdirat", "fchmod", "fchown", "fcntl", "flock", "dup",
	"dup2", "dup3", "umask", "getcwd", "fadvise64",
	/* sockets: xenstored, xapi (new connections after a redirect or a
	 * re-login), DNS, the log; socket() itself is checked below */
	"connect", "sendto", "recvfrom", "sendmsg", "recvmsg", "sendmmsg",
	"recvmmsg", "shutdown", "getsockname", "getpeername", "setsockopt",
	"getsockopt", "socketpair", "pipe", "pipe2", "eventfd2",
	"poll", "ppoll", "select", "pselect6", "epoll_create1", "epoll_ctl",
	"epoll_wait", "epoll_pwait", "ioctl",
	/* memory (mmap and mprotect are checked below) */
	"brk", "munmap", "mremap", "madvise",
	/* threads: curl's resolver, the parallel XenAPI writers */
	"clone", "clone3", "futex", "set_robust_list", "get_robust_list",
	"rseq", "set_tid_address", "gettid", "sched_yield",
	"sched_getaffinity",
	/* signals, time, identity */
	"rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "sigaltstack",
	"tgkill", "getpid", "kill",
	"clock_gettime", "clock_nanosleep", "nanosleep", "gettimeofday",
	"time", "getrandom", "getuid", "geteuid", "getgid", "getegid",
	"uname", "sysinfo", "getrlimit", "prlimit64", "getrusage",
	"restart_syscall", "exit", "exit_group",
};

/* Refused with EPERM rather than ENOSYS: what a lock-down is for. */
static const char *const refused[] = {
	"execve", "execveat", "ptrace", "process_vm_readv",
	"process_vm_writev", "mount", "umount2", "pivot_root", "chroot",
	"unshare", "setns", "listen", "accept", "accept4", "bind",
	"init_module", "finit_module", "delete_module", "kexec_load",
	"bpf", "perf_event_open", "personality", "setuid", "setgid",
	"setreuid", "setregid", "setresuid", "setresgid", "setgroups",
	"capset",
};

static const int families[] = { AF_UNIX, AF_INET, AF_INET6, AF_NETLINK };

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
		r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
				     SCMP_ACT_KILL);
	what = "seccomp_rule_add";
	for (i = 0; !r && i < sizeof(allowed) / sizeof(*allowed); i++)
		r = add(ctx, SCMP_ACT_ALLOW, allowed[i], 0, NULL);
	for (i = 0; !r && i < sizeof(refused) / sizeof(*refused); i++) {
#ifdef XB_ASAN
		/* LeakSanitizer stops the threads with ptrace at exit */
		if (!strcmp(refused[i], "ptrace"))
			r = add(ctx, SCMP_ACT_ALLOW, refused[i], 0, NULL);
		else
#endif
		r = add(ctx, deny, refused[i], 0, NULL);
	}
	for (i = 0; !r && i < sizeof(families) / sizeof(*families); i++) {
		struct scmp_arg_cmp a = SCMP_A0(SCMP_CMP_EQ, families[i]);

		r = add(ctx, SCMP_ACT_ALLOW, "socket", 1, &a);
	}
	for (i = 0; !r && i < sizeof(prot_ok) / sizeof(*prot_ok); i++) {
		struct scmp_arg_cmp a = SCMP_A2(SCMP_CMP_MASKED_EQ, wx,
						prot_ok[i]);

		r = add(ctx, SCMP_ACT_ALLOW, "mmap", 1, &a);
		if (!r)
			r = add(ctx, SCMP_ACT_ALLOW, "mprotect", 1, &a);
	}
	if (!r) {
		struct scmp_arg_cmp a = SCMP_A2(SCMP_CMP_MASKED_EQ, wx, wx);

		r = add(ctx, deny, "mmap", 1, &a);
		if (!r)
			r = add(ctx, deny, "mprotect", 1, &a);
	}
	if (!r) {
		/* prctl: only what glibc and libcurl ask (thread names) */
		struct scmp_arg_cmp a = SCMP_A0(SCMP_CMP_EQ, PR_SET_NAME);

		r = add(ctx, SCMP_ACT_ALLOW, "prctl", 1, &a);
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

	return (skip && !strcmp(skip, "1")) || (hook && *hook);
}

/* execve after the lock-down: the test expects "Operation not permitted" */
static void test_exec(void)
{
	const char *want = getenv(XB_LOCKDOWN_TEST_EXEC_ENV);
	char arg0[] = "true";
	char *const argv[] = { arg0, NULL };
	char *const envp[] = { NULL };

	if (!want || strcmp(want, "1"))
		return;
	execve("/bin/true", argv, envp);
	fprintf(stderr, "xenbake: test hook: execve after lock-down: %s (errno %d)\n",
		strerror(errno), errno);
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
