/* SPDX-License-Identifier: MIT */
/* check-main.h - what a unit test file gives the shared main()
 * (check-main.c): its suite. */
#ifndef XENBAKE_CHECK_MAIN_H
#define XENBAKE_CHECK_MAIN_H

#include <check.h>

Suite *test_suite(void);

#endif
