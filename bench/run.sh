#!/usr/bin/env bash
# Benchmark: whole `cipolicy` processes (release build) against standard tools doing comparable
# work on the same input, interleaved in the same run so that machine load hits both sides alike.
# Prints one table: median wall time of each side, the ratio cipolicy / baseline (median, and
# best-of-N), and the peak RSS of each side. Not run by the tests or by .ci/run.
#
#   bench/run.sh                     everything
#   BENCH_ONLY=compile bench/run.sh  one row: compile, decompile, scan, sign or verify
#
# Environment:
#   CIPOLICY_CORPUS   the shared corpus (default ../shared/corpus): largest XML and binary
#   BENCH_RUNS        repetitions of the short tasks (default 15)
#   BENCH_SCAN_RUNS   repetitions of the scan task (default 3)
#   BENCH_TREE        folder of the generated PE tree (default $TMPDIR/cipolicy-bench-tree; kept)
#   BENCH_FILES, BENCH_MB   size of that tree when it is generated (default 1000 files, 260 MB)
#
# Baselines:
#   compile    xmllint --noout on the same XML: parsing alone, the least any compiler must do
#   decompile  xmllint --noout on the XML the decompile wrote: reading a document of the output's
#              size is the nearest standard work (no tool decodes the binary; `cat` would measure
#              only I/O)
#   scan       sha1sum + sha256sum over the same tree (scan computes SHA-1 and SHA-256
#              Authenticode and page hashes; it is multi-threaded, the baselines are not)
#   sign       openssl cms -sign -binary -nodetach -md sha256 of the compiled largest policy
#   verify     openssl cms -verify of openssl's own signature, against the same root
# The test PKI (RSA 2048 root and signer) is generated in a temporary folder at every run.
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."
ROOT=$PWD
CORPUS=${CIPOLICY_CORPUS:-$ROOT/../shared/corpus}
RUNS=${BENCH_RUNS:-15}
SCAN_RUNS=${BENCH_SCAN_RUNS:-3}
TREE=${BENCH_TREE:-${TMPDIR:-/tmp}/cipolicy-bench-tree}
FILES=${BENCH_FILES:-1000}
MB=${BENCH_MB:-260}
ONLY=${BENCH_ONLY:-}

for tool in xmllint openssl sha1sum sha256sum /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is not installed" >&2; exit 2; }
done

cargo build --release --quiet --bin cipolicy --example gen_pe_tree
BIN=$ROOT/target/release/cipolicy
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

largest() { # the largest file under $CORPUS matching the find(1) predicates given
  find "$CORPUS" -type f \( "$@" \) -printf '%s\t%p\n' | sort -n | tail -1 | cut -f2
}

# One timed run: wall microseconds on stdout, peak RSS (KB) appended to file $1. The clock is
# bash's own $EPOCHREALTIME, so that no extra process is started inside the measured interval;
# /usr/bin/time (for the RSS) adds one exec to both sides alike.
timed() {
  local rssfile=$1; shift
  local t0 t1
  t0=${EPOCHREALTIME/./}
  /usr/bin/time -f %M -o "$WORK/rss" "$@" >/dev/null 2>"$WORK/err" || {
    echo "bench: failed: $*" >&2; cat "$WORK/err" >&2; exit 1;
  }
  t1=${EPOCHREALTIME/./}
  tail -1 "$WORK/rss" >>"$rssfile"
  echo $((t1 - t0))
}

median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
minimum() { sort -n | head -1; }
maximum() { sort -n | tail -1; }

ROWS=()
# row LABEL RUNS -- CIPOLICY-COMMAND... -- BASELINE-COMMAND...
row() {
  local label=$1 n=$2; shift 3
  local a=() b=()
  while [ "$1" != "--" ]; do a+=("$1"); shift; done
  shift
  b=("$@")
  : >"$WORK/a.t"; : >"$WORK/b.t"; : >"$WORK/a.m"; : >"$WORK/b.m"
  timed "$WORK/a.m" "${a[@]}" >/dev/null   # warm-up (page cache, lazy tables), not counted
  timed "$WORK/b.m" "${b[@]}" >/dev/null
  : >"$WORK/a.m"; : >"$WORK/b.m"
  for _ in $(seq "$n"); do
    timed "$WORK/a.m" "${a[@]}" >>"$WORK/a.t"
    timed "$WORK/b.m" "${b[@]}" >>"$WORK/b.t"
  done
  local am bm amin bmin arss brss
  am=$(median <"$WORK/a.t"); bm=$(median <"$WORK/b.t")
  amin=$(minimum <"$WORK/a.t"); bmin=$(minimum <"$WORK/b.t")
  arss=$(maximum <"$WORK/a.m"); brss=$(maximum <"$WORK/b.m")
  ROWS+=("$(awk -v l="$label" -v am="$am" -v bm="$bm" -v amin="$amin" -v bmin="$bmin" \
    -v ar="$arss" -v br="$brss" -v n="$n" 'BEGIN {
      printf "| %-9s | %4d | %10.3f | %10.3f | %5.2fx | %5.2fx | %7.1f | %7.1f |", l, n, am / 1e6, bm / 1e6, am / bm, amin / bmin, ar / 1024, br / 1024 }')")
  echo "bench: $label done" >&2
}

