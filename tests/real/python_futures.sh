#!/bin/bash
# python_futures.sh: CPython's test_concurrent_futures and test_signal pass
# under mnthread wherever they pass natively (same per-test results), the
# way python_threading.sh checks the threading modules.  They cover thread
# and process pools (whose workers crash on purpose with SIGSEGV through
# faulthandler and must die of it), and signal delivery, handlers and
# wake-up fds.  Natively they take about 130 s and 45 s on 2 cores.
# regrtest's --timeout covers a whole module's run (Python 3.11), so the
# limit here is 300 s (PYTEST_TIMEOUT), above test_concurrent_futures' own
# 130 s: at 120 s both runs were cut wherever they were, and the verdict
# depended on how far each got.
here=$(cd "$(dirname "$0")" && pwd)
export PYTEST_TIMEOUT=${PYTEST_TIMEOUT:-300}
exec bash "$here/python_threading.sh" test_concurrent_futures test_signal
