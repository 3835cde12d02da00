/* SPDX-License-Identifier: MIT */
/* lockdown.h - restricted handles: once xenbake has opened what it needs
 * (blobs, state directory and lock, xenstore, XenAPI, the log socket),
 * it loses the right to gain privileges or to run anything else.
 *
 * xb_lockdown() sets PR_SET_NO_NEW_PRIVS, then loads a seccomp filter
 * (libseccomp) that lets through only the system calls a plan, check,
 * status or apply makes (the list is in lockdown.c, with how it was
 * found), on every thread. Refused with EPERM: execve/execveat and fork, ptrace and another
 * process's memory, mount and namespaces, modules, listen/accept/bind (no
 * new listening socket), changing identity, owners, modes or links, and
 * memory both writable and executable. Sockets only of the unix and
 * internet families, threads only (clone without namespace flags), ioctl
 * only the few terminal and socket queries libc makes. Any other call
 * fails with ENOSYS, as one the kernel lacks, so libc falls back where it
 * can (clone3 to clone); a call from another ABI kills the process.
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
