#!/bin/sh
# run.sh TARGET SECONDS [libFuzzer flags...]: build build-fuzz/ if needed,
# seed, and fuzz TARGET for SECONDS on a copy of its corpus in a temp dir.
# Exits non-zero on any crash, leak, timeout or OOM; the reproducer is
# copied to fuzz/crashes/. Set KEEP_CORPUS=1 to merge new inputs back into
# fuzz/corpus/TARGET.
set -eu
[ $# -ge 2 ] || { echo "usage: $0 TARGET SECONDS [libFuzzer flags...]" >&2; exit 2; }
t=$1
secs=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
bd="$root/build-fuzz"

if [ ! -f "$bd/build.ninja" ]; then
    (cd "$root" && CC=clang meson setup build-fuzz -Dfuzzing=true \
        -Db_sanitize=address,undefined -Db_lundef=false \
        -Dc_args=-fsanitize=fuzzer-no-link)
fi
# Others may be mid-edit in the tree: a failed rebuild with an existing
# binary only warns (the old binary is fuzzed).
# flock: several run.sh at once must not run ninja in one dir together.
if ! flock "$bd/.run-sh.lock" ninja -C "$bd" "fuzz/$t" >"${TMPDIR:-/tmp}/ucfuzz-build.$$" 2>&1; then
    if [ -x "$bd/fuzz/$t" ]; then
        echo "run.sh: warning: rebuild failed, fuzzing the existing $bd/fuzz/$t" >&2
    else
        cat "${TMPDIR:-/tmp}/ucfuzz-build.$$" >&2
        rm -f "${TMPDIR:-/tmp}/ucfuzz-build.$$"
        exit 1
    fi
fi
rm -f "${TMPDIR:-/tmp}/ucfuzz-build.$$"
"$here/seed.sh" "$t"

case $t in
    fuzz_zip|fuzz_xlsx) maxlen=1048576 ;;
    *) maxlen=65536 ;;
esac

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ucfuzz.$t.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
mkdir "$tmp/corpus" "$tmp/artifacts"
cp "$here/corpus/$t"/* "$tmp/corpus/" 2>/dev/null || true
# inputs that once crashed run first, as regression tests
for f in "$here/crashes/$t"-*; do
    case $f in *.log) ;; *) [ -f "$f" ] && cp "$f" "$tmp/corpus/" ;; esac
done

rc=0
(cd "$tmp" && ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1} \
    UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1} \
    "$bd/fuzz/$t" -max_total_time="$secs" -max_len="$maxlen" -timeout=20 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$tmp/artifacts/" \
    "$@" "$tmp/corpus") > "$tmp/log" 2>&1 || rc=$?

grep -E '^(stat::|Done |==[0-9]+==ERROR|SUMMARY|artifact_prefix)' "$tmp/log" || true
# the last progress line (the only exec count in -fork mode)
grep -E '^#[0-9]+' "$tmp/log" | tail -n 1 || true
if [ "$rc" -ne 0 ] || [ -n "$(ls "$tmp/artifacts")" ]; then
    mkdir -p "$here/crashes"
    for a in "$tmp"/artifacts/*; do
        [ -f "$a" ] && cp "$a" "$here/crashes/${t}-$(basename "$a")"
    done
    cp "$tmp/log" "$here/crashes/${t}.log"
    echo "run.sh: $t FAILED (rc=$rc); reproducer(s) and log in fuzz/crashes/" >&2
    [ "$rc" -ne 0 ] || rc=1
    exit "$rc"
fi
if [ "${KEEP_CORPUS:-0}" = 1 ]; then
    "$bd/fuzz/$t" -merge=1 "$here/corpus/$t" "$tmp/corpus" >/dev/null 2>&1
fi
echo "run.sh: $t OK"
