#!/usr/bin/env bash
# scripts/tests/corrupt.sh: damage index files in every way we can think of and check that
# `ufsearch check` names the damaged file, and that nothing ever crashes.
#
# Builds an index of the repository's corpus/ (12 documents) and removes one document (so a
# tombstone file exists). Then, each on a fresh copy of that index:
#   - one byte flipped in each file (current manifest, terms, post, pos, docs, store, del) at the
#     first bytes, random body bytes and every footer field;
#   - one body byte flipped with the CRC recomputed (so only the structure checks can notice);
#   - files truncated (empty, shorter than the footer, one byte short, half), files missing;
#   - the footer version set to 0 and 9 (an "old"/"future" format), a garbage manifest, a
#     garbage manifest of a higher generation, a stray temporary file;
#   - a missing index directory, an empty one, a file in place of the directory.
# Expectations: `ufsearch check` exits 2 with one line on stderr naming the damaged file (for CRC-
# fixed flips, which may leave a valid file, it exits 0 or 2); `query`, `stats`, `show` (and a
# writer, `add`) exit 0, 1 or 2, never die from a signal, never print a Swift fatal error or a
# backtrace, and print exactly one stderr line when they exit 2.
#
# Environment: UFSEARCH_BIN (default .build/debug/ufsearch), CORRUPT_SEED, CORRUPT_FUZZ (CRC-fixed
# flips per file kind, default 7). Prints a summary;
# exits 1 on any failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${UFSEARCH_BIN:-.build/debug/ufsearch}
case "$BIN" in /*) ;; *) BIN="$PWD/$BIN" ;; esac
if [ ! -x "$BIN" ]; then
    echo "corrupt test: no binary at $BIN (swift build --product ufsearch)" >&2
    exit 2
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/ufsearch-corrupt.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp -r corpus "$work/corpus"

python3 - "$BIN" "$work" <<'PY'
import os, random, re, shutil, struct, subprocess, sys, time, zlib

BIN, WORK = sys.argv[1], sys.argv[2]
SEED = int(os.environ.get("CORRUPT_SEED") or random.SystemRandom().randrange(1 << 32))
rng = random.Random(SEED)
FUZZ = int(os.environ.get("CORRUPT_FUZZ") or 7)  # CRC-fixed flips per file kind
os.chdir(WORK)
ENV = dict(os.environ)
ENV.pop("UFSEARCH_INDEX", None)
t_start = time.monotonic()

def run(args, cwd=WORK):
    p = subprocess.run([BIN] + args, capture_output=True, env=ENV, cwd=cwd, timeout=120)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")

def die(msg):
    print(f"corrupt test: setup failed: {msg}", file=sys.stderr)
    sys.exit(1)

# ---- the base index -------------------------------------------------------------------------
rc, out, err = run(["index", "--index", "base", "corpus"])
if rc != 0:
    die(f"index exited {rc}: {err}")
docs = sorted(os.listdir("corpus"))
removed = "corpus/" + docs[0]
rc, out, err = run(["rm", "--index", "base", removed])
if rc != 0:
    die(f"rm exited {rc}: {err}")
rc, out, err = run(["check", "--index", "base"])
if rc != 0:
    die(f"check of the fresh index exited {rc}: {err}")
names = sorted(os.listdir("base"))
gens = sorted(n for n in names if re.fullmatch(r"gen-[0-9a-f]{16}\.manifest", n))
current_manifest = gens[-1]
by_kind = {"manifest": [current_manifest]}
for n in names:
    m = re.fullmatch(r"seg-[0-9a-f]{16}(-[0-9a-f]{16})?\.(\w+)", n)
    if m:
        by_kind.setdefault(m.group(2), []).append(n)
for kind in ("manifest", "terms", "post", "pos", "docs", "store", "del"):
    if kind not in by_kind:
        die(f"no .{kind} file in the index: {names}")
# A live document of the segment that has the tombstones, to `show`.
show_path = "corpus/" + docs[-1]
SEGMENT_KINDS = ["terms", "post", "pos", "docs", "store", "del"]
KIND_CODE = {"manifest": 1, "terms": 2, "post": 3, "pos": 4, "docs": 5, "store": 6, "del": 7}

# ---- running a case -------------------------------------------------------------------------
cases = failures = 0
fail_lines = []
case_no = 0

def fail(case, msg):
    global failures
    failures += 1
    if len(fail_lines) < 40:
        fail_lines.append(f"{case}: {msg}")

def crashed(rc, err):
    return rc < 0 or rc >= 128 or "Fatal error" in err or "Backtrace" in err or "Stack dump" in err \
        or "fatalError" in err or "Illegal instruction" in err

def expect_sane(case, label, rc, out, err):
    """Exit 0, 1 or 2; no signal, no fatal error; exactly one stderr line when it exits 2."""
    if crashed(rc, err):
        fail(case, f"{label} crashed (exit {rc}): {err.strip()[:300]}")
        return
    if rc not in (0, 1, 2):
        fail(case, f"{label} exited {rc}: {err.strip()[:200]}")
    elif rc == 2:
        lines = err.splitlines()
        if len(lines) != 1 or not lines[0].startswith("ufsearch: "):
            fail(case, f"{label} exited 2 with {len(lines)} stderr lines: {err.strip()[:300]}")

def fresh():
    global case_no
    case_no += 1
    d = f"c{case_no}"
    shutil.copytree("base", d)
    return d

def probe(case, d, name=None, check="detect", extra=()):
    """Runs check, query, stats, show (and add) on index d. `check`: "detect" (exit 2 naming
    `name`), "maybe" (0, or 2 naming `name`), "sane" (only no crash), or a regex the one-line
    message must match as well."""
    global cases
    cases += 1
    rc, out, err = run(["check", "--index", d])
    expect_sane(case, "check", rc, out, err)
    if not crashed(rc, err):
        if check in ("detect",) or (isinstance(check, re.Pattern)):
            if rc != 2:
                fail(case, f"check exited {rc}, expected 2: {out.strip()[:200]}")
            elif name and name not in err:
                fail(case, f"check does not name {name}: {err.strip()}")
            elif isinstance(check, re.Pattern) and not check.search(err):
                fail(case, f"check message does not match /{check.pattern}/: {err.strip()}")
        elif check == "maybe":
            # The CRC is valid, so a damaged offset may well be blamed on the file it points
            # into: any file of the index may be named.
            if rc == 2 and not re.search(re.escape(d) + r"/(gen|seg)-[0-9a-f]{16}", err):
                fail(case, f"check names no file of the index: {err.strip()}")
            if rc not in (0, 2):
                fail(case, f"check exited {rc}")
    for label, args in [("query", ["query", "--index", d, "宗教"]),
                        ("query --json", ["query", "--json", "--all", "--index", d, "数据 OR 统战"]),
                        ("stats", ["stats", "--index", d]),
                        ("show", ["show", "--index", d, show_path]),
                        ("show id", ["show", "--index", d, "0"])] + list(extra):
        rc, out, err = run(args)
        expect_sane(case, label, rc, out, err)
    shutil.rmtree(d, ignore_errors=True)

def read(p):
    with open(p, "rb") as f:
        return bytearray(f.read())

def write(p, b):
    with open(p, "wb") as f:
        f.write(b)

def fix_crc(b):
    body = bytes(b[:-24])
    struct.pack_into("<I", b, len(b) - 16, zlib.crc32(body) & 0xFFFFFFFF)

# ---- 1. one byte flipped (CRC left alone: check must notice) --------------------------------
FOOTER_FIELDS = {"bodyLength": 24, "crc": 16, "kind": 12, "version": 10, "reserved": 8, "magic": 4}
for kind in ["manifest"] + SEGMENT_KINDS:
    name = by_kind[kind][0]
    size = os.path.getsize(f"base/{name}")
    body = size - 24
    positions = {("first byte", 0)}
    if body > 1:
        positions.add(("second byte", 1))
    for _ in range(4):
        if body > 0:
            p = rng.randrange(body)
            positions.add((f"body byte {p}", p))
    if body > 0:
        positions.add(("last body byte", body - 1))
    for field, back in FOOTER_FIELDS.items():
        positions.add((f"footer {field}", size - back + rng.randrange(2 if field in ("kind", "version") else 4)))
    for label, pos in sorted(positions, key=lambda x: x[1]):
        d = fresh()
        b = read(f"{d}/{name}")
        b[pos] ^= rng.randrange(1, 256)
        write(f"{d}/{name}", b)
        probe(f"flip {kind} {name} {label}", d, name)

# ---- 2. body byte flipped, CRC recomputed: the structure checks alone ------------------------
for kind in ["manifest"] + SEGMENT_KINDS:
    for name in by_kind[kind][:1]:
        size = os.path.getsize(f"base/{name}")
        for i in range(FUZZ):
            if size <= 24:
                break
            d = fresh()
            b = read(f"{d}/{name}")
            pos = 0 if i == 0 else rng.randrange(size - 24)
            b[pos] ^= (1 << rng.randrange(8)) if i % 2 else rng.randrange(1, 256)
            fix_crc(b)
            write(f"{d}/{name}", b)
            probe(f"flip+crc {kind} {name} byte {pos}", d, name, check="maybe")

# ---- 3. truncated, empty, missing files ------------------------------------------------------
for kind in ["manifest"] + SEGMENT_KINDS:
    name = by_kind[kind][0]
    size = os.path.getsize(f"base/{name}")
    for label, n in [("empty", 0), ("10 bytes", 10), ("one byte short", size - 1), ("half", size // 2),
                     ("footer only", 24)]:
        if n >= size:
            continue
        d = fresh()
        b = read(f"{d}/{name}")
        write(f"{d}/{name}", b[:n] if label != "footer only" else b[-24:])
        probe(f"truncate {kind} {name} to {label}", d, name)
    d = fresh()
    b = read(f"{d}/{name}")
    write(f"{d}/{name}", b + b"\0" * 7)
    probe(f"7 bytes appended to {kind} {name}", d, name)
    if kind != "manifest":
        d = fresh()
        os.unlink(f"{d}/{name}")
        probe(f"missing {kind} {name}", d, name)

# ---- 4. old and future format versions --------------------------------------------------------
for kind in ["manifest"] + SEGMENT_KINDS:
    name = by_kind[kind][0]
    for version in (0, 9):
        d = fresh()
        b = read(f"{d}/{name}")
        struct.pack_into("<H", b, len(b) - 10, version)
        write(f"{d}/{name}", b)
        probe(f"{kind} {name} version {version}", d, name,
              check=re.compile(rf"format version {version}\b|unsupported version"))

# ---- 5. manifests -------------------------------------------------------------------------------
gen_now = int(current_manifest[4:20], 16)
d = fresh()
write(f"{d}/{current_manifest}", bytes(rng.randrange(256) for _ in range(200)))
probe("garbage current manifest", d, current_manifest)
d = fresh()
higher = f"gen-{gen_now + 1:016x}.manifest"
write(f"{d}/{higher}", bytes(rng.randrange(256) for _ in range(100)))
probe("garbage manifest of a higher generation", d, higher)
d = fresh()
b = read(f"{d}/{current_manifest}")
write(f"{d}/{higher}", b)  # a valid manifest under the wrong generation's name
probe("manifest under another generation's name", d, higher)
d = fresh()
b = read(f"{d}/{current_manifest}")
body = b[:-24]
garbage = bytearray(struct.pack("<QQ", gen_now, 1)) + bytearray(rng.randrange(256) for _ in range(60))
g = garbage + bytearray(24)
g[-24:] = b[-24:]
struct.pack_into("<Q", g, len(g) - 24, len(garbage))
fix_crc(g)
write(f"{d}/{current_manifest}", g)
probe("manifest with a garbage body and a valid footer", d, current_manifest, check="maybe")
d = fresh()
write(f"{d}/{current_manifest}.tmp-12345", bytes(rng.randrange(256) for _ in range(100)))
write(f"{d}/gen-{gen_now + 5:016x}.manifest.tmp-999", b"partial")
probe("stray temporary files", d, check="sane",
      extra=[("add", ["add", "--index", d, removed])])
d = fresh()
os.unlink(f"{d}/{current_manifest}")
for n in os.listdir(d):
    if n.endswith(".manifest"):
        os.unlink(f"{d}/{n}")
probe("no manifest at all", d, None, check=re.compile(r"no index"))

# ---- 6. writers on a damaged index ----------------------------------------------------------
for kind in ["manifest", "docs", "del", "terms"]:
    name = by_kind[kind][0]
    d = fresh()
    b = read(f"{d}/{name}")
    b[rng.randrange(len(b) - 24)] ^= 0xFF
    fix_crc(b)
    write(f"{d}/{name}", b)
    probe(f"writer on damaged {kind} {name}", d, name, check="maybe",
          extra=[("add", ["add", "--index", d, removed]), ("rm", ["rm", "--index", d, show_path]),
                 ("merge", ["merge", "--index", d]), ("index", ["index", "--index", d, "corpus"])])

# ---- 7. no index where one is expected -------------------------------------------------------
os.makedirs("empty-dir")
write("a-file", b"not an index")
for label, path in [("missing index directory", "no-such-dir"), ("empty index directory", "empty-dir"),
                    ("a file as the index directory", "a-file")]:
    for args in (["check"], ["stats"], ["query", "宗教"], ["show", show_path]):
        cases += 1
        rc, out, err = run(args + ["--index", path])
        case = f"{label}: {args[0]}"
        expect_sane(case, args[0], rc, out, err)
        if rc != 2:
            fail(case, f"exited {rc}, expected 2")

for line in fail_lines:
    print("corrupt test: FAIL " + line, file=sys.stderr)
if failures > len(fail_lines):
    print(f"corrupt test: ... {failures - len(fail_lines)} more failures", file=sys.stderr)
print(f"corrupt test: {cases} damaged indexes, {failures} failures; files {', '.join(sorted(os.listdir('base')))}; "
      f"seed {SEED}; {time.monotonic() - t_start:.0f} s")
sys.exit(1 if failures else 0)
PY
