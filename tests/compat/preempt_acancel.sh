#!/bin/sh
# preempt_acancel.sh: asynchronous cancellation of a busy thread acts
# (issue 11).  tests/compat/compare runs tests/compat/preempt_acancel (its
# comment says what it proves) natively and under mnthread at MN_PROCS 1
# and 2.
#
# Exit: compare's: 0 pass, 1 fail, 77 skip (no MN_LIB).
COMPARE_PROCS="1 2" exec "${MN_SRCDIR:-.}/tests/compat/compare" \
	"${MN_BUILDDIR:-.}/tests/compat/preempt_acancel"
