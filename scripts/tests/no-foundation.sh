#!/usr/bin/env bash
# No target may import Foundation (FoundationEssentials is fine): Foundation would link CoreFoundation and a
# second ICU with its data into ufsearch (ARCHITECTURE.md, "Rules between targets"). Checks the sources, and
# the libraries the debug binary loads (UFSEARCH_BIN, default .build/debug/ufsearch) when ldd can tell.
set -euo pipefail
cd "$(dirname "$0")/../.."
bad=$(grep -rnE '^\s*(@_exported\s+|@preconcurrency\s+|(public|internal|package|private|fileprivate)\s+)*import\s+(Foundation|FoundationInternationalization|CoreFoundation)\b' \
    Sources --include='*.swift' || true)
if [ -n "$bad" ]; then
    echo "no-foundation: these lines import Foundation (use FoundationEssentials, UFIndex's Lock/Condition/DetachedThread, FixedPoint.text):" >&2
    echo "$bad" >&2
    exit 1
fi
BIN=${UFSEARCH_BIN:-.build/debug/ufsearch}
if [ -x "$BIN" ] && libs=$(ldd "$BIN" 2>/dev/null); then
    if echo "$libs" | grep -E 'lib(Foundation|CoreFoundation|_FoundationICU|FoundationInternationalization)\.so'; then
        echo "no-foundation: $BIN loads Foundation (above); a dependency or a target imports it" >&2
        exit 1
    fi
fi
echo "no-foundation: ok"
