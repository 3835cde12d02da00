/* SPDX-License-Identifier: MIT */
/* check-main.c - the one main() of every unit test. Each test-*.c defines
 * test_suite(); this runs it. One policy for all: each test in a process
 * of its own (Check's default, so a crash fails one test, not the run),
 * output as CK_VERBOSITY asks (normal unless set). CK_FORK=no runs
 * everything in one process, for a debugger; CK_RUN_CASE and
 * CK_RUN_SUITE pick a part: `CK_RUN_CASE=hostile tests/unit/test-xmlrpc`. */
#include <check.h>
#include <stdlib.h>

#include "tests/unit/check-main.h"

int main(void)
{
	SRunner *sr = srunner_create(test_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
