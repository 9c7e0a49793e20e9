#!/bin/sh
# preempt_eintr.sh: waits our preemption signal ends with EINTR anyway are
# made again with the time left (issue 11).  tests/compat/compare runs
# tests/compat/preempt_eintr (its comment says what it proves) natively and
# under mnthread at MN_PROCS 1 and 2, with a 1 ms quantum so that requests
# come often.
#
# Exit: compare's: 0 pass, 1 fail, 77 skip (no MN_LIB).
MN_DEBUG=preemptms=1 COMPARE_PROCS="1 2" exec "${MN_SRCDIR:-.}/tests/compat/compare" \
	"${MN_BUILDDIR:-.}/tests/compat/preempt_eintr"
