#!/bin/bash
# openmp_oversubscribed.sh: the OpenMP program of openmp.sh with more
# threads than Ps (OMP_NUM_THREADS 4 and 8, MN_PROCS=2) gives native's
# answer.  libgomp's threads spin, then wait in raw futex system calls no
# interposer sees: sysmon's preemption and silent-blocking retake keep the
# other threads running (before them, the team never completed its
# barrier).  Each run is limited to 20 s.
here=$(cd "$(dirname "$0")" && pwd)
export REAL_TIMEOUT=${REAL_TIMEOUT:-20} OMP_THREADS_LIST="4 8"
exec bash "$here/openmp.sh"
