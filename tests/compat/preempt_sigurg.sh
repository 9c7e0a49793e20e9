#!/bin/sh
# preempt_sigurg.sh: a program's own SIGURG handler, and a thread that blocks
# SIGURG, while two spinners are preempted (issue 11: sysmon's asynchronous
# preemption and silent-blocking retake).
#
# Run by automake as `sh tests/compat/preempt_sigurg.sh` from the build
# directory, with MN_LIB, MN_BUILDDIR and MN_SRCDIR set.  tests/compat/compare
# runs tests/compat/preempt_sigurg (its comment says what it proves) natively
# and under mnthread at MN_PROCS 1, the values (a COMPARE_PROCS from
# the environment is not used): every run's output must match native's.
#
# Exit: compare's: 0 pass, 1 fail, 77 skip (no MN_LIB).
COMPARE_PROCS="1" exec "${MN_SRCDIR:-.}/tests/compat/compare" \
	"${MN_BUILDDIR:-.}/tests/compat/preempt_sigurg"
