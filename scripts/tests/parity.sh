#!/usr/bin/env bash
# scripts/tests/parity.sh: grep parity of ufsearch against scripts/parity.py, which computes the exact
# truth without the engine (PyICU). Two runs:
#   1. the benchmark corpus S (make-corpus --docs $PARITY_DOCS, default 2000, kept in bench-work/), with
#      ../shared/bench/queries.txt plus $PARITY_SAMPLE (default 500) sampled Han queries and variants;
#   2. the repo's corpus/ (real regulations: CRLF and bare CR line ends, line breaks inside sentences),
#      with the same query file plus 300 sampled queries;
#   3. a hand-made corpus of corner cases (scripts/parity.py --write-edge-corpus) with its own queries.
# Knobs: UFSEARCH_BIN (default .build/debug/ufsearch, built when missing), PARITY_DOCS, PARITY_SAMPLE,
# UFSEARCH_SHARED (default ../shared). Without the shared bench kit, run 1 is skipped.
# A Python venv with PyICU is made once in .venv-test/ (PyICU builds against the system's libicu-dev).
set -euo pipefail
cd "$(dirname "$0")/../.."

bin=${UFSEARCH_BIN:-.build/debug/ufsearch}
shared=${UFSEARCH_SHARED:-../shared}
docs=${PARITY_DOCS:-2000}
sample=${PARITY_SAMPLE:-500}
venv=.venv-test
start=$SECONDS

if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import icu' 2>/dev/null; then
    echo "parity: setting up $venv (PyICU)" >&2
    command -v pkg-config >/dev/null 2>&1 || source scripts/bootstrap
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check -r scripts/requirements-test.txt
fi
py=$venv/bin/python

if [ ! -x "$bin" ]; then
    source scripts/bootstrap
    swift build --product ufsearch
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0

queries=()
[ -f "$shared/bench/queries.txt" ] && queries=(--queries "$shared/bench/queries.txt")

if [ -x "$shared/bench/make-corpus" ] || [ -f "$shared/bench/make-corpus" ]; then
    if [ "$docs" = 2000 ]; then corpus=bench-work/corpus-S; else corpus=bench-work/corpus-$docs; fi
    n=0
    [ -d "$corpus" ] && n=$(find "$corpus" -name '*.txt' -type f | wc -l)
    if [ "$n" -ne "$docs" ]; then
        t=$SECONDS
        rm -rf "$corpus" "$corpus.tmp"
        mkdir -p bench-work
        python3 "$shared/bench/make-corpus" --docs "$docs" --out "$corpus.tmp" >&2
        mv "$corpus.tmp" "$corpus"
        echo "parity: made $corpus in $((SECONDS - t))s" >&2
    fi
    t=$SECONDS
    "$bin" index --index "$tmp/s" "$corpus" >/dev/null
    echo "parity: indexed $corpus in $((SECONDS - t))s" >&2
    "$py" scripts/parity.py "$corpus" --index "$tmp/s" --bin "$bin" --sample "$sample" ${queries[@]+"${queries[@]}"} || status=1
else
    echo "parity: no $shared/bench/make-corpus; corpus S skipped" >&2
fi

echo
t=$SECONDS
"$bin" index --index "$tmp/c" corpus >/dev/null
echo "parity: indexed corpus in $((SECONDS - t))s" >&2
"$py" scripts/parity.py corpus --index "$tmp/c" --bin "$bin" --sample 300 --no-whole-string-check \
    ${queries[@]+"${queries[@]}"} || status=1

echo
# 3. hand-made corner cases (whitespace kinds, ignorable characters, compatibility and astral Han, 々 〇).
"$py" scripts/parity.py --write-edge-corpus "$tmp/edge"
"$bin" index --index "$tmp/e" "$tmp/edge/corpus" >/dev/null
"$py" scripts/parity.py "$tmp/edge/corpus" --index "$tmp/e" --bin "$bin" --queries "$tmp/edge/queries.txt" \
    --sample 100 --compat 20 || status=1

echo "parity: done in $((SECONDS - start))s" >&2
exit $status
