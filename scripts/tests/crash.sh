#!/usr/bin/env bash
# scripts/tests/crash.sh: SIGKILL writers at random moments and check that the index is always
# either exactly as before the write or exactly as after it, and that the next writer carries on.
#
# A base batch of generated documents is indexed; then, at least CRASH_KILLS times (default 50),
# a write (add of new and modified files, index sync with files changed/created/deleted on disk,
# rm, or merge) is started and SIGKILLed after a random delay spread over the time an uninterrupted
# write of that size takes (calibrated first), so kills land in analysis, segment writing, commit
# and merging. After each kill:
#   (a) `ufsearch stats` exits 0, (b) `ufsearch check` exits 0,
#   (c) the set of (path, version) of indexed documents equals the BEFORE set or the AFTER set,
#   (d) each document's version token finds exactly that document, and no stale version is found,
#   (e) `ufsearch show` of a few documents prints exactly the indexed version's bytes.
# At the end an uninterrupted sync must succeed and leave no unreferenced files behind.
#
# Every document's first line is `docmark dNNN vK ...`, so `query --all docmark` lists them all
# (the title carries the version), and its body holds the token dNNNvK.
#
# Environment: UFSEARCH_BIN (default .build/debug/ufsearch), CRASH_SEED, CRASH_KILLS (50),
# CRASH_BUDGET (seconds, 300), CRASH_KEEP=1 keeps the work directory (a damaged index is always
# copied next to it, as <workdir>-bad-<iteration>). Prints one summary line; exits 1 on any bad outcome.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${UFSEARCH_BIN:-.build/debug/ufsearch}
case "$BIN" in /*) ;; *) BIN="$PWD/$BIN" ;; esac
if [ ! -x "$BIN" ]; then
    echo "crash test: no binary at $BIN (swift build --product ufsearch)" >&2
    exit 2
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/ufsearch-crash.XXXXXX")
cleanup() { if [ "${CRASH_KEEP:-0}" != 1 ]; then rm -rf "$work"; else echo "crash test: kept $work" >&2; fi; }
trap cleanup EXIT

POOL_DIR="$PWD/../shared/bench/pool" python3 - "$BIN" "$work" <<'PY'
import hashlib, json, lzma, os, random, re, signal, struct, subprocess, sys, time

BIN, WORK = sys.argv[1], sys.argv[2]
SEED = int(os.environ.get("CRASH_SEED") or random.SystemRandom().randrange(1 << 32))
KILLS = int(os.environ.get("CRASH_KILLS") or 50)
BUDGET = float(os.environ.get("CRASH_BUDGET") or 300)  # seconds; a safety net: past it, stop and fail
rng = random.Random(SEED)
os.chdir(WORK)
os.makedirs("corpus")
os.makedirs("versions")
ENV = dict(os.environ)
ENV.pop("UFSEARCH_INDEX", None)
IDX = ["--index", "idx"]

# ---- text ---------------------------------------------------------------------------------------
sentences = []
pool = os.environ.get("POOL_DIR", "")
for name in ("policy.txt.xz", "general-cn.txt.xz"):
    try:
        with lzma.open(os.path.join(pool, name), "rt", encoding="utf-8") as f:
            for i, line in enumerate(f):
                line = line.strip()
                if 8 <= len(line) <= 300:
                    sentences.append(line)
                if i > 6000:
                    break
    except OSError:
        pass
if len(sentences) < 200:  # no pool: synthetic sentences
    chars = "国家数据安全管理条例规定个人信息保护统一战线宗教民族团结工作会议精神推进乡村振兴发展改革委员会公共资源授权运营实施办法"
    r2 = random.Random(7)
    sentences = ["".join(r2.choice(chars) for _ in range(r2.randrange(10, 60))) + "。" for _ in range(2000)]
# Keep generated tokens unique: the pool must not contain our marker tokens.
sentences = [s for s in sentences if "docmark" not in s.lower()]

def make_text(doc, ver, size):
    parts = [f"docmark d{doc:03d} v{ver} 关于第{doc}号文件的第{ver}版\n"]
    n = len(parts[0].encode())
    i = 0
    while n < size:
        s = rng.choice(sentences)
        if i % 7 == 3:
            s += f" d{doc:03d}v{ver} "
        parts.append(s + "\n")
        n += len(parts[-1].encode())
        i += 1
    parts.append(f"校验 d{doc:03d}v{ver} 结束\n")
    return "".join(parts).encode()

disk = {}       # path -> version of the file on disk
versions = {}   # doc number -> highest version written
def path_of(doc): return f"corpus/d{doc:03d}.txt"
def write_doc(doc, size=None):
    ver = versions.get(doc, 0) + 1
    versions[doc] = ver
    data = make_text(doc, ver, size or rng.randrange(2_000, 40_000))
    with open(path_of(doc), "wb") as f:
        f.write(data)
    with open(f"versions/d{doc:03d}.v{ver}", "wb") as f:
        f.write(data)
    disk[path_of(doc)] = ver
next_doc = 0
def new_doc(size=None):
    global next_doc
    d = next_doc
    next_doc += 1
    write_doc(d, size)
    return path_of(d)

# ---- running the binary ---------------------------------------------------------------------
def run(args, stdin=None):
    p = subprocess.run([BIN] + args, input=stdin, capture_output=True, env=ENV, timeout=120)
    return p.returncode, p.stdout, p.stderr

def state():
    """(path -> version) of the indexed documents, or a string saying what is inconsistent.

    `query --files --all docmark` lists the documents; one `query --files -` over the version
    token of every version ever written (dNNNvK, in the body) tells each one's version: exactly
    one token must find each listed document, and no token may find anything else."""
    rc, out, err = run(["query", "--files", "--all"] + IDX + ["docmark"])
    if rc not in (0, 1) or (rc == 1 and out):
        return f"query docmark exited {rc}: {err.decode(errors='replace').strip()}"
    listed = out.decode().splitlines()
    if len(set(listed)) != len(listed):
        return f"query docmark lists a path twice: {listed}"
    queries = [f"d{doc:03d}v{v}" for doc, top in versions.items() for v in range(1, top + 1)]
    rc, out, err = run(["query", "--files"] + IDX + ["-"], ("\n".join(queries) + "\n").encode())
    if rc not in (0, 1):
        return f"query - exited {rc}: {err.decode(errors='replace').strip()}"
    st = {}
    for line in out.decode().splitlines():
        o = json.loads(line)
        if "error" in o:
            return f"query {o['query']}: {o['error']}"
        if "path" not in o:
            continue
        doc, ver = (int(x) for x in re.fullmatch(r"d(\d+)v(\d+)", o["query"]).groups())
        if o["path"] != path_of(doc):
            return f"token {o['query']} found {o['path']}"
        if o["path"] in st:
            return f"{o['path']} holds versions {st[o['path']]} and {ver} at once"
        if o["path"] not in listed:
            return f"token {o['query']} found {o['path']}, which query docmark does not list"
        st[o["path"]] = ver
    missing = [p for p in listed if p not in st]
    if missing:
        return f"no version token finds {missing[:5]}"
    return st

def verify(st, sample=2):
    """`show` prints exactly the indexed version of a few documents; returns the problems."""
    problems = []
    for path in rng.sample(sorted(st), min(sample, len(st))):
        rc, out, err = run(["show"] + IDX + [path])
        doc = int(path[len("corpus/d"):-4])
        with open(f"versions/d{doc:03d}.v{st[path]}", "rb") as f:
            want = f.read()
        if rc != 0 or out != want:
            problems.append(f"show {path} exited {rc}, {len(out)} bytes, expected v{st[path]} ({len(want)} bytes): "
                            + err.decode(errors="replace").strip())
    return problems

def leftovers():
    """Files in idx/ that the current manifest does not account for (after a clean writer run)."""
    names = sorted(os.listdir("idx"))
    gens = sorted(int(n[4:20], 16) for n in names if re.fullmatch(r"gen-[0-9a-f]{16}\.manifest", n))
    if not gens:
        return ["no manifest"]
    with open(f"idx/gen-{gens[-1]:016x}.manifest", "rb") as f:
        body = f.read()[:-24]
    pos = 16  # after generation and nextSegmentId (docs/FORMAT.md, Manifest)
    def varint():
        nonlocal pos
        v = shift = 0
        while True:
            b = body[pos]
            pos += 1
            v |= (b & 0x7F) << shift
            shift += 7
            if b < 0x80:
                return v
    keep = {"LOCK", f"gen-{gens[-1]:016x}.manifest"}
    if len(gens) > 1:
        keep.add(f"gen-{gens[-2]:016x}.manifest")
    for _ in range(varint()):
        sid, _dc, _del, delgen, _tok = struct.unpack_from("<QIIQQ", body, pos)
        pos += 32
        for _ in range(varint()):
            pos += 10
        for ext in ("terms", "post", "pos", "docs", "store"):
            keep.add(f"seg-{sid:016x}.{ext}")
        if delgen:
            keep.add(f"seg-{sid:016x}-{delgen:016x}.del")
    return [n for n in names if n not in keep]

# ---- the writes -----------------------------------------------------------------------------
def plan(kind, before):
    """Prepares files on disk; returns (args, expected AFTER state)."""
    indexed = sorted(before)
    if kind == "add":
        batch = [new_doc() for _ in range(rng.randrange(1, 6))]
        for p in rng.sample(indexed, min(len(indexed), rng.randrange(1, 7))):
            if p in disk:
                write_doc(int(p[len("corpus/d"):-4]))
                batch.append(p)
        # Sometimes a file already indexed in its disk version (unchanged) rides along.
        same = [p for p in indexed if disk.get(p) == before[p] and p not in batch]
        if same and rng.random() < 0.5:
            batch.append(rng.choice(same))
        rng.shuffle(batch)
        after = dict(before)
        for p in batch:
            after[p] = disk[p]
        return ["add"] + IDX + batch, after
    if kind == "index":
        for _ in range(rng.randrange(0, 4)):
            new_doc()
        for p in rng.sample(sorted(disk), min(len(disk), rng.randrange(1, 5))):
            write_doc(int(p[len("corpus/d"):-4]))
        if len(disk) > 30 and rng.random() < 0.7:
            for p in rng.sample(sorted(disk), rng.randrange(1, 3)):
                os.unlink(p)
                del disk[p]
        return ["index"] + IDX + ["corpus"], dict(disk)
    if kind == "rm":
        gone = rng.sample(indexed, min(len(indexed), rng.randrange(1, 4)))
        return ["rm"] + IDX + gone, {p: v for p, v in before.items() if p not in gone}
    return ["merge"] + IDX, dict(before)

def start(args):
    return subprocess.Popen([BIN] + args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=ENV)

def timed(args):
    t0 = time.monotonic()
    p = start(args)
    _, err = p.communicate()
    return time.monotonic() - t0, p.returncode, err

def fail_setup(msg):
    print(f"crash test: setup failed (seed {SEED}): {msg}", file=sys.stderr)
    sys.exit(1)

t_start = time.monotonic()
for _ in range(40):
    new_doc()
dt, rc, err = timed(["index"] + IDX + ["corpus"])
if rc != 0:
    fail_setup(f"base index exited {rc}: {err.decode(errors='replace')}")
st0 = state()
if st0 != disk:
    fail_setup(f"base state differs: {st0}")

# Calibration: uninterrupted writes of each kind, to spread kill delays over their whole run.
calib = {}
for kind in ("add", "index", "rm", "merge"):
    before = state()
    args, after = plan(kind, before)
    dt, rc, err = timed(args)
    got = state()
    if rc != 0 or got != after:
        fail_setup(f"uninterrupted {' '.join(args[:1])} exited {rc} ({err.decode(errors='replace').strip()}), "
                   f"state {'ok' if got == after else 'differs'}")
    calib[kind] = dt

kills = completed = before_n = after_n = same_n = bad = 0
iterations = 0
bad_reports = []
got = None
kinds = ["add"] * 6 + ["index"] * 2 + ["rm"] + ["merge"]
phase_hist = {"delay": 0, "segment": 0, "commit": 0, "renamed": 0}
while kills < KILLS and iterations < KILLS * 3:
    if time.monotonic() - t_start > BUDGET:
        bad_reports.append(f"time budget of {BUDGET:.0f} s used up after {kills} kills")
        bad += 1
        break
    iterations += 1
    before = got if got is not None else state()
    if isinstance(before, str):
        bad += 1
        bad_reports.append(f"iteration {iterations}: cannot read the state: {before}")
        break
    kind = rng.choice(kinds)
    args, after = plan(kind, before)
    full = calib[kind]
    # Where to kill: after a random delay over [0, 1.1 x the uninterrupted time], or as soon as
    # the writer creates its first new segment file (segment writing), its first tombstone/
    # temporary/manifest file (commit), or a new manifest under its final name (just after the
    # commit: garbage collection, merges), watched by polling the directory.
    trigger = rng.choice(["delay", "delay", "commit", "renamed"] if kind == "rm"
                         else ["delay", "delay", "delay", "segment", "commit", "renamed"])
    frac = rng.uniform(0, 1.1)
    delay = frac * full
    old_names = set(os.listdir("idx"))
    p = start(args)
    t0 = time.monotonic()
    if trigger == "delay":
        time.sleep(delay)
    else:
        pat = re.compile({"segment": r"seg-[0-9a-f]{16}\.\w+$",
                          "commit": r"(.*\.tmp-\d+|gen-[0-9a-f]{16}\.manifest|seg-.*\.del)$",
                          "renamed": r"gen-[0-9a-f]{16}\.manifest$"}[trigger])
        extra = rng.choice([0, 0, 0.001, 0.003])
        while p.poll() is None and time.monotonic() - t0 < 5 * full + 1:
            if any(pat.match(n) for n in set(os.listdir("idx")) - old_names):
                if extra:
                    time.sleep(extra)
                break
            time.sleep(0.0005)
    delay = time.monotonic() - t0
    killed = p.poll() is None
    if killed:
        p.send_signal(signal.SIGKILL)
    _, err = p.communicate()
    rc = p.returncode
    if killed and rc == -signal.SIGKILL:
        kills += 1
        phase_hist[trigger] += 1
    else:
        completed += 1
        if rc not in (0, 1):
            bad += 1
            bad_reports.append(f"iteration {iterations}: uninterrupted {' '.join(args[:1])} exited {rc}: "
                               + err.decode(errors="replace").strip())
    problems = []
    rc_s, _, err_s = run(["stats"] + IDX)
    if rc_s != 0:
        problems.append(f"stats exited {rc_s}: {err_s.decode(errors='replace').strip()}")
    rc_c, _, err_c = run(["check"] + IDX)
    if rc_c != 0:
        problems.append(f"check exited {rc_c}: {err_c.decode(errors='replace').strip()}")
    got = state()
    if isinstance(got, str):
        problems.append(got)
        got = None
    if got is not None:
        if not killed:
            if got != after:
                problems.append("the write finished but the index is not in the AFTER state")
        elif got == before and got == after:
            same_n += 1
        elif got == before:
            before_n += 1
        elif got == after:
            after_n += 1
        else:
            diff_b = sorted(set(got.items()) ^ set(before.items()))[:6]
            diff_a = sorted(set(got.items()) ^ set(after.items()))[:6]
            problems.append(f"state is neither BEFORE nor AFTER (vs before: {diff_b}; vs after: {diff_a})")
        problems += verify(got)
    if problems:
        bad += 1
        keep = f"{WORK}-bad-{iterations}"
        subprocess.run(["cp", "-a", "idx", keep])
        bad_reports.append(f"iteration {iterations} ({' '.join(args[:1])}, {len(args) - 3} paths, "
                           f"{'killed after %.0f ms' % (delay * 1000) if killed else 'completed'}): "
                           + "; ".join(problems) + f" (index copied to {keep})")
        if bad >= 3:
            break

# A final uninterrupted sync must succeed, reach the disk state and leave nothing behind.
dt, rc, err = timed(["index"] + IDX + ["corpus"])
final = state()
if rc != 0 or final != disk:
    bad += 1
    bad_reports.append(f"final sync exited {rc} ({err.decode(errors='replace').strip()}); state "
                       + ("ok" if final == disk else "differs from the files"))
else:
    left = leftovers()
    if left:
        bad += 1
        bad_reports.append(f"files left after a clean writer run: {left}")
    rc_c, _, err_c = run(["check"] + IDX)
    if rc_c != 0:
        bad += 1
        bad_reports.append(f"final check exited {rc_c}: {err_c.decode(errors='replace').strip()}")

for r in bad_reports:
    print("crash test: BAD: " + r, file=sys.stderr)
elapsed = time.monotonic() - t_start
cal = ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in calib.items())
print(f"crash test: {kills} kills, {before_n} before-state, {after_n} after-state, {same_n} before=after "
      f"(merge or no-op), {bad} bad; {completed} more writes finished before their kill; kills after a random "
      f"delay/at a new segment file/at a commit file/after the rename {phase_hist['delay']}/{phase_hist['segment']}/"
      f"{phase_hist['commit']}/{phase_hist['renamed']}; calibration {cal}; "
      f"{len(disk)} files; seed {SEED}; {elapsed:.0f} s")
sys.exit(1 if bad or kills < KILLS else 0)
PY
