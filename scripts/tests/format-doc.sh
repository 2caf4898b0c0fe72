#!/usr/bin/env bash
# docs/FORMAT.md must carry the byte grammars exactly as the source files state them.
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! scripts/format-doc --check; then
    echo "docs/FORMAT.md is out of date with the grammars in Sources/UFIndex: run scripts/format-doc" >&2
    exit 1
fi
