/* lockdown.h - restricted handles: once xenbake has opened what it needs
 * (blobs, state directory and lock, xenstore, XenAPI, the log socket),
 * it loses the right to gain privileges or to run anything else.
 *
 * xb_lockdown() sets PR_SET_NO_NEW_PRIVS, then loads a seccomp filter
 * (libseccomp) that lets through only the system calls a plan, check or
 * apply makes (their list is in lockdown.c, with how it was found).
 * Refused for good, with EPERM: execve/execveat, ptrace and reading or
 * writing another process's memory, mount and the other namespace and
 * module calls, listen/accept/bind (no new listening socket), sockets of
 * another family than AF_UNIX, AF_INET, AF_INET6 and AF_NETLINK (which
 * getaddrinfo uses), memory both writable and executable. Any other call
 * outside the list fails with ENOSYS, as one the kernel lacks, so libc
 * falls back where it can; the filter covers every thread.
 *
 * Built --without-seccomp, it only sets no_new_privs and says so on stderr.
 * Under valgrind (which runs the program's calls as its own) the filter is
 * not loaded; under AddressSanitizer it also lets LeakSanitizer's ptrace of
 * its own threads through. Test builds (-DXB_TEST_HOOKS) skip the filter
 * when XENBAKE_TEST_NO_SECCOMP=1 or when the before-commit hook is set
 * (it runs a shell), and with XENBAKE_TEST_HOOK_EXEC=1 try an execve just
 * after the lock-down and print its errno. */
#ifndef XB_RUNTIME_LOCKDOWN_H
#define XB_RUNTIME_LOCKDOWN_H

#define XB_LOCKDOWN_TEST_SKIP_ENV "XENBAKE_TEST_NO_SECCOMP"
#define XB_LOCKDOWN_TEST_EXEC_ENV "XENBAKE_TEST_HOOK_EXEC"

/* 0, or -1 with *err (malloc'd): the process could not be locked down and
 * should not go on. */
int xb_lockdown(char **err);

#endif
