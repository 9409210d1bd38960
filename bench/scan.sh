#!/usr/bin/env bash
# The scan row of bench/run.sh alone: `cipolicy scan --level Hash` against `sha1sum` + `sha256sum`
# over the same generated tree. Not run by the tests.
#
#   bench/scan.sh [DIR] [FILES] [TOTAL_MB]      (defaults: a temp dir, 1000 files, 260 MB)
set -euo pipefail
export BENCH_ONLY=scan
[ $# -ge 1 ] && export BENCH_TREE=$1
[ $# -ge 2 ] && export BENCH_FILES=$2
[ $# -ge 3 ] && export BENCH_MB=$3
exec "$(dirname "$0")/run.sh"
