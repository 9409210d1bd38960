#!/usr/bin/env bash
# Fills fuzz/corpus/<target>/ (git-ignored) with seeds the project makes itself: its own test
# policies and specs, binaries compiled from them, and generated PE images. Third-party files
# (the shared corpus and fixtures) are not copied: pass their folders to `cargo fuzz run` as
# extra, read-only corpus folders (see the README's Fuzzing section).
#
#   fuzz/seeds.sh
set -euo pipefail
cd "$(dirname "$0")/.."
C=fuzz/corpus
mkdir -p "$C"/{cip_decompile,cms_unwrap,xml_read,spec_build,scan_pe,scan_msi,scan_script}
# A debug build: the seeds are small, and it is the build the tests already made.
cargo build --quiet --bin cipolicy --example gen_pe_tree
BIN=target/debug/cipolicy

# XML: every policy in testdata (valid and malformed).
find testdata -name '*.xml' -print0 | while IFS= read -r -d '' f; do
  cp "$f" "$C/xml_read/$(echo "$f" | tr '/' '_')"
done

# Specs: testdata specs and the built-in packs.
find testdata/specs rules -name '*.toml' -print0 | while IFS= read -r -d '' f; do
  cp "$f" "$C/spec_build/$(echo "$f" | tr '/' '_')"
done

# Binaries: every testdata policy that compiles, at format versions 1, 7, 8 and 11.
find testdata -name '*.xml' -print0 | while IFS= read -r -d '' f; do
  for v in 1 7 8 11; do
    out="$C/cip_decompile/$(basename "$f" .xml)-v$v.cip"
    "$BIN" compile --allow-invalid --format-version "$v" "$f" -o "$out" >/dev/null 2>&1 || rm -f "$out"
  done
done
cp "$C"/cip_decompile/*.cip "$C/cms_unwrap/" 2>/dev/null || true

# Signed binaries: the decompile seeds signed with a throw-away key (never committed).
if command -v openssl >/dev/null; then
  tmp=$(mktemp -d)
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/k.pem" -out "$tmp/c.pem" -subj "/CN=Fuzz Seed Signer" \
    -days 30 -addext "extendedKeyUsage=codeSigning" >/dev/null 2>&1
  for f in "$C"/cip_decompile/*-v8.cip; do
    "$BIN" sign "$f" --key "$tmp/k.pem" --cert "$tmp/c.pem" --force -o "$C/cms_unwrap/$(basename "$f" .cip).p7b" \
      >/dev/null 2>&1 || true
  done
  rm -rf "$tmp"
fi

# PE images: small generated ones (the last byte picks the name, so they are used as they are).
target/debug/examples/gen_pe_tree "$C/scan_pe/gen" 24 0 >/dev/null
find "$C/scan_pe/gen" -type f -exec mv {} "$C/scan_pe/" \;
rm -rf "$C/scan_pe/gen"

# Scripts: a few shapes of the signature block.
printf 'Write-Host hi\r\n' >"$C/scan_script/plain.ps1"
printf '\xEF\xBB\xBFWrite-Host hi\n# SIG # Begin signature block\n# MIIB\n# SIG # End signature block\n' \
  >"$C/scan_script/block.ps1"
printf '\xFF\xFEW\x00r\x00\r\x00\n\x00' >"$C/scan_script/utf16.ps1"

for d in "$C"/*/; do echo "$d: $(find "$d" -type f | wc -l) files"; done