want() { [ -z "$ONLY" ] || [ "$ONLY" = "$1" ]; }

if [ "$ONLY" != scan ]; then
  [ -d "$CORPUS" ] || { echo "bench: no corpus at $CORPUS (set CIPOLICY_CORPUS)" >&2; exit 2; }
  XML=$(largest -name '*.xml')
  CIP=$(largest -name '*.cip' -o -name '*.p7b')
  echo "bench: largest XML $(basename "$XML") ($(stat -c %s "$XML") bytes)" >&2
  echo "bench: largest binary $(basename "$CIP") ($(stat -c %s "$CIP") bytes)" >&2
fi

if want compile; then
  row compile "$RUNS" -- "$BIN" compile "$XML" -o "$WORK/compiled.cip" -- xmllint --noout "$XML"
fi

if want decompile; then
  "$BIN" decompile "$CIP" -o "$WORK/decompiled.xml"
  row decompile "$RUNS" -- "$BIN" decompile "$CIP" -o "$WORK/decompiled.xml" -- xmllint --noout "$WORK/decompiled.xml"
fi

if want sign || want verify; then
  P=$WORK/pki
  mkdir -p "$P"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$P/root.key" -out "$P/root.pem" -days 2 \
    -subj "/CN=cipolicy bench root" -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -keyout "$P/signer.key" -out "$P/signer.csr" \
    -subj "/CN=cipolicy bench signer" 2>/dev/null
  printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=codeSigning\n' >"$P/ext"
  openssl x509 -req -in "$P/signer.csr" -CA "$P/root.pem" -CAkey "$P/root.key" -CAcreateserial \
    -out "$P/signer.pem" -days 2 -extfile "$P/ext" 2>/dev/null
  POLICY=$WORK/policy.cip
  "$BIN" compile "$XML" -o "$POLICY" >/dev/null
  # --force: the corpus policy has no UpdatePolicySigners naming this test signer.
  SIGN=("$BIN" sign "$POLICY" --cert "$P/signer.pem" --key "$P/signer.key" --chain "$P/root.pem" --force -o "$WORK/c.p7b")
  OSIGN=(openssl cms -sign -binary -nodetach -md sha256 -outform DER -in "$POLICY" -signer "$P/signer.pem"
    -inkey "$P/signer.key" -certfile "$P/root.pem" -out "$WORK/o.p7b")
  if want sign; then
    row sign "$RUNS" -- "${SIGN[@]}" -- "${OSIGN[@]}"
  fi
  if want verify; then
    "${SIGN[@]}" >/dev/null 2>&1
    "${OSIGN[@]}"
    row verify "$RUNS" -- "$BIN" verify "$WORK/c.p7b" --trust "$P/root.pem" -- \
      openssl cms -verify -binary -inform DER -in "$WORK/o.p7b" -CAfile "$P/root.pem" -purpose any -out "$WORK/o.out"
  fi
fi

if want scan; then
  if [ ! -d "$TREE" ]; then
    "$ROOT/target/release/examples/gen_pe_tree" "$TREE" "$FILES" "$MB" >&2
  fi
  echo "bench: tree $(find "$TREE" -type f | wc -l) files, $(du -sm "$TREE" | cut -f1) MB" >&2
  row scan "$SCAN_RUNS" -- "$BIN" scan "$TREE" --level Hash --no-progress -o "$WORK/scan.xml" -- \
    sh -c 'find "$1" -type f -print0 | xargs -0 sha1sum >/dev/null && find "$1" -type f -print0 | xargs -0 sha256sum >/dev/null' sh "$TREE"
fi

echo "cipolicy $("$BIN" --version | awk '{print $2}') ($(git rev-parse --short HEAD 2>/dev/null || echo '?')), $(date -u +%Y-%m-%d), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| task      | runs | cipolicy s | baseline s | ratio (median) | ratio (best) | cipolicy peak RSS MB | baseline peak RSS MB |"
echo "|-----------|-----:|-----------:|-----------:|-------:|-------:|--------:|--------:|"
printf '%s\n' "${ROWS[@]}"
