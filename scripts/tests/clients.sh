#!/usr/bin/env bash
# scripts/tests/clients.sh: scripts/client.sh and scripts/client.py against a real `ufsearch serve --port 0` over a
# three-document index in a temporary folder. Uses the debug build that scripts/test makes (or $UFSEARCH_BIN).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
command -v swift >/dev/null 2>&1 || export PATH="/opt/swift/usr/bin:$PATH"
bin="${UFSEARCH_BIN:-$(swift build --show-bin-path)/ufsearch}"
[ -x "$bin" ] || { echo "clients.sh: no ufsearch at $bin (swift build first)" >&2; exit 1; }

tmp="$(mktemp -d)"
server=""
cleanup() {
    if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
    rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "clients.sh: FAIL: $*" >&2; exit 1; }

mkdir -p "$tmp/corpus"
printf '统战工作要点\n.开头的一行\n..两个点\n.\n加强统一战线工作。\n' >"$tmp/corpus/a.txt"
printf '統戰工作總結\n統一戰線\n' >"$tmp/corpus/b.txt"
printf '乡村振兴报告\n统一战线 乡村振兴\n' >"$tmp/corpus/c.txt"
"$bin" index --index "$tmp/index" "$tmp/corpus" >/dev/null

"$bin" serve --index "$tmp/index" --port 0 >"$tmp/serve.out" 2>"$tmp/serve.err" &
server=$!
port=""
for _ in $(seq 100); do
    port="$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$tmp/serve.out")"
    [ -n "$port" ] && break
    kill -0 "$server" 2>/dev/null || fail "ufsearch serve exited: $(cat "$tmp/serve.err")"
    sleep 0.1
done
[ -n "$port" ] || fail "ufsearch serve did not print its port"

sh_client="$root/scripts/client.sh"
py_client="$root/scripts/client.py"

# client.sh
[ "$("$sh_client" "$port" PING)" = "OK PONG" ] || fail "client.sh PING"
[ "$("$sh_client" 127.0.0.1 "$port" COUNT 统一战线)" = "OK 3" ] || fail "client.sh COUNT (Traditional included)"
out="$("$sh_client" "$port" QUERY limit=1 乡村振兴)"
[ "$(printf '%s\n' "$out" | head -1)" = "OK 1 1" ] || fail "client.sh QUERY status: $out"
[ "$(printf '%s\n' "$out" | wc -l)" -eq 2 ] || fail "client.sh QUERY lines: $out"
"$sh_client" "$port" GET "$tmp/corpus/a.txt" >"$tmp/get.sh"
# The answer names the document as the index keys it: relative to the folder holding the index.
{ echo "OK corpus/a.txt"; cat "$tmp/corpus/a.txt"; } | cmp -s - "$tmp/get.sh" || fail "client.sh GET (dot-stuffing)"
rc=0; "$sh_client" "$port" NOSUCH >/dev/null || rc=$?
[ "$rc" -eq 1 ] || fail "client.sh ERR exit status $rc"
rc=0; "$sh_client" "$port" QUERY limit=x y >/dev/null || rc=$?
[ "$rc" -eq 1 ] || fail "client.sh BADARG exit status $rc"

# client.py as a command
[ "$(python3 "$py_client" --port "$port" PING)" = "OK PONG" ] || fail "client.py PING"
python3 "$py_client" --port "$port" GET "$tmp/corpus/a.txt" >"$tmp/get.py"
cmp -s "$tmp/get.sh" "$tmp/get.py" || fail "client.py GET differs from client.sh GET"
rc=0; python3 "$py_client" --port "$port" NOSUCH >/dev/null || rc=$?
[ "$rc" -eq 1 ] || fail "client.py ERR exit status $rc"

# client.py as a module
PORT="$port" DOC="$tmp/corpus/a.txt" python3 - "$root/scripts" <<'EOF' || fail "client.py module"
import os, sys
sys.path.insert(0, sys.argv[1])
from client import Client, ServerError
port, doc = int(os.environ["PORT"]), os.environ["DOC"]
with Client("127.0.0.1", port) as c:
    assert c.ping()
    total, hits = c.query("统一战线", limit=2)
    assert total == 3 and len(hits) == 2 and hits[0]["rank"] == 1, (total, hits)
    total, hits = c.query("统一战线", limit=2, offset=2, json=True)
    assert total == 3 and len(hits) == 1 and hits[0]["rank"] == 3 and "matches" in hits[0], (total, hits)
    assert c.count("統戰") == 2
    path, text = c.get(doc)
    assert path == "corpus/a.txt" and text == open(doc, encoding="utf-8").read(), (path, text)
    assert c.stats()["documents"] == "3"
    try:
        c.get("no/such.txt"); raise AssertionError("GET of a missing document succeeded")
    except ServerError as e:
        assert e.code == "NOTFOUND", e
    assert c.quit().status == "OK BYE"
EOF
echo "clients.sh: ok (port $port)"
