#!/usr/bin/env bash
# Runs one fuzz target for SECONDS (default 600) on one core: its seeds in fuzz/corpus/TARGET (made by
# fuzz/seeds.sh; new inputs are added there, git-ignored) plus the shared corpus and fixtures read in
# place (libFuzzer only writes to the first folder). A crash, an input over 20 s or over 2 GB of memory
# stops the run and is kept in fuzz/artifacts/TARGET/.
#
#   fuzz/run.sh TARGET [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: fuzz/run.sh TARGET [SECONDS]}
secs=${2:-600}
corpus=${CIPOLICY_CORPUS:-../shared/corpus}
fixtures=${CIPOLICY_FIXTURES:-../shared/fixtures}
extra=()
case "$target" in
  cip_decompile | cms_unwrap) extra=("$corpus/binaries" "$corpus/signed" "$corpus/pairs") ;;
  xml_read) extra=("$corpus/xml" "$corpus/pairs" "$corpus/near-pairs") ;;
  scan_pe | scan_msi | scan_script) extra=("$fixtures/out") ;;
esac
present=()
for d in "${extra[@]}"; do [ -d "$d" ] && present+=("$d"); done
mkdir -p "fuzz/corpus/$target" "fuzz/artifacts/$target"
cargo +nightly fuzz build -O "$target"
# The binary itself rather than `cargo fuzz run`, which after a crash rebuilds the crate to print
# the input (minutes on a small machine).
exec "fuzz/target/$(rustc -vV | sed -n 's/^host: //p')/release/$target" \
  -artifact_prefix="fuzz/artifacts/$target/" -max_total_time="$secs" -timeout=20 -rss_limit_mb=2048 \
  -print_final_stats=1 "fuzz/corpus/$target" "${present[@]}"
