#!/usr/bin/env bash
# scripts/tests/server.sh: `ufsearch serve` end to end against the real engine, on 127.0.0.1 only.
#
#  1. Index 30 generated Chinese documents (first line `docmark dNNN ...`; every third one holds 宗教中国化, one
#     across a line break, one in Traditional characters, one has CRLF line ends, one dot-led lines, one a tab
#     and a backslash in its title), start `serve --port 0`, read the port from `listening on 127.0.0.1:PORT`.
#  2. Every command once: QUERY (tsv and json, checked against `ufsearch query --json`; json matches are byte
#     ranges of the query text in the file), COUNT (equals `ufsearch query --count`), GET by path and by id
#     (text and json equal the file), STATS, PING, HELP, QUIT; `QUERY "unbalanced` gives ERR BADQUERY and the
#     connection stays usable.
#  3. Pipelining: 1,000 mixed requests in one write; every response equals the one given alone.
#  4. Commits by other processes while 8 client threads query: `ufsearch add` of 10 files holding `freshmark`,
#     then `ufsearch rm` of 5 old ones. No ERR, no malformed response; within 1.5 s of each commit COUNT and
#     STATS show it; every response matches one index state (the set of paths, counts, generation ->
#     documents), states never go backwards on a connection nor between responses ordered in time.
#  5. Garbage: random bytes, lines of 65536 and 65537 bytes, invalid UTF-8, half-close, clients closing
#     mid-response; then PING on a fresh connection answers OK PONG.
#  6. SIGTERM with an idle client connected: exit status 0 within 3 s.
#
# Environment: UFSEARCH_BIN (default .build/debug/ufsearch), SERVER_TEST_SEED, SERVER_TEST_TIMEOUT (90 s),
# SERVER_TEST_KEEP=1 keeps the work directory. Prints `server test: N checks passed`; exits 1 on any failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${UFSEARCH_BIN:-.build/debug/ufsearch}
case "$BIN" in /*) ;; *) BIN="$PWD/$BIN" ;; esac
if [ ! -x "$BIN" ]; then
    echo "server test: no binary at $BIN (swift build --product ufsearch)" >&2
    exit 2
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/ufsearch-server.XXXXXX")
cleanup() {
    # The Python side writes the server's pid here and removes the file once it has reaped the server.
    if [ -s "$work/server.pid" ]; then kill -KILL "$(cat "$work/server.pid")" 2>/dev/null || true; fi
    if [ "${SERVER_TEST_KEEP:-0}" = 1 ]; then echo "server test: kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

rc=0
timeout -k 5 "${SERVER_TEST_TIMEOUT:-90}" python3 - "$BIN" "$work" <<'PY' || rc=$?
import json, os, random, re, select, signal, socket, struct, subprocess, sys, threading, time

BIN, WORK = sys.argv[1], sys.argv[2]
SEED = int(os.environ.get("SERVER_TEST_SEED") or random.SystemRandom().randrange(1 << 32))
rng = random.Random(SEED)
os.chdir(WORK)
ENV = dict(os.environ)
ENV.pop("UFSEARCH_INDEX", None)
IDX = ["--index", "idx"]
T0 = time.monotonic()
PIDFILE = os.path.join(WORK, "server.pid")

passed = 0
failures = []

def check(ok, what):
    global passed
    if ok:
        passed += 1
    else:
        failures.append(what)
        print(f"server test: FAIL: {what}", file=sys.stderr, flush=True)
    return ok

class Abort(Exception):
    pass

def require(ok, what):
    if not check(ok, what):
        raise Abort(what)

def on_term(signum, frame):  # `timeout` sends SIGTERM (twice: to us, then to our group): unwind, kill the server
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    check(False, f"signal {signum} after {time.monotonic() - T0:.1f} s (global timeout?)")
    raise Abort("signal")
signal.signal(signal.SIGTERM, on_term)

# ---- documents ------------------------------------------------------------------------------------------------
TERM = "宗教中国化"
FILLER = [c for c in "数据安全管理条例规定个人信息保护统一战线民族团结工作会议精神推进乡村振兴发展改革委员会公共资源授权运营实施办法"
          "城乡建设交通运输生态环境财政预算审计监督科学技术教育卫生健康" if c not in TERM + "國"]

def sentence(lo=10, hi=50):
    return "".join(rng.choice(FILLER) for _ in range(rng.randrange(lo, hi))) + "。"

files = {}  # path -> bytes on disk (every path ever indexed; removed ones stay on disk)

def write(path, text):
    data = text.encode()
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    files[path] = data

def make_old(i):
    title = f"docmark d{i:03d} 关于第{i}号文件的通知"
    if i == 11:
        title += "\t含制表符\\反斜杠"
    lines = [title] + [sentence() for _ in range(rng.randrange(4, 30))]
    if i % 3 == 0:
        for _ in range(rng.randrange(1, 4)):
            k = rng.randrange(1, len(lines))
            cut = rng.randrange(0, len(lines[k]))
            lines[k] = lines[k][:cut] + TERM + lines[k][cut:]
    if i == 4:  # across a line break: 宗教中 / 国化
        lines[2] = lines[2][:-1] + "宗教中"
        lines[3] = "国化" + lines[3]
    if i == 5:  # Traditional characters
        lines[2] = lines[2][:5] + "宗教中國化" + lines[2][5:]
    if i == 7:  # dot-stuffing
        lines[2:2] = [".点开头的一行", ".", "..", "...三个点", ""]
    if i == 10:  # a big one, for clients that close mid-response
        lines += [sentence(40, 80) for _ in range(500)]
    if i == 13:
        lines[3:3] = ["", "", "空行之后"]
    text = "\n".join(lines) + ("" if i == 13 else "\n")
    if i == 8:
        text = text.replace("\n", "\r\n")
    return text

OLD = [f"corpus/d{i:03d}.txt" for i in range(30)]
NEW = [f"corpus/n{j:03d}.txt" for j in range(10)]
REMOVED = OLD[20:25]
for i, p in enumerate(OLD):
    write(p, make_old(i))

def run(args, stdin=None, timeout=60):
    p = subprocess.run([BIN] + args, input=stdin, capture_output=True, env=ENV, timeout=timeout)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")

def cli_count(q):
    rc, out, err = run(["query", "--count"] + IDX + ["--", q])
    require(rc in (0, 1) and re.fullmatch(r"\d+\n", out), f"query --count {q!r}: exit {rc}, {out!r} {err!r}")
    return int(out)

def cli_generation():
    rc, out, err = run(["stats"] + IDX)
    m = re.search(r"^generation: (\d+)$", out, re.M)
    require(rc == 0 and m, f"stats: exit {rc}: {err!r}")
    return int(m.group(1))

def norm_match(s):
    return re.sub(r"[\r\n ]", "", s).replace("國", "国")

def split_lines(text):
    if text == "":
        return []
    parts = re.split(r"\r\n|\r|\n", text)
    if parts[-1] == "":
        parts.pop()
    return parts

def tsv_escape(s):
    return s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")

# ---- protocol client ------------------------------------------------------------------------------------------
STATUS_RE = re.compile(r"(OK( [^\r\n]*)?|ERR [A-Z0-9_]+ [^\r\n]*)")

class Malformed(Exception):
    pass

class Conn:
    def __init__(self, timeout=15):
        self.sock = socket.create_connection(("127.0.0.1", PORT), timeout=timeout)
        self.buf = bytearray()
        self.timeout = timeout

    def send(self, data):
        self.sock.sendall(data if isinstance(data, bytes) else data.encode())

    def readline(self):
        """One line without its \\n, or None at end of file."""
        deadline = time.monotonic() + self.timeout
        while True:
            i = self.buf.find(b"\n")
            if i >= 0:
                line = bytes(self.buf[:i])
                del self.buf[:i + 1]
                return line
            if time.monotonic() > deadline:
                raise Malformed(f"no complete line within {self.timeout} s (have {bytes(self.buf[:80])!r})")
            chunk = self.sock.recv(65536)
            if not chunk:
                if self.buf:
                    raise Malformed(f"end of file inside a line: {bytes(self.buf[:80])!r}")
                return None
            self.buf += chunk

    def response(self):
        """(status, data lines unstuffed, raw bytes); raises Malformed on anything off the protocol."""
        raw = bytearray()
        first = self.readline()
        if first is None:
            raise Malformed("end of file instead of a response")
        raw += first + b"\n"
        try:
            status = first.decode()
        except UnicodeDecodeError:
            raise Malformed(f"status line not UTF-8: {first[:80]!r}")
        if "\r" in status or not STATUS_RE.fullmatch(status):
            raise Malformed(f"bad status line {status[:200]!r}")
        data = []
        while True:
            line = self.readline()
            if line is None:
                raise Malformed(f"end of file before the terminator (after {status[:80]!r})")
            raw += line + b"\n"
            if line == b".":
                break
            if status.startswith("ERR"):
                raise Malformed(f"data line after {status[:80]!r}: {line[:80]!r}")
            if b"\r" in line:
                raise Malformed(f"raw CR in data line {line[:80]!r}")
            if line.startswith(b"."):
                if not line.startswith(b".."):
                    raise Malformed(f"data line with a lone leading dot: {line[:80]!r}")
                line = line[1:]
            try:
                data.append(line.decode())
            except UnicodeDecodeError:
                raise Malformed(f"data line not UTF-8: {line[:80]!r}")
        return status, data, bytes(raw)

    def request(self, line):
        self.send(line + "\n")
        return self.response()

    def at_eof(self, wait=5):
        """True when the server closes the connection (end of file) within `wait` seconds, nothing else sent."""
        self.sock.settimeout(wait)
        try:
            if self.buf:
                return False
            return self.sock.recv(1) == b""
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False
        finally:
            self.sock.settimeout(self.timeout)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

def one(line):
    c = Conn()
    try:
        return c.request(line)
    finally:
        c.close()

# ---- server process -------------------------------------------------------------------------------------------
server = None
PORT = None

def start_server():
    global server, PORT
    errf = open("server.err", "wb")
    server = subprocess.Popen([BIN, "serve"] + IDX + ["--port", "0"], stdout=subprocess.PIPE, stderr=errf,
                              stdin=subprocess.DEVNULL, env=ENV)
    with open(PIDFILE + ".tmp", "w") as f:
        f.write(str(server.pid))
    os.replace(PIDFILE + ".tmp", PIDFILE)
    deadline = time.monotonic() + 20
    out = b""
    while b"\n" not in out and time.monotonic() < deadline and server.poll() is None:
        r, _, _ = select.select([server.stdout], [], [], 0.2)
        if r:
            out += os.read(server.stdout.fileno(), 4096)
    m = re.fullmatch(rb"listening on 127\.0\.0\.1:(\d+)\n", out)
    require(m is not None, f"serve printed {out!r} (exit {server.poll()}); expected 'listening on 127.0.0.1:PORT'")
    PORT = int(m.group(1))
    require(0 < PORT < 65536, f"port {PORT}")

def reap_server():
    if server is not None and server.poll() is None:
        server.kill()
        server.wait(10)
    if os.path.exists(PIDFILE):
        os.remove(PIDFILE)

def stderr_text():
    try:
        with open("server.err", "rb") as f:
            return f.read().decode(errors="replace")
    except OSError:
        return ""

# ---- 1-2: every command once ----------------------------------------------------------------------------------
def phase_commands():
    c = Conn()
    # QUERY json, against the CLI and against the files.
    st, data, _ = c.request(f"QUERY limit=100 format=json {TERM}")
    n_term = cli_count(TERM)
    check(n_term >= 12, f"count of {TERM} is {n_term}, expected at least 12 (every third document, d004, d005)")
    check(st == f"OK {n_term} {n_term}", f"QUERY json {TERM}: status {st!r}, expected 'OK {n_term} {n_term}'")
    rc, out, err = run(["query", "--json", "--all"] + IDX + [TERM])
    cli_hits = [json.loads(l) for l in out.splitlines()]
    hits = []
    for line in data:
        try:
            hits.append(json.loads(line))
        except ValueError:
            check(False, f"QUERY json: not JSON: {line[:200]!r}")
    check(len(hits) == len(cli_hits) == n_term, f"QUERY json: {len(hits)} hits, CLI {len(cli_hits)}, count {n_term}")
    fields = ["rank", "id", "path", "title", "score", "snippet", "matches"]
    expected_paths = {p for p, d in files.items() if TERM in norm_match(d.decode())}
    check({h.get("path") for h in hits} == expected_paths,
          f"QUERY json {TERM}: paths {sorted(h.get('path') for h in hits)} != files holding it {sorted(expected_paths)}")
    for k, (h, ch) in enumerate(zip(hits, cli_hits)):
        check(list(h) == fields, f"QUERY json hit {k}: fields {list(h)}, expected {fields}")
        check(h.get("rank") == k + 1, f"QUERY json hit {k}: rank {h.get('rank')}")
        check(isinstance(h.get("id"), int) and isinstance(h.get("score"), float),
              f"QUERY json hit {k}: id/score types {h.get('id')!r} {h.get('score')!r}")
        same = all(h.get(f) == ch.get(f) for f in fields if f != "score") and \
            abs(h.get("score", 0) - ch.get("score", 1e9)) <= 6e-5
        check(same, f"QUERY json hit {k} differs from the CLI's:\n  server {h}\n  cli    {ch}")
        data_bytes = files.get(h.get("path"), b"")
        ms = h.get("matches") or []
        check(len(ms) > 0, f"QUERY json hit {k} ({h.get('path')}): no matches")
        # Adjacent occurrences come as one merged range; every occurrence is covered, ranges are sorted.
        covered, prev_end = 0, -1
        for m in ms:
            ok = isinstance(m, list) and len(m) == 2 and prev_end < m[0] < m[1] <= len(data_bytes)
            text = data_bytes[m[0]:m[1]].decode(errors="replace") if ok else ""
            k_ = len(norm_match(text)) // len(TERM)
            check(ok and k_ >= 1 and norm_match(text) == TERM * k_,
                  f"{h.get('path')}: match {m} covers {text!r}, expected {TERM}")
            covered += k_
            prev_end = m[1] if ok else prev_end
        occurrences = norm_match(data_bytes.decode()).count(TERM)
        check(covered == occurrences, f"{h.get('path')}: matches cover {covered} of {occurrences} occurrences")
    scores = [h.get("score", 0) for h in hits]
    check(scores == sorted(scores, reverse=True), f"QUERY json: scores not descending: {scores}")
    check(any(h.get("path") == OLD[4] for h in hits) and any(h.get("path") == OLD[5] for h in hits),
          "QUERY json: the match across a line break (d004) or in Traditional characters (d005) is missing")

    # QUERY tsv, same hits as json; offset.
    st, data, _ = c.request(f"QUERY limit=100 {TERM}")
    check(st == f"OK {n_term} {n_term}" and len(data) == n_term, f"QUERY tsv: {st!r}, {len(data)} lines")
    for k, (line, h) in enumerate(zip(data, hits)):
        f = line.split("\t")
        want = [str(k + 1), None, tsv_escape(h["path"]), tsv_escape(h["title"]), tsv_escape(h["snippet"])]
        ok = len(f) == 5 and re.fullmatch(r"-?\d+\.\d{4}", f[1]) and abs(float(f[1]) - h["score"]) <= 6e-5 \
            and [f[0]] + f[2:] == [want[0]] + want[2:]
        check(ok, f"QUERY tsv line {k}: {line!r} does not match json hit {h}")
    st, data, _ = c.request("QUERY limit=5 offset=3 docmark")
    rc, out, err = run(["query", "--files", "--all"] + IDX + ["docmark"])
    all_docmark = out.splitlines()
    check(len(all_docmark) == 30, f"query --files --all docmark lists {len(all_docmark)} paths, expected 30")
    check(st == "OK 30 5" and [l.split("\t")[0] for l in data] == ["4", "5", "6", "7", "8"]
          and [l.split("\t")[2] for l in data] == all_docmark[3:8],
          f"QUERY limit=5 offset=3 docmark: {st!r} {[l.split(chr(9))[:3] for l in data]}, CLI order {all_docmark[3:8]}")
    t11 = [l for l in c.request("QUERY limit=1 d011")[1]]
    check(len(t11) == 1 and t11[0].split("\t")[3] == "docmark d011 关于第11号文件的通知\\t含制表符\\\\反斜杠",
          f"QUERY d011: title not TSV-escaped: {t11!r}")

    # COUNT == query --count.
    for q in [TERM, "docmark", "宗教中國化", f'"{TERM}"', f"docmark -{TERM}", f"{TERM} OR 通知", "title:通知",
              "d007", "zzznothing", "(d001 OR d002) docmark", "path:d01", "year:2019..2021"]:
        st, data, _ = c.request(f"COUNT {q}")
        n = cli_count(q)
        check(st == f"OK {n}" and data == [], f"COUNT {q}: {st!r} {data!r}, CLI says {n}")

    # GET by path and by id, text and json.
    ids = {}
    for h in hits:
        ids[h["path"]] = h["id"]
    for p in [OLD[0], OLD[7], OLD[8], OLD[11], OLD[13], OLD[10]]:
        text = files[p].decode()
        st, data, _ = c.request(f"GET {p}")
        check(st == f"OK {tsv_escape(p)}" and data == split_lines(text),
              f"GET {p}: {st!r}, {len(data)} lines; text differs from the file ({len(split_lines(text))} lines)")
        st, data, _ = c.request(f"GET format=json {p}")
        obj = json.loads(data[0]) if len(data) == 1 else {}
        check(st == f"OK {tsv_escape(p)}" and obj.get("path") == p and obj.get("text") == text
              and obj.get("title") == text.split("\n")[0].rstrip("\r"),
              f"GET format=json {p}: {st!r}, {str(obj)[:300]}")
    for p in [OLD[0], OLD[4], OLD[5]]:
        st, data, _ = c.request(f"GET {ids[p]}")
        check(st == f"OK {p}" and data == split_lines(files[p].decode()), f"GET {ids[p]} (id of {p}): {st!r}")
    for ref in ["corpus/no-such.txt", "99999", "-1", "corpus"]:
        st, data, _ = c.request(f"GET {ref}")
        check(st.startswith("ERR NOTFOUND ") and data == [], f"GET {ref}: {st!r}")
    for q, want in [("QUERY limit=0 docmark", "OK 30 0"), ("QUERY offset=1000000000 docmark", "OK 30 0"),
                    ("QUERY limit=3 -- zzznothing", "OK 0 0"), ("query LIMIT=1 docmark", "OK 30 1")]:
        st, data, _ = c.request(q)
        check(st == want and len(data) == int(want.split()[2]), f"{q}: {st!r} {len(data)} lines, expected {want!r}")

    # STATS, PING, HELP.
    st, data, _ = c.request("STATS")
    kv = dict(l.split("\t", 1) for l in data if "\t" in l)
    check(st == "OK" and len(kv) == len(data), f"STATS: {st!r} {data!r}")
    check(kv.get("documents") == "30" and kv.get("generation") == str(cli_generation()),
          f"STATS: documents {kv.get('documents')}, generation {kv.get('generation')}; expected 30 and the CLI's")
    st, data, _ = c.request("PING")
    check((st, data) == ("OK PONG", []), f"PING: {st!r} {data!r}")
    st, data, _ = c.request("HELP")
    check(st == "OK" and len(data) >= 5 and all(w in "\n".join(data) for w in
          ["QUERY", "COUNT", "GET", "STATS", "PING", "QUIT"]), f"HELP: {st!r} {data[:3]!r}")

    # A bad query, then the connection still works.
    st, data, _ = c.request('QUERY "unbalanced')
    check(st.startswith("ERR BADQUERY ") and data == [], f'QUERY "unbalanced: {st!r}')
    st, data, _ = c.request('COUNT (宗教')
    check(st.startswith("ERR BADQUERY "), f"COUNT (宗教: {st!r}")
    st, data, _ = c.request("QUERY limit=1 docmark")
    check(st == "OK 30 1" and len(data) == 1, f"QUERY after BADQUERY: {st!r}")
    st, _, _ = c.request("query limit=5000 docmark")
    check(st.startswith("ERR BADARG "), f"QUERY limit=5000: {st!r}")
    st, _, _ = c.request("FROB x")
    check(st.startswith("ERR UNKNOWN "), f"FROB: {st!r}")

    # QUIT: OK BYE, then end of file; what follows QUIT is ignored.
    c.send("QUIT\nPING\n")
    st, data, _ = c.response()
    check((st, data) == ("OK BYE", []), f"QUIT: {st!r} {data!r}")
    check(c.at_eof(), "QUIT: the server did not close the connection")
    c.close()
    return n_term

# ---- 3: pipelining --------------------------------------------------------------------------------------------
def phase_pipeline():
    kinds = ["PING"] + [f"COUNT {q}" for q in [TERM, "docmark", "d003", f"docmark -{TERM}"]] + \
        [f"QUERY limit=2 {q}" for q in [TERM, "docmark", "通知 d011"]] + \
        [f"QUERY limit=1 format=json {TERM}", "QUERY offset=28 docmark", 'QUERY "unbalanced', "GET corpus/d007.txt"]
    ref = {}
    for k in kinds:
        ref[k] = one(k)[2]
    reqs = [rng.choice(kinds) for _ in range(1000)]
    payload = "".join(r + "\n" for r in reqs).encode()
    c = Conn(timeout=20)
    errors = []
    def writer():  # one write; a thread, so a full socket buffer can't deadlock us
        try:
            c.sock.sendall(payload)
        except OSError as e:
            errors.append(e)
    w = threading.Thread(target=writer, daemon=True)
    t = time.monotonic()
    w.start()
    bad = 0
    for i, r in enumerate(reqs):
        try:
            raw = c.response()[2]
        except (Malformed, OSError) as e:
            check(False, f"pipeline response {i} ({r}): {e}")
            bad += 1
            break
        if raw != ref[r]:
            bad += 1
            if bad <= 3:
                check(False, f"pipeline response {i} ({r}): {raw[:200]!r}, alone {ref[r][:200]!r}")
    w.join(10)
    check(not errors and not w.is_alive(), f"pipeline write: {errors}")
    check(bad == 0, f"pipeline: {bad} of 1000 responses wrong")
    check(c.request("PING")[0] == "OK PONG", "PING after the pipeline")
    c.close()
    print(f"server test: 1000 pipelined requests in {time.monotonic() - t:.2f} s", flush=True)

# ---- 4: commits while clients query ---------------------------------------------------------------------------
def phase_commits():
    states = [set(OLD), set(OLD) | set(NEW), (set(OLD) | set(NEW)) - set(REMOVED)]
    doc_state = {len(s): i for i, s in enumerate(states)}  # 30, 40, 35
    assert len(doc_state) == 3
    g0 = cli_generation()
    gen_docs = {}          # generation -> documents, from STATS of any client
    gen_lock = threading.Lock()
    stop = threading.Event()
    results = []           # per client: list of (sent, received, lo, hi) state bounds
    problems = []
    stable_doc = OLD[7]

    def classify(req, st, data):
        """(lo, hi) bounds on the state index this response shows, or a string describing what is wrong."""
        if st.startswith("ERR"):
            return f"{st}"
        if req == "COUNT docmark":
            n = int(st[3:]) if re.fullmatch(r"OK \d+", st) else -1
            return (doc_state[n],) * 2 if n in doc_state else f"COUNT docmark: {st}"
        if req == "COUNT freshmark":
            return (0, 0) if st == "OK 0" else (1, 2) if st == "OK 10" else f"COUNT freshmark: {st}"
        if req == "QUERY limit=50 docmark":
            m = re.fullmatch(r"OK (\d+) (\d+)", st)
            paths = {l.split("\t")[2] for l in data if l.count("\t") == 4}
            if not m or int(m.group(1)) not in doc_state or not int(m.group(1)) == int(m.group(2)) == len(data):
                return f"QUERY docmark: {st}, {len(data)} lines"
            i = doc_state[int(m.group(1))]
            return (i, i) if paths == states[i] else f"QUERY docmark: {st} but paths {sorted(paths ^ states[i])} off"
        if req == "QUERY limit=20 format=json freshmark":
            try:
                hs = [json.loads(l) for l in data]
            except ValueError:
                return f"QUERY freshmark: not JSON {data[:1]!r}"
            if st == "OK 0 0" and not hs:
                return (0, 0)
            if st == "OK 10 10" and {h["path"] for h in hs} == set(NEW) and all(
                    files[h["path"]][a:b] == b"freshmark" for h in hs for a, b in h["matches"]):
                return (1, 2)
            return f"QUERY freshmark: {st} {[h.get('path') for h in hs]}"
        if req == "STATS":
            kv = dict(l.split("\t", 1) for l in data if "\t" in l)
            try:
                g, n = int(kv["generation"]), int(kv["documents"])
            except (KeyError, ValueError):
                return f"STATS: {data!r}"
            with gen_lock:
                if gen_docs.setdefault(g, n) != n:
                    return f"STATS: generation {g} with {n} documents, before with {gen_docs[g]}"
            return (doc_state[n],) * 2 if n in doc_state else f"STATS: {n} documents"
        if req == f"GET {stable_doc}":
            return (0, 2) if data == split_lines(files[stable_doc].decode()) else f"GET {stable_doc}: {st}"
        return f"unexpected request {req}"

    reqs = ["COUNT docmark", "COUNT freshmark", "QUERY limit=50 docmark", "QUERY limit=20 format=json freshmark",
            "STATS", f"GET {stable_doc}"]

    def client(k):
        r = random.Random(SEED + k)
        mine = []
        results.append(mine)
        try:
            c = Conn(timeout=10)
        except OSError as e:
            problems.append(f"client {k}: connect: {e}")
            return
        try:
            for _ in range(100000):
                if stop.is_set():
                    break
                req = r.choice(reqs)
                sent = time.monotonic()
                try:
                    st, data, _ = c.request(req)
                except (Malformed, OSError) as e:
                    problems.append(f"client {k}: {req}: {e}")
                    return
                got = classify(req, st, data)
                if isinstance(got, str):
                    problems.append(f"client {k}: {req}: {got}")
                    if len(problems) > 20:
                        return
                    continue
                mine.append((sent, time.monotonic(), got[0], got[1], req))
        finally:
            c.close()

    threads = [threading.Thread(target=client, args=(k,), daemon=True) for k in range(8)]
    for t in threads:
        t.start()
    mon = Conn(timeout=10)

    def wait_visible(what, t_done, want_gen, want_docs, count_req, count_want):
        deadline = t_done + 1.5
        last = None
        while True:
            st_c = mon.request(count_req)[0]
            st_s, data, _ = mon.request("STATS")
            kv = dict(l.split("\t", 1) for l in data if "\t" in l)
            now = time.monotonic()
            last = (st_c, kv.get("generation"), kv.get("documents"))
            if last == (f"OK {count_want}", str(want_gen), str(want_docs)):
                check(True, what)
                return now - t_done
            if now > deadline:
                check(False, f"{what}: 1.5 s after the commit the server shows {count_req} -> {last[0]}, "
                      f"generation {last[1]}, documents {last[2]}; expected OK {count_want}, {want_gen}, {want_docs}")
                return None
            time.sleep(0.02)

    time.sleep(1.0)
    for p in NEW:
        write(p, f"docmark {p[7:11]} 新增文件的通知\nfreshmark 新增的内容。{sentence()}\n{sentence()}\n")
    t_add = time.monotonic()
    rc, out, err = run(["add"] + IDX + NEW)
    t_add_done = time.monotonic()
    check(rc == 0, f"add: exit {rc}: {err}")
    g1 = cli_generation()
    lat1 = wait_visible("add visible", t_add_done, g1, 40, "COUNT freshmark", 10)
    time.sleep(1.0)
    t_rm = time.monotonic()
    rc, out, err = run(["rm"] + IDX + REMOVED)
    t_rm_done = time.monotonic()
    check(rc == 0, f"rm: exit {rc}: {err}")
    g2 = cli_generation()
    lat2 = wait_visible("rm visible", t_rm_done, g2, 35, "COUNT docmark", 35)
    # A merge: same documents, new generation; the old segment files are deleted under the server's feet.
    time.sleep(0.7)
    rc, out, err = run(["merge"] + IDX)
    t_merge_done = time.monotonic()
    check(rc == 0, f"merge: exit {rc}: {err}")
    g3 = cli_generation()
    lat3 = wait_visible("merge visible", t_merge_done, g3, 35, "COUNT freshmark", 10)
    check(mon.request("STATS")[1].count("segments\t1") == 1, "STATS after the merge: not 1 segment")
    time.sleep(0.7)
    stop.set()
    for t in threads:
        t.join(15)
    check(not any(t.is_alive() for t in threads), "a client thread is stuck")
    check(mon.request("COUNT freshmark")[0] == "OK 10", "COUNT freshmark after rm")
    for p in REMOVED[:2]:
        st = mon.request(f"GET {p}")[0]
        check(st.startswith("ERR NOTFOUND "), f"GET {p} after its rm: {st!r}")
    mon.close()

    for p in problems[:10]:
        check(False, f"commit phase: {p}")
    check(not problems, f"commit phase: {len(problems)} bad responses")
    counts = [len(m) for m in results]
    check(len(results) == 8 and min(counts) >= 10, f"commit phase: responses per client {counts}")
    # The state can't go backwards on one connection, nor between a response and a request sent after it.
    every = sorted((r for m in results for r in m), key=lambda r: r[0])
    for k, m in enumerate(results):
        lo = 0
        for sent, recv, a, b, req in m:
            if b < lo:
                check(False, f"client {k}: {req} at {sent - T0:.3f} s shows state {a}..{b} after state {lo}")
                break
            lo = max(lo, a)
    by_recv = sorted(every, key=lambda r: r[1])
    j = 0
    seen = 0
    backwards = 0
    for sent, recv, a, b, req in every:  # in order of sending
        while j < len(by_recv) and by_recv[j][1] < sent:
            seen = max(seen, by_recv[j][2])
            j += 1
        if b < seen:
            backwards += 1
    check(backwards == 0, f"{backwards} responses show an older state than a response received before they were sent")
    early = [r for r in every if r[1] < t_add and r[3] < 2 and r[2] > 0]
    check(not early, f"{len(early)} responses received before the add started show it")
    between = [r for r in every if t_add_done + 1.5 < r[0] and r[1] < t_rm and not (r[2] <= 1 <= r[3])]
    check(not between, f"{len(between)} responses between add+1.5 s and rm don't show state 1: {between[:3]}")
    late1 = [r for r in every if r[0] > t_add_done + 1.5 and r[3] < 1]
    late2 = [r for r in every if r[0] > t_rm_done + 1.5 and r[3] < 2]
    check(not late1 and not late2, f"responses sent >1.5 s after a commit missing it: {late1[:3]} {late2[:3]}")
    seen_states = {r[2] for r in every if r[2] == r[3]}
    check(seen_states == {0, 1, 2}, f"clients saw states {sorted(seen_states)}, expected all of 0, 1, 2")
    check(g0 < g1 < g2 < g3 and gen_docs.get(g0, 30) == 30 and gen_docs.get(g1, 40) == 40
          and gen_docs.get(g2, 35) == 35 and gen_docs.get(g3, 35) == 35,
          f"generations {g0} {g1} {g2} {g3}, documents seen per generation {gen_docs}")
    dur = every[-1][1] - every[0][0] if every else 0
    fmt = lambda x: "late" if x is None else f"{x * 1000:.0f} ms"
    print(f"server test: {len(every)} responses from 8 clients in {dur:.1f} s; add visible after {fmt(lat1)}, "
          f"rm after {fmt(lat2)}, merge after {fmt(lat3)}; generations {g0} -> {g1} -> {g2} -> {g3} "
          f"(STATS saw {sorted(gen_docs)})", flush=True)

# ---- 5: garbage -----------------------------------------------------------------------------------------------
def phase_garbage():
    ok_codes = {"EMPTY", "BADUTF8", "UNKNOWN", "BADARG", "BADQUERY"}
    # Random bytes: one ERR response per line, then the PING at the end answers.
    for round_ in range(3):
        blob = bytes(rng.randrange(256) for _ in range(rng.randrange(1000, 20000)))
        blob = blob.replace(b"\n", b"") + b"\n"  # one long random line (< 64 KiB)...
        blob += b"".join(bytes(rng.randrange(256) for _ in range(rng.randrange(0, 60))).replace(b"\n", b"") + b"\n"
                         for _ in range(200))   # ...and 200 short ones (some empty)
        c = Conn()
        c.send(blob + b"PING\n")
        codes = set()
        try:
            for i in range(blob.count(b"\n")):
                st = c.response()[0]
                codes.add(st.split(" ")[1] if st.startswith("ERR ") else st)
            st = c.response()[0]
        except (Malformed, OSError) as e:
            st = f"{e}"
        check(codes <= ok_codes and st == "OK PONG", f"random bytes round {round_}: codes {codes}, then {st!r}")
        c.close()
    # Random bytes, no reading, close at once (with RST).
    for _ in range(5):
        c = Conn()
        c.send(bytes(rng.randrange(256) for _ in range(5000)))
        c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        c.close()
    # Longest allowed line, then one byte more.
    c = Conn()
    line = "COUNT " + "a" * (65536 - 6)
    st = c.request(line)[0]
    check(not st.startswith("ERR TOOLONG"), f"a 65536-byte line: {st[:100]!r}")
    check(c.request("PING")[0] == "OK PONG", "PING after a 65536-byte line")
    c.close()
    c = Conn()
    c.send(("QUERY " + "国" * 30000 + "\nPING\n").encode())  # 90 KB
    try:
        st = c.response()[0]
    except (Malformed, OSError) as e:
        st = f"{e}"
    check(st.startswith("ERR TOOLONG "), f"a 90 KB line: {st[:100]!r}")
    check(c.at_eof(), "a 90 KB line: the connection was not closed")
    c.close()
    c = Conn()
    c.send(b"COUNT " + b"b" * (65536 - 5) + b"\n")
    try:
        st = c.response()[0]
    except (Malformed, OSError) as e:
        st = f"{e}"
    check(st.startswith("ERR TOOLONG "), f"a 65537-byte line: {st[:100]!r}")
    c.close()
    # Invalid UTF-8: the connection stays usable.
    c = Conn()
    for bad in [b"QUERY \xff\xfe\n", b"COUNT \xc0\xaf\n", b"GET \xed\xa0\x80\n", b"QUERY \xe5\xae\n", b"\x80PING\n"]:
        c.send(bad)
        st = c.response()[0]
        check(st.startswith("ERR BADUTF8 "), f"{bad!r}: {st!r}")
    check(c.request("COUNT docmark")[0] == "OK 35", "COUNT docmark after invalid UTF-8")
    st = c.request("QUERY\tlimit=1\tdocmark\r")[0]
    check(st == "OK 35 1", f"tabs and CRLF: {st!r}")
    st = c.request("   ")[0]
    check(st.startswith("ERR EMPTY "), f"blank line: {st!r}")
    c.close()
    # Half-close: the last request without its line end is still answered.
    c = Conn()
    c.send("COUNT freshmark\nPING")
    c.sock.shutdown(socket.SHUT_WR)
    try:
        got = [c.response()[0], c.response()[0]]
    except (Malformed, OSError) as e:
        got = [f"{e}"]
    check(got == ["OK 10", "OK PONG"] and c.at_eof(), f"half-close: {got}")
    c.close()
    # Clients that close mid-response: many big GETs pipelined, read a little, close (normally and with RST).
    for linger in (False, True, False):
        c = Conn()
        c.send("".join(f"GET format=json {OLD[10]}\nQUERY limit=1000 docmark\n" for _ in range(100)))
        c.sock.recv(rng.choice([1, 100, 5000]))
        if linger:
            c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        c.close()
    # Many connections opened and dropped without a word.
    for _ in range(20):
        Conn().close()
    time.sleep(0.2)
    check(server.poll() is None, f"the server exited ({server.poll()}) during the garbage phase")
    st, data, _ = one("PING")
    check((st, data) == ("OK PONG", []), f"PING on a fresh connection after the garbage: {st!r}")
    st = one("COUNT docmark")[0]
    check(st == "OK 35", f"COUNT docmark after the garbage: {st!r}")

# ---- 6: SIGTERM -----------------------------------------------------------------------------------------------
def phase_shutdown():
    # An idle client that closes on end of file, one that never does, and one with 100 queries in flight.
    idle, stubborn, busy = Conn(), Conn(), Conn()
    for c in (idle, stubborn):
        check(c.request("PING")[0] == "OK PONG", "PING before SIGTERM")
    busy.send("QUERY limit=50 docmark\n" * 100)
    first = busy.response()[0]
    t = time.monotonic()
    server.send_signal(signal.SIGTERM)
    check(idle.at_eof(1.5), "SIGTERM: no end of file on an idle connection within 1.5 s")
    idle.close()
    answered, bad = 1, [] if first == "OK 35 35" else [first]
    try:
        for _ in range(99):
            st, data, _ = busy.response()
            answered += 1
            if not (st == "OK 35 35" and len(data) == 35 or st.startswith("ERR SHUTDOWN ")):
                bad.append(st)
    except Malformed as e:
        if "end of file instead of a response" not in str(e):  # fewer answers are fine, a cut one is not
            bad.append(str(e))
    except OSError as e:
        bad.append(f"{e}")
    check(not bad and busy.at_eof(1), f"SIGTERM with queries in flight: {answered} answered, wrong: {bad[:3]}")
    busy.close()
    try:
        rc = server.wait(max(0.1, t + 3.5 - time.monotonic()))
    except subprocess.TimeoutExpired:
        rc = None
    took = time.monotonic() - t
    check(rc == 0 and took <= 3.0, f"SIGTERM: exit status {rc} after {took:.2f} s, expected 0 within 3 s")
    stubborn.close()
    try:
        socket.create_connection(("127.0.0.1", PORT), timeout=2).close()
        refused = False
    except OSError:
        refused = True
    check(refused, "after the shutdown the port still accepts connections")
    rest = server.stdout.read() if rc is not None else b""
    check(rest == b"", f"serve wrote to stdout after the listening line: {rest[:200]!r}")
    print(f"server test: SIGTERM with {answered}/100 in-flight queries answered -> exit {rc} in {took:.2f} s",
          flush=True)

try:
    print(f"server test: seed {SEED}", flush=True)
    rc, out, err = run(["index"] + IDX + ["corpus"])
    require(rc == 0, f"index: exit {rc}: {err}")
    start_server()
    phase_commands()
    phase_pipeline()
    phase_commits()
    phase_garbage()
    phase_shutdown()
    err = stderr_text()
    check("refresh failed" not in err and "Fatal error" not in err, f"server stderr: {err[:500]!r}")
except Abort:
    pass
except Exception as e:
    import traceback
    traceback.print_exc()
    check(False, f"unexpected {type(e).__name__}: {e}")
finally:
    reap_server()
    signal.signal(signal.SIGTERM, signal.SIG_DFL)

el = time.monotonic() - T0
if failures:
    print(f"server test: {len(failures)} failed, {passed} checks passed in {el:.1f} s (seed {SEED})", file=sys.stderr)
    err = stderr_text()
    if err:
        print("server stderr:\n" + err[-2000:], file=sys.stderr)
    sys.exit(1)
print(f"server test: {passed} checks passed in {el:.1f} s")
PY
if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
    echo "server test: global timeout (${SERVER_TEST_TIMEOUT:-90} s)" >&2
fi
exit "$rc"
