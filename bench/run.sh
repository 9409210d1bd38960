#!/usr/bin/env bash
# One table of ratios, every row measured in this run against a baseline tool on the same input,
# whole processes, release build, page cache warm. Not run by the tests or by .ci/run.
#
#   bench/run.sh [RUNS]        (default 7; each time is the best of RUNS, RSS the largest)
#
# Rows: compile of the largest corpus XML vs `xmllint --noout` on it; decompile of the largest
# corpus binary vs `xmllint --noout` on the XML it decompiles to (the same policy, parsed);
# sign and verify vs `openssl cms` with a key made here; scan at Hash level vs sha1sum +
# sha256sum (bench/scan.sh, on its generated tree of 2,000 PE files / 520 MB).
# Needs xmllint, openssl, GNU time (/usr/bin/time). CIPOLICY_CORPUS overrides ../shared/corpus.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-7}
CORPUS=${CIPOLICY_CORPUS:-../shared/corpus}
cargo build --release --quiet --bin cipolicy
BIN=$PWD/target/release/cipolicy
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

largest() { find "$CORPUS" "$@" -type f -printf '%s\t%p\n' | sort -n | tail -1 | cut -f2; }
XML=$(largest -name '*.xml')
CIP=$(largest \( -name '*.cip' -o -name '*.bin' \))

# best-of-RUNS wall seconds and largest peak RSS (KB) of a command, as "SECS KB".
measure() {
  local best="" rss=0 t0 t1 kb
  for _ in $(seq "$RUNS"); do
    t0=$(date +%s%N)
    /usr/bin/time -f %M -o "$WORK/rss" "$@" >/dev/null 2>"$WORK/err" || {
      echo "failed: $*" >&2; cat "$WORK/err" >&2; exit 1; }
    t1=$(date +%s%N)
    kb=$(tail -1 "$WORK/rss")
    ((kb > rss)) && rss=$kb
    local secs; secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", (b - a) / 1e9 }')
    if [ -z "$best" ] || awk -v s="$secs" -v b="$best" 'BEGIN { exit !(s < b) }'; then best=$secs; fi
  done
  echo "$best $rss"
}

row() { # label, "secs kb" of cipolicy, "secs kb" of the baseline, baseline label
  read -r s r <<<"$2"; read -r bs br <<<"$3"
  awk -v l="$1" -v s="$s" -v r="$r" -v bs="$bs" -v br="$br" -v bl="$4" 'BEGIN {
    printf "| %-26s | %8.1f ms | %7.1f MB | %-28s | %8.1f ms | %7.1f MB | %5.2fx |\n", l, s*1000, r/1024, bl, bs*1000, br/1024, s/bs }'
}

# Inputs: a decompiled copy of the largest binary; a signing key and certificate; a signed file.
"$BIN" decompile "$CIP" -o "$WORK/decompiled.xml"
"$BIN" compile "$XML" -o "$WORK/policy.cip" --allow-invalid >/dev/null 2>&1
openssl req -x509 -newkey rsa:2048 -nodes -subj "/CN=cipolicy bench signer" -days 30 \
  -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null
"$BIN" sign "$WORK/policy.cip" --cert "$WORK/cert.pem" --key "$WORK/key.pem" --force -o "$WORK/ours.p7b" 2>/dev/null

echo "compile input:   $XML ($(stat -c %s "$XML") bytes)"
echo "decompile input: $CIP ($(stat -c %s "$CIP") bytes)"
echo "$(nproc) cores; best of $RUNS runs; $(date -u +%Y-%m-%d)"
echo
echo "| cipolicy                   |       time |    peak RSS | baseline                     |       time |    peak RSS | ratio |"
echo "|----------------------------|-----------:|------------:|------------------------------|-----------:|------------:|------:|"
row "compile" "$(measure "$BIN" compile "$XML" -o "$WORK/out.cip" --allow-invalid)" \
  "$(measure xmllint --noout "$XML")" "xmllint --noout (same XML)"
row "decompile" "$(measure "$BIN" decompile "$CIP" -o "$WORK/out.xml")" \
  "$(measure xmllint --noout "$WORK/decompiled.xml")" "xmllint --noout (its XML)"
row "sign" "$(measure "$BIN" sign "$WORK/policy.cip" --cert "$WORK/cert.pem" --key "$WORK/key.pem" --force -o "$WORK/s.p7b")" \
  "$(measure openssl cms -sign -binary -nodetach -outform DER -econtent_type 1.3.6.1.4.1.311.79.1 \
    -signer "$WORK/cert.pem" -inkey "$WORK/key.pem" -in "$WORK/policy.cip" -out "$WORK/o.p7b")" "openssl cms -sign"
row "verify" "$(measure "$BIN" verify "$WORK/ours.p7b" --trust "$WORK/cert.pem")" \
  "$(measure openssl cms -verify -inform DER -binary -purpose any -CAfile "$WORK/cert.pem" \
    -in "$WORK/ours.p7b" -out "$WORK/content")" "openssl cms -verify"
echo
echo "scan (bench/scan.sh):"
bench/scan.sh
