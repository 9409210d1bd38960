#!/usr/bin/env bash
# Benchmark: `cipolicy scan --level Hash` against `sha1sum` + `sha256sum` over the same files, in the
# same run, page cache warm for both. Not run by the tests.
#
#   bench/scan.sh [DIR] [FILES] [TOTAL_MB]      (defaults: a temp dir, 2000 files, 520 MB)
#
# Prints wall time and peak RSS (/usr/bin/time -v) of each, and the ratio scan / baseline.
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${1:-${TMPDIR:-/tmp}/cipolicy-bench-tree}
FILES=${2:-2000}
MB=${3:-520}
cargo build --release --quiet --bin cipolicy --example gen_pe_tree
BIN=target/release/cipolicy
if [ ! -d "$DIR" ]; then
  target/release/examples/gen_pe_tree "$DIR" "$FILES" "$MB"
fi
echo "tree: $(find "$DIR" -type f | wc -l) files, $(du -sm "$DIR" | cut -f1) MB; $(nproc) cores"
find "$DIR" -type f -print0 | xargs -0 cat >/dev/null   # warm the page cache for both sides

measure() { # label, command...
  local label=$1; shift
  local log; log=$(mktemp)
  /usr/bin/time -v "$@" 2>"$log" >/dev/null
  local wall rss
  wall=$(grep 'Elapsed (wall clock)' "$log" | awk '{print $NF}')
  rss=$(grep 'Maximum resident set size' "$log" | awk '{print $NF}')
  rm -f "$log"
  local secs
  secs=$(echo "$wall" | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
  printf '%-34s %8.2f s   peak RSS %6d KB\n' "$label" "$secs" "$rss" >&2
  echo "$secs"
}

base1=$(measure "baseline sha1sum" sh -c "find '$DIR' -type f -print0 | xargs -0 sha1sum")
base2=$(measure "baseline sha256sum" sh -c "find '$DIR' -type f -print0 | xargs -0 sha256sum")
out=$(mktemp --suffix .xml)
scan=$(measure "cipolicy scan --level Hash" "$BIN" scan "$DIR" --level Hash --no-progress -o "$out")
rules=$(grep -c '<Allow ' "$out" || true)
rm -f "$out"
awk -v s="$scan" -v a="$base1" -v b="$base2" -v r="$rules" 'BEGIN {
  printf "baseline (sha1sum + sha256sum): %.2f s; scan: %.2f s (%d Allow rules); ratio scan/baseline: %.2fx\n", a + b, s, r, s / (a + b)
}'
