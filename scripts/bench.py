#!/usr/bin/env python3
"""The measuring half of scripts/bench: ufsearch and its peers on one corpus, in one run. See BENCHMARKS.md.

usage: bench.py --size S --corpus DIR --kit KIT --bin UFSEARCH --work DIR [--sample 150]
                [--systems rg,fts5,tantivy-jieba,tantivy-icu|none] [--server-seconds 10] [--analysis-tsv FILE]

Run it with the virtual environment's python (it needs PyICU; peers.py needs tantivy and rjieba too).
The queries and the truth are peers.py's own (imported from KIT/peers.py): queries.txt plus
sample_queries(docs, N, random.Random(7)); truth = every space-separated word occurs after NFKC + casefold.
"""
import argparse, datetime, importlib.util, json, os, re, select, shlex, shutil, signal, subprocess, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
REPS = 3  # best of 3 per query, as peers.py's timeit
HYPERFINE_QUERIES = ["宗教中国化", "统战 乡村振兴", "配置"]  # the first is the table's whole-process figure
PEER_ORDER = ["rg", "fts5", "tantivy-jieba", "tantivy-icu"]
LABELS = {"ufsearch": "ufsearch", "rg": "ripgrep (whole process, no index)", "fts5": "SQLite FTS5 trigram",
          "tantivy-jieba": "Tantivy + jieba", "tantivy-icu": "Tantivy + ICU"}


def log(*a):
    print("bench:", *a, file=sys.stderr, flush=True)


def load_peers(kit):
    spec = importlib.util.spec_from_file_location("peers", os.path.join(kit, "peers.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)  # main() is behind `if __name__ == "__main__"`
    return mod


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw).stdout


def time_v(path):
    """Fields of a `/usr/bin/time -v -o path` report."""
    out = {}
    for line in open(path, encoding="utf-8", errors="replace"):
        k, _, v = line.strip().rpartition(": ")
        if k:
            out[k] = v
    return out


def max_rss_mb(tv):
    v = tv.get("Maximum resident set size (kbytes)")
    return int(v) * 1024 / 1e6 if v else None


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p * len(xs)))] if xs else None


def machine():
    mem = {}
    for line in open("/proc/meminfo"):
        k, v = line.split(":", 1)
        mem[k] = int(v.split()[0])
    free_g = ""
    try:
        free_g = sh(["free", "-g"]).splitlines()[1]
    except (OSError, subprocess.CalledProcessError, IndexError):
        pass
    try:
        swift = subprocess.run(["swift", "--version"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True).stdout.splitlines()[0]
    except (OSError, subprocess.CalledProcessError, IndexError):
        swift = "?"
    try:
        commit = sh(["git", "-C", REPO, "rev-parse", "--short", "HEAD"]).strip()
        if sh(["git", "-C", REPO, "status", "--porcelain", "--untracked-files=no"]).strip():
            commit += "+dirty"
    except (OSError, subprocess.CalledProcessError):
        commit = "?"
    return {"nproc": len(os.sched_getaffinity(0)), "mem_total_gb": round(mem["MemTotal"] / 2**20, 1),
            "free_g": free_g, "cpu": cpu_model(), "kernel": os.uname().release, "swift": swift, "commit": commit}


def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "?"


def loadavg():
    return " ".join(open("/proc/loadavg").read().split()[:3])


# ---------------------------------------------------------------- ufsearch

def index_roots(corpus):
    """What ufsearch indexes: the corpus's subfolders and top-level .txt files, i.e. exactly the .txt documents
    peers.py loads. (The corpus root also holds manifest.tsv, which lists every title; ufsearch indexes every file
    it is given, so indexing the root would add it as one more document.)"""
    roots, stray = [], []
    for name in sorted(os.listdir(corpus)):
        if name.startswith("."):
            continue
        p = os.path.join(corpus, name)
        if os.path.isdir(p):
            roots.append(p)
            for r, _, fs in os.walk(p):
                stray += [os.path.join(r, f) for f in fs if not f.endswith(".txt") and not f.startswith(".")]
        elif name.endswith(".txt"):
            roots.append(p)
    if stray:
        log(f"warning: {len(stray)} non-.txt files under the corpus folders will be indexed too, e.g. {stray[0]}")
    return roots


def ufsearch_index(bin_, corpus, work, name="ufsearch-index"):
    idx = os.path.join(work, name)
    shutil.rmtree(idx, ignore_errors=True)
    tv_path = os.path.join(work, name + ".time")
    cmd = ["/usr/bin/time", "-v", "-o", tv_path, bin_, "index", "--index", idx] + index_roots(corpus)
    log("ufsearch index --index", idx, corpus + "/*")
    t = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t
    if p.returncode != 0:
        sys.stderr.write(p.stderr)
        raise SystemExit(f"bench: ufsearch index failed (exit {p.returncode})")
    summary = p.stdout.strip().splitlines()[-1] if p.stdout.strip() else ""
    warnings = [l for l in p.stderr.splitlines() if l.strip() and "Command being timed" not in l]
    stats = {}
    for line in sh([bin_, "stats", "--index", idx]).splitlines():
        k, sep, v = line.partition(":")
        if sep:
            stats[k.strip()] = v.strip()
    tv = time_v(tv_path)
    cpu = float(tv.get("User time (seconds)", 0)) + float(tv.get("System time (seconds)", 0))
    return idx, {"wall_s": wall, "cpu_s": cpu, "summary": summary, "warnings": warnings[:10],
                 "warning_count": len(warnings), "peak_rss_mb": max_rss_mb(tv), "stats": stats}


def ufsearch_latency(bin_, idx, queries, mode=("--files", "-n", "10")):
    """In-process top-10 time per query (--timings), each query fed REPS times in a row, best kept. With
    mode ("--count",) the time to count every match exactly instead (no top-k pruning)."""
    stdin = "".join((q + "\n") * REPS for q in queries)
    out = subprocess.run([bin_, "query", "--index", idx, "--timings", *mode, "-"],
                         input=stdin, capture_output=True, text=True)
    if out.returncode not in (0, 1):
        sys.stderr.write(out.stderr)
        raise SystemExit(f"bench: ufsearch query --timings failed (exit {out.returncode})")
    slots = []
    for line in out.stdout.splitlines():
        o = json.loads(line)
        if "ms" in o or "error" in o:
            slots.append(o)
    if len(slots) != REPS * len(queries):
        raise SystemExit(f"bench: ufsearch query --timings gave {len(slots)} timing lines for {REPS * len(queries)} queries")
    best, errors, exact = [], {}, []
    for i, q in enumerate(queries):
        runs = slots[REPS * i:REPS * (i + 1)]
        assert all(r["query"] == q for r in runs), (q, runs)
        if "error" in runs[0]:
            errors[q] = runs[0]["error"]
            best.append(None)
            exact.append(None)
        else:
            best.append(min(float(r["ms"]) for r in runs))
            exact.append(runs[0].get("total_exact", True))
    ok = [b for b in best if b is not None]
    return {"p50_ms": pct(ok, .5), "p99_ms": pct(ok, .99), "mean_ms": sum(ok) / len(ok) if ok else None,
            "errors": errors, "per_query_ms": best, "per_query_total_exact": exact}


def ufsearch_hits(bin_, idx, queries, corpus, docs):
    """Every matching document per query (query --files --all -), as sets of peers.py document numbers."""
    t = time.perf_counter()
    out = subprocess.run([bin_, "query", "--index", idx, "--files", "--all", "-"],
                         input="".join(q + "\n" for q in queries), capture_output=True, text=True)
    wall = time.perf_counter() - t
    if out.returncode not in (0, 1):
        sys.stderr.write(out.stderr)
        raise SystemExit(f"bench: ufsearch query --files --all failed (exit {out.returncode})")
    number = {p: i for i, (p, _) in enumerate(docs)}
    hits, errors, unknown = {q: set() for q in queries}, {}, []
    for line in out.stdout.splitlines():
        o = json.loads(line)
        q = o["query"]
        if "error" in o:
            errors[q] = o["error"]
        elif "path" in o:
            rel = os.path.relpath(o["path"], corpus)
            if rel in number:
                hits.setdefault(q, set()).add(number[rel])
            else:
                unknown.append(o["path"])
    return [hits.get(q, set()) for q in queries], errors, unknown, wall


class Equivalence:
    """Why a document ufsearch returned is outside peers.py's truth. ufsearch's own definition (UFAnalysis'
    Normalizer) also maps Traditional to Simplified and drops whitespace between two Han characters; this checks
    the same two rules with ICU's Traditional-Simplified transform and the same character classes."""
    HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003ffff\u3005\u3007"
    SPACE = "\t\n\x0b\x0c\r \x85\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"

    def __init__(self, peers, docs_norm):
        import icu
        self.t2s = icu.Transliterator.createInstance("Traditional-Simplified")
        self.peers, self.docs_norm, self.cache, self.joined = peers, docs_norm, {}, {}
        self.join_re = re.compile(f"(?<=[{self.HAN}])[{self.SPACE}]+(?=[{self.HAN}])")

    def simp(self, i):
        if i not in self.cache:
            self.cache[i] = self.t2s.transliterate(self.docs_norm[i])
        return self.cache[i]

    def simp_joined(self, i):
        if i not in self.joined:
            self.joined[i] = self.join_re.sub("", self.simp(i))
        return self.joined[i]

    def classify(self, q, i):
        words = [self.t2s.transliterate(self.peers.norm(w)) for w in q.split()]
        if all(w in self.simp(i) for w in words):
            return "traditional"
        if all(self.join_re.sub("", w) in self.simp_joined(i) for w in words):
            return "han_space"
        return "other"

    # ufsearch's tokens: runs of letters and digits (ICU's words joined across punctuation, as 2019,2020 or
    # debian.org, are cut at the punctuation).
    LATIN = re.compile(r"[0-9a-z\u00c0-\u024f]")

    def glued(self, inner, outer):
        """Is the query word's edge character `inner` glued to the document's character `outer`?"""
        return bool(inner and outer and self.LATIN.match(inner) and self.LATIN.match(outer))

    def whole_latin_word(self, w, d):
        """Does w (a normalised query word holding Latin letters or digits) occur in d as whole words?"""
        start = d.find(w)
        while start >= 0:
            end = start + len(w)
            at = lambda k: d[k] if 0 <= k < len(d) else ""
            if not (self.glued(w[0], at(start - 1)) or self.glued(w[-1], at(end))):
                return True
            start = d.find(w, start + 1)
        return False

    def classify_missed(self, q, i):
        """latin_word: some query word with Latin letters or digits occurs only inside longer words (ufsearch
        matches Latin words and numbers as whole tokens); other: anything else."""
        for w in q.split():
            w = self.peers.norm(w)
            if re.search(r"[0-9a-z]", w) and not self.whole_latin_word(w, self.docs_norm[i]):
                return "latin_word"
        return "other"


def hyperfine(bin_, idx, corpus, work):
    cmds = [f"{shlex.quote(bin_)} query --index {shlex.quote(idx)} {shlex.quote(q)}" for q in HYPERFINE_QUERIES]
    cmds.append(f"rg -l -F -i -- {shlex.quote(HYPERFINE_QUERIES[0])} {shlex.quote(corpus)}")
    path = os.path.join(work, "hyperfine.json")
    cmd = ["hyperfine", "-N", "-i", "--warmup", "3", "--runs", "30", "--style", "none", "--export-json", path] + cmds
    log("hyperfine -N --warmup 3 --runs 30:", len(cmds), "commands")
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    res = json.load(open(path))["results"]
    out = []
    for q, r in zip(HYPERFINE_QUERIES + ["rg:" + HYPERFINE_QUERIES[0]], res):
        out.append({"name": q, "command": r["command"], "mean_ms": r["mean"] * 1e3, "median_ms": r["median"] * 1e3,
                    "stddev_ms": (r.get("stddev") or 0) * 1e3, "min_ms": r["min"] * 1e3, "max_ms": r["max"] * 1e3})
    return out


def server(bin_, idx, queries_file, work, seconds, ping_client=None):
    errlog = open(os.path.join(work, "serve.stderr"), "w")
    p = subprocess.Popen([bin_, "serve", "--index", idx, "--port", "0"], stdout=subprocess.PIPE, stderr=errlog)
    try:
        port, line, deadline = None, b"", time.time() + 30
        while time.time() < deadline and port is None:
            r, _, _ = select.select([p.stdout], [], [], 1)
            if r:
                line = p.stdout.readline()
                if not line:
                    break
                m = re.search(rb"listening on 127\.0\.0\.1:(\d+)", line)
                if m:
                    port = int(m.group(1))
            if p.poll() is not None:
                break
        if port is None:
            raise SystemExit(f"bench: ufsearch serve did not report its port (last line {line!r}; see {errlog.name})")
        log(f"ufsearch serve on 127.0.0.1:{port}: 2000 PINGs, then 1, 4 and 16 clients x {seconds:g} s, then limit=0")
        out = os.path.join(work, "server.json")
        extra = ["--ping-client", ping_client] if ping_client else []
        subprocess.run([sys.executable, os.path.join(HERE, "bench_server.py"), "--port", str(port), "--queries",
                        queries_file, "--seconds", str(seconds), "--bare-seconds", str(max(1.0, seconds / 2)),
                        "--json", out] + extra, check=True, stdout=sys.stderr)
        res = json.load(open(out))
        try:
            for l in open(f"/proc/{p.pid}/status"):
                if l.startswith("VmHWM:"):
                    res["server_peak_rss_mb"] = int(l.split()[1]) * 1024 / 1e6
        except OSError:
            pass
        return res
    finally:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill(); p.wait()
        errlog.close()


# ---------------------------------------------------------------- peers

def run_peers(kit, corpus, work, sample, systems, size):
    pw = os.path.join(work, f"peers-{size}")
    os.makedirs(pw, exist_ok=True)
    tv_path = os.path.join(pw, "peers.time")
    cmd = ["/usr/bin/time", "-v", "-o", tv_path, sys.executable, os.path.join(kit, "peers.py"), corpus,
           os.path.join(kit, "queries.txt"), pw, "--sample", str(sample), "--systems", systems]
    log("peers.py", corpus, "queries.txt", pw, "--sample", sample, "--systems", systems)
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=sys.stderr)
    wall = time.perf_counter() - t
    rep = json.load(open(os.path.join(pw, "peers.json")))
    rep["peak_rss_mb"] = max_rss_mb(time_v(tv_path))
    rep["wall_s"] = wall
    rep["work"] = pw
    return rep


def tantivy_jieba_per_query(peers, pw, docs, queries, truths):
    """Tantivy + jieba query by query, on the index peers.py left in PW/tantivy-jieba: per query the best of 3
    times of a top-10 search, its hit count and whether its hits are exactly the truth. peers.py reports only its
    p50/p99 and totals; this splits them by exactness. The query is built as peers.py's run_system builds it
    (jieba words of each normalised word, word characters only, as a phrase; phrases joined by AND). None when
    the index or the packages are missing."""
    path = os.path.join(pw, "tantivy-jieba")
    try:
        import rjieba, tantivy
    except ImportError:
        return None
    if not os.path.isdir(path):
        return None
    sb = tantivy.SchemaBuilder()
    sb.add_integer_field("id", stored=True, indexed=True)
    sb.add_text_field("body", stored=False, tokenizer_name="default", index_option="position")
    ix = tantivy.Index(sb.build(), path=path)
    ix.reload()
    s = ix.searcher()
    out = []
    for q, truth in zip(queries, truths):
        parts = []
        for word in q.split():
            toks = [x for x in rjieba.cut(peers.norm(word)) if x.strip() and re.search(r"\w", x)]
            if toks:
                parts.append('"' + " ".join(toks) + '"')
        try:
            query = ix.parse_query(" AND ".join(parts), ["body"])
        except Exception:
            out.append(None)
            continue
        dt, _ = peers.timeit(lambda: s.search(query, 10).hits)
        hits = {s.doc(addr)["id"][0] for _, addr in s.search(query, len(docs)).hits}
        out.append({"ms": dt * 1e3, "returned": len(hits), "exact": hits == truth})
    return out


def exactness_split(ours_ms, theirs):
    """p50/p99 of ufsearch and of Tantivy + jieba over the queries Tantivy + jieba answers exactly, over those it
    answers wrongly, and over those it answers with no hits at all (with truth documents to find)."""
    groups = {"exact": lambda t: t["exact"], "wrong": lambda t: not t["exact"],
              "wrong_empty": lambda t: not t["exact"] and t["returned"] == 0}
    split = {}
    for name, pick in groups.items():
        pairs = [(o, t["ms"]) for o, t in zip(ours_ms, theirs) if o is not None and t is not None and pick(t)]
        split[name] = {"queries": len(pairs),
                       "ufsearch_p50_ms": pct([o for o, _ in pairs], .5), "ufsearch_p99_ms": pct([o for o, _ in pairs], .99),
                       "tantivy_p50_ms": pct([t for _, t in pairs], .5), "tantivy_p99_ms": pct([t for _, t in pairs], .99)}
    timed = [t["ms"] for t in theirs if t is not None]
    split["all_tantivy_p50_ms"] = pct(timed, .5)
    return split


def exactness_split_text(split):
    """The report's note on the split."""
    def group(name, what):
        g = split[name]
        if not g["queries"]:
            return f"{what}: none"
        return (f"{what} ({g['queries']}): ufsearch p50 {f_ms(g['ufsearch_p50_ms'])}, p99 {f_ms(g['ufsearch_p99_ms'])}; "
                f"Tantivy + jieba p50 {f_ms(g['tantivy_p50_ms'])}, p99 {f_ms(g['tantivy_p99_ms'])}")
    return ("- p50/p99 split by Tantivy + jieba's exactness (its index reopened after peers.py, each query built as "
            f"peers.py builds it, best of 3; its p50 over all queries this time: {f_ms(split['all_tantivy_p50_ms'])}): "
            + "; ".join([group("exact", "on the queries it answers exactly"),
                         group("wrong", "on those it answers wrongly"),
                         group("wrong_empty", "of which with no hits at all")]) + ".")


# ---------------------------------------------------------------- report

def f_ms(x):
    if x is None:
        return "—"
    return f"{x:.3f} ms" if x < 1 else f"{x:.2f} ms" if x < 10 else f"{x:.1f} ms"


def f_x(x, d=2):
    return "—" if x is None else f"{x:.{d}f}x"


def table(report):
    u, peers, nbytes = report["ufsearch"], report.get("peers", {}).get("systems", {}), report["corpus"]["bytes"]
    hf = {h["name"]: h for h in u["hyperfine"]}
    rows = []
    idx_s = u["index"]["wall_s"]
    r = u["recall"]
    extra = f"{r['docs_extra']:,}"
    if r["docs_extra"]:
        c = r["extra_classes"]
        extra += f" ({c['traditional']:,} Trad.→Simp., {c['han_space']:,} Han–space–Han, {c['other']:,} other)"
    missed = f"{r['docs_missed']:,}"
    if r["docs_missed"]:
        missed += f" ({r['missed_classes']['latin_word']:,} Latin inside a longer word, {r['missed_classes']['other']:,} other)"
    rows.append(["**ufsearch**", f"{idx_s:.2f} s", f"{nbytes / 1e6 / idx_s:.1f}", f_x(u["size_over_text"]),
                 f_ms(u["latency"]["p50_ms"]), f_ms(u["latency"]["p99_ms"]),
                 f_ms(hf[HYPERFINE_QUERIES[0]]["median_ms"]), f"{r['queries_exact']} / {r['queries_checked']}",
                 missed, extra, f"{u['index']['peak_rss_mb']:.0f} MB (index)"])
    for name in PEER_ORDER:
        if name not in peers:
            continue
        p = peers[name]
        noidx = name == "rg"
        whole = f_ms(hf["rg:" + HYPERFINE_QUERIES[0]]["median_ms"]) if noidx else "—"
        rows.append([LABELS[name], "—" if noidx else f"{p['index_s']:.2f} s",
                     "—" if noidx else f"{nbytes / 1e6 / p['index_s']:.1f}",
                     "—" if noidx else f_x(p["index_bytes"] / nbytes), f_ms(p["p50_ms"]), f_ms(p["p99_ms"]), whole,
                     f"{p['queries_exact']} / {p['queries_checked']}", f"{p['docs_missed']:,}", f"{p['docs_extra']:,}",
                     "—"])
    head = ["system", "index time", "MB/s", "index size / text", "p50 top-10", "p99 top-10",
            f"whole-process query ({HYPERFINE_QUERIES[0]}, median)", "queries exact", "docs missed", "docs extra",
            "peak RSS"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def ratios(report):
    u, peers = report["ufsearch"], report.get("peers", {}).get("systems", {})
    out = {}
    for name in ("tantivy-jieba", "tantivy-icu", "fts5"):
        if name in peers:
            p = peers[name]
            out[name] = {"index_time": u["index"]["wall_s"] / p["index_s"] if p["index_s"] else None,
                         "p50": u["latency"]["p50_ms"] / p["p50_ms"] if p["p50_ms"] else None,
                         "p99": u["latency"]["p99_ms"] / p["p99_ms"] if p["p99_ms"] else None}
    if "rg" in peers:
        hf = {h["name"]: h for h in u["hyperfine"]}
        out["rg"] = {"whole_process": hf[HYPERFINE_QUERIES[0]]["median_ms"] / hf["rg:" + HYPERFINE_QUERIES[0]]["median_ms"],
                     "p50_in_process_vs_rg_process": u["latency"]["p50_ms"] / peers["rg"]["p50_ms"]}
    return out


def icu_ceiling(path, nproc, mbps):
    if not path or not os.path.isfile(path):
        return None
    rows = {}
    for line in open(path):
        f = line.rstrip("\n").split("\t")
        if len(f) >= 5:
            rows[f[0]] = f
    if "icu-raw-segmentation" not in rows:
        return None
    raw = float(rows["icu-raw-segmentation"][4])
    return {"source": path, "measured": datetime.datetime.fromtimestamp(os.path.getmtime(path)).isoformat(timespec="minutes"),
            "icu_raw_mb_s_cpu_best": raw, "cores": nproc, "ceiling_mb_s": raw * nproc,
            "ufsearch_index_mb_s": mbps, "ratio": mbps / (raw * nproc)}


def icu_sweep(bin_, corpus, when):
    """Raw ICU word segmentation of every .txt file of the corpus on every core at once, one pass, wall clock
    (`AnalysisProfile CORPUS sweep`: the files are read and decoded to UTF-16 first, outside the clock)."""
    if not bin_:
        return None
    log("raw ICU segmentation on every core, one pass (AnalysisProfile sweep),", when)
    p = subprocess.run([bin_, os.path.realpath(corpus), "sweep"], capture_output=True, text=True)
    if p.returncode != 0 or not p.stdout.strip():
        log(f"AnalysisProfile sweep failed (exit {p.returncode}): {p.stderr.strip()[:200]}")
        return None
    r = json.loads(p.stdout.strip().splitlines()[-1])
    r["when"] = when
    r["loadavg"] = loadavg()
    return r


def icu_sweep_report(sweeps, nbytes, index, again):
    """Each sweep beside the index run it follows: the index's MB/s (the corpus's bytes, as the table's) over the
    sweep's."""
    pairs = []
    for s, run in zip(sweeps, [index, again]):
        if s is None or run is None:
            continue
        mb_s = nbytes / 1e6 / run["wall_s"]
        pairs.append({**s, "index_mb_s": mb_s, "ratio": mb_s / s["mb_s"]})
    return pairs or None


def ratios_text(report):
    rt = report["ratios"]
    lines = ["Ratios, ufsearch / peer (below 1: ufsearch faster or smaller):", ""]
    if any(k in rt for k in ("tantivy-jieba", "tantivy-icu", "fts5")):
        lines += ["| vs | index time | p50 top-10 | p99 top-10 |", "|---|---|---|---|"]
        for k in ("tantivy-jieba", "tantivy-icu", "fts5"):
            if k in rt:
                r = rt[k]
                lines.append(f"| {LABELS[k]} | {f_x(r['index_time'])} | {f_x(r['p50'])} | {f_x(r['p99'])} |")
    if "rg" in rt:
        lines += ["", f"- whole process, `ufsearch query {HYPERFINE_QUERIES[0]}` / `rg -l -F -i {HYPERFINE_QUERIES[0]}`: "
                      f"{f_x(rt['rg']['whole_process'])}"]
    c = report.get("icu_ceiling")
    if c:
        lines.append(f"- index throughput vs the {c['cores']}-core ICU ceiling ({c['cores']} x {c['icu_raw_mb_s_cpu_best']:.1f} MB/s "
                     f"raw ICU segmentation, CPU best-pass, from {os.path.relpath(c['source'], REPO)} of {c['measured']}): "
                     f"{c['ufsearch_index_mb_s']:.1f} / {c['ceiling_mb_s']:.1f} MB/s = {c['ratio'] * 100:.0f}%")
    else:
        lines.append("- ICU ceiling: no bench-work/bench-analysis.tsv (run scripts/bench-analysis to add it)")
    for p in report.get("icu_sweep") or []:
        lines.append(f"- index throughput vs raw ICU segmentation of this corpus on {p['threads']} threads at once, one pass, "
                     f"wall clock ({p['when']}; `AnalysisProfile CORPUS sweep`, {p['mb_s']:.1f} MB/s, "
                     f"{p['cpu_s']:.1f} s CPU): {p['index_mb_s']:.1f} / {p['mb_s']:.1f} MB/s = {p['ratio'] * 100:.0f}%")
    return "\n".join(lines)


def server_text(s):
    p = s["ping"]
    lines = [f"Server (`ufsearch serve`, QUERY limit=10 over the {s['queries']} queries; load generator: one Python "
             f"asyncio process on the same cores):", "",
             f"- PING round trip, {p['pings']} sequential on one connection, Python client: p50 {f_ms(p['p50_ms'])}, "
             f"p99 {f_ms(p['p99_ms'])}"]
    if s.get("ping_c"):
        c = s["ping_c"]
        lines.append(f"- the same from C (scripts/ping.c, no Python in the round trip): p50 {f_ms(c['p50_ms'])}, "
                     f"p99 {f_ms(c['p99_ms'])}")
    if s.get("ping_c_pinned"):
        c = s["ping_c_pinned"]
        lines.append(f"- the same from C with the client pinned to its processor (`ping PORT N pin`, as netperf and "
                     f"sockperf are run; the server serves it on the event loop pinned there): p50 {f_ms(c['p50_ms'])}, "
                     f"p99 {f_ms(c['p99_ms'])}")
    lines += [
             "", "| clients | queries/s | p50 | p99 | requests | errors | load generator CPU |", "|---|---|---|---|---|---|---|"]
    for l in s["levels"]:
        lines.append(f"| {l['clients']} | {l['qps']:.0f} | {f_ms(l['p50_ms'])} | {f_ms(l['p99_ms'])} | {l['requests']:,} "
                     f"| {l['errors']} | {l['client_cpu_per_s']:.2f} s/s |")
    if s.get("bare"):
        b = s["bare"]
        lines += ["", f"- the same with `limit=0` (search and count, no hit lines, so no titles or snippets), 1 client: "
                      f"{b['qps']:.0f} queries/s, p50 {f_ms(b['p50_ms'])}, p99 {f_ms(b['p99_ms'])}"]
    if s.get("server_peak_rss_mb"):
        lines += ["", f"- server peak RSS: {s['server_peak_rss_mb']:.0f} MB"]
    return "\n".join(lines)


def worst_text(report, n=8):
    pq = sorted(report["ufsearch"]["per_query"], key=lambda x: -(x["missed"] + x["extra"]))
    pq = [x for x in pq if x["missed"] + x["extra"] > 0][:n]
    if not pq:
        return ""
    lines = ["ufsearch's largest differences from peers.py's truth:", "",
             "| query | truth | ufsearch | missed | of which Latin inside a longer word | extra | of which Trad.→Simp. "
             "| of which Han–space–Han | unexplained (missed + extra) |", "|---|---|---|---|---|---|---|---|---|"]
    for x in pq:
        lines.append(f"| {x['query']} | {x['truth']} | {x['returned']} | {x['missed']} | {x['missed_latin_word']} | "
                     f"{x['extra']} | {x['extra_traditional']} | {x['extra_han_space']} | {x['missed_other'] + x['extra_other']} |")
    return "\n".join(lines)


def main():
    a = argparse.ArgumentParser()
    a.add_argument("--size", required=True)
    a.add_argument("--corpus", required=True)
    a.add_argument("--kit", required=True)
    a.add_argument("--bin", required=True)
    a.add_argument("--work", required=True)
    a.add_argument("--sample", type=int, default=150)
    a.add_argument("--systems", default="rg,fts5,tantivy-jieba,tantivy-icu")
    a.add_argument("--server-seconds", type=float, default=10)
    a.add_argument("--analysis-tsv", default="")
    a.add_argument("--ping-client", default="", help="a build of scripts/ping.c (PINGs without Python)")
    a.add_argument("--icu-sweep", default="", help="a build of Benchmarks' AnalysisProfile (raw ICU on every core)")
    args = a.parse_args()
    t_start = time.perf_counter()
    started = datetime.datetime.now()
    corpus = args.corpus.rstrip("/")
    work = os.path.join(args.work, f"run-{args.size}")
    os.makedirs(work, exist_ok=True)
    report = {"size": args.size, "date": started.isoformat(timespec="seconds"), "machine": machine(),
              "loadavg_start": loadavg()}

    peers = load_peers(args.kit)
    log("loading", corpus, "(peers.load)")
    docs = peers.load(corpus)
    nbytes = sum(len(t.encode()) for _, t in docs)
    docs_norm = [peers.norm(t) for _, t in docs]
    queries = [l.strip() for l in open(os.path.join(args.kit, "queries.txt"), encoding="utf-8") if l.strip()]
    n_hand = len(queries)
    queries += peers.sample_queries(docs, args.sample, peers.random.Random(7))
    truths = [peers.truth(docs_norm, q) for q in queries]
    qfile = os.path.join(work, "queries.txt")
    with open(qfile, "w", encoding="utf-8") as f:
        f.writelines(q + "\n" for q in queries)
    report["corpus"] = {"path": corpus, "realpath": os.path.realpath(corpus), "docs": len(docs), "bytes": nbytes}
    report["queries"] = {"hand_written": n_hand, "sampled": args.sample, "total": len(queries), "file": qfile,
                         "truth_docs": sum(len(t) for t in truths)}
    log(f"corpus {len(docs)} docs {nbytes / 1e6:.1f} MB, {len(queries)} queries ({n_hand} + {args.sample} sampled)")

    # ufsearch: index, size, in-process latency, exactness, whole process, server.
    report["load"] = {"index": loadavg()}
    idx, index = ufsearch_index(args.bin, corpus, work)
    log(f"ufsearch index: {index['wall_s']:.2f} s, peak RSS {index['peak_rss_mb']:.0f} MB: {index['summary']}")
    sweeps = [icu_sweep(args.icu_sweep, corpus, "after the index")]
    u = {"index": index}
    total_bytes = int(index["stats"].get("bytes.total", "0").split()[0] or 0)
    u["index_bytes"] = total_bytes
    u["size_over_text"] = total_bytes / nbytes
    u["mb_s"] = nbytes / 1e6 / index["wall_s"]
    log("ufsearch query --timings: in-process top-10, best of", REPS)
    u["latency"] = ufsearch_latency(args.bin, idx, queries)
    log("ufsearch query --timings --threads 1: in-process top-10 on one thread, best of", REPS)
    u["latency_one_thread"] = ufsearch_latency(args.bin, idx, queries, ("--files", "-n", "10", "--threads", "1"))
    log("ufsearch query --timings --count: every match counted exactly, best of", REPS)
    u["latency_exact_count"] = ufsearch_latency(args.bin, idx, queries, ("--count",))
    inexact = sum(1 for r in u["latency"].get("per_query_total_exact", []) if r is False)
    u["latency"]["queries_total_lower_bound"] = inexact
    log("ufsearch query --files --all: exactness")
    hitsets, errors, unknown, wall = ufsearch_hits(args.bin, idx, queries, corpus, docs)
    rs = peers.recall_stats(queries, truths, hitsets)
    eq = Equivalence(peers, docs_norm)
    classes = {"traditional": 0, "han_space": 0, "other": 0}
    mclasses = {"latin_word": 0, "other": 0}
    per_query = []
    for q, t, h, ms in zip(queries, truths, hitsets, u["latency"]["per_query_ms"]):
        qc = {"traditional": 0, "han_space": 0, "other": 0}
        for i in sorted(h - t):
            qc[eq.classify(q, i)] += 1
        mc = {"latin_word": 0, "other": 0}
        for i in sorted(t - h):
            mc[eq.classify_missed(q, i)] += 1
        for k in classes:
            classes[k] += qc[k]
        for k in mclasses:
            mclasses[k] += mc[k]
        per_query.append({"query": q, "truth": len(t), "returned": len(h), "missed": len(t - h),
                          "missed_latin_word": mc["latin_word"], "missed_other": mc["other"], "extra": len(h - t),
                          "extra_traditional": qc["traditional"], "extra_han_space": qc["han_space"],
                          "extra_other": qc["other"], "top10_ms": ms})
    rs["extra_classes"] = classes
    rs["missed_classes"] = mclasses
    rs["queries_exact_modulo_equivalence"] = sum(1 for x in per_query if x["missed_other"] == 0 and x["extra_other"] == 0)
    rs["errors"] = errors
    rs["unknown_paths"] = unknown[:10]
    rs["wall_s"] = wall
    u["recall"] = rs
    u["per_query"] = per_query
    log(f"ufsearch: {rs['queries_exact']}/{rs['queries_checked']} exact, missed {rs['docs_missed']} ({mclasses}), "
        f"extra {rs['docs_extra']} ({classes})")
    u["hyperfine"] = hyperfine(args.bin, idx, corpus, work)
    report["ufsearch"] = u
    report["load"]["server"] = loadavg()
    report["server"] = server(args.bin, idx, qfile, work, args.server_seconds, args.ping_client or None)

    # Peers, with the same queries (peers.py samples with the same seed; checked below).
    if args.systems != "none":
        report["load"]["peers"] = loadavg()
        pr = run_peers(args.kit, corpus, args.work, args.sample, args.systems, args.size)
        if pr["queries"] != len(queries) or pr["docs"] != len(docs):
            raise SystemExit(f"bench: peers.py saw {pr['docs']} docs / {pr['queries']} queries, we {len(docs)} / {len(queries)}")
        report["peers"] = pr
        if "tantivy-jieba" in pr.get("systems", {}):
            log("Tantivy + jieba query by query (its index from peers.py), split by its exactness")
            theirs = tantivy_jieba_per_query(peers, pr["work"], docs, queries, truths)
            if theirs is not None:
                report["tantivy_jieba_per_query"] = theirs
                report["exactness_split"] = exactness_split(u["latency"]["per_query_ms"], theirs)
        # Index again, after the peers: the machine is shared, and a ratio is only as good as the load was even.
        report["load"]["index_again"] = loadavg()
        _, again = ufsearch_index(args.bin, corpus, work, "ufsearch-index-again")
        shutil.rmtree(os.path.join(work, "ufsearch-index-again"), ignore_errors=True)
        u["index_again"] = {k: again[k] for k in ("wall_s", "cpu_s", "peak_rss_mb", "summary")}
        log(f"ufsearch index again: {again['wall_s']:.2f} s")
        sweeps.append(icu_sweep(args.icu_sweep, corpus, "after the second index"))
    report["ratios"] = ratios(report)
    report["icu_ceiling"] = icu_ceiling(args.analysis_tsv, report["machine"]["nproc"], u["mb_s"])
    report["icu_sweep"] = icu_sweep_report(sweeps, nbytes, index, u.get("index_again"))
    report["loadavg_end"] = loadavg()
    report["wall_s"] = time.perf_counter() - t_start

    m = report["machine"]
    head = (f"## {args.size}: {len(docs):,} documents, {nbytes / 1e6:.1f} MB; {len(queries)} queries "
            f"({n_hand} from queries.txt + {args.sample} sampled), {report['queries']['truth_docs']:,} truth documents\n\n"
            f"{started:%Y-%m-%d %H:%M}, commit {m['commit']}, {m['nproc']} cores ({m['cpu']}), {m['mem_total_gb']} GB "
            f"RAM, load average {report['loadavg_start']} → {report['loadavg_end']}\n")
    le = u.get("latency_exact_count", {})
    l1 = u.get("latency_one_thread", {})
    tj = ((report.get("peers") or {}).get("systems") or {}).get("tantivy-jieba")
    notes = ["", "- p50/p99: in-process top-10 search, best of 3 per query (ufsearch: `query --timings`, parse + match + "
             "rank, no snippets; rg: a whole process per query, single-word queries only). ufsearch counts matches "
             "exactly up to 1,000 and then skips, unverified, documents that cannot enter the top 10 (its total becomes "
             f"a lower bound, as Lucene's totalHitsThreshold: {u['latency'].get('queries_total_lower_bound', 0)} of the "
             "queries here); Tantivy (tantivy-py's search, count=True) counts every hit. ufsearch counting every match "
             f"exactly (`query --timings --count`): p50 {f_ms(le.get('p50_ms'))}, p99 {f_ms(le.get('p99_ms'))}.",
             "- threads: a ranked page hands ufsearch's segments out to up to one thread per core (here "
             f"{report['machine']['nproc']}); tantivy-py's search runs on one. ufsearch on one thread (`query --timings "
             f"--threads 1`): p50 {f_ms(l1.get('p50_ms'))}, p99 {f_ms(l1.get('p99_ms'))}"
             + (f" ({l1['p50_ms'] / tj['p50_ms']:.2f}x and {l1['p99_ms'] / tj['p99_ms']:.2f}x Tantivy + jieba's)"
                if tj and l1.get('p50_ms') and tj.get('p50_ms') and tj.get('p99_ms') else "") + ".",
             f"- ufsearch index: `ufsearch index` into a fresh directory over the corpus's year folders, wall time; size = "
             f"`bytes.total` ({u['index_bytes'] / 1e6:.1f} MB, document store included) / text. Its CPU time (user + "
             f"sys): {index['cpu_s']:.1f} s, {nbytes / 1e6 / max(index['cpu_s'], 1e-9):.1f} MB per CPU second, on average "
             f"{index['cpu_s'] / index['wall_s']:.2f} cores busy.",
             "- docs missed / extra: against peers.py's truth (every word a substring after NFKC + casefold). ufsearch's "
             "own definition also maps Traditional→Simplified and drops whitespace between two Han characters (spaces and "
             "line breaks); its extras are split by which of these explains them (ICU Traditional-Simplified, then "
             "Han–space–Han), \"other\" being neither; its misses likewise: ufsearch matches Latin words and numbers as "
             "whole runs of letters and digits, so `linux` does not match inside `skolelinux` (checked approximately).",
             f"- ufsearch queries whose differences from the truth are all explained so: {rs['queries_exact_modulo_equivalence']} / "
             f"{rs['queries_checked']} (documents that only ufsearch's wider definition would add, and ufsearch missed, are not "
             "counted: that needs the whole corpus transformed)."]
    slow = sorted((x for x in per_query if x["top10_ms"] is not None), key=lambda x: -x["top10_ms"])[:5]
    notes.append("- ufsearch's slowest top-10 queries: " + ", ".join(
        f"{x['query']} {f_ms(x['top10_ms'])} ({x['returned']:,} matches)" for x in slow) + ".")
    notes.append("- whole process (hyperfine -N, 3 warm-ups + 30 runs, median): " + ", ".join(
        f"`{'rg -l -F -i ' + h['name'][3:] if h['name'].startswith('rg:') else 'ufsearch query ' + h['name']}` "
        f"{f_ms(h['median_ms'])}" for h in u["hyperfine"]) + ".")
    if "index_again" in u:
        ag = u["index_again"]
        tj = report["peers"]["systems"].get("tantivy-jieba", {}).get("index_s")
        notes.append(f"- ufsearch index again after peers.py (noise check): {ag['wall_s']:.2f} s wall, {ag['cpu_s']:.1f} s CPU"
                     + (f"; index time / Tantivy + jieba would be {ag['wall_s'] / tj:.2f}x" if tj else "")
                     + f". Load average (1, 5, 15 min) at the start of each phase: "
                     + ", ".join(f"{k} {v}" for k, v in report["load"].items()) + ".")
    if report.get("exactness_split"):
        notes.append(exactness_split_text(report["exactness_split"]))
    if "peers" in report:
        notes.append(f"- peers.py: one process for all peers ({report['peers']['wall_s']:.0f} s), peak RSS "
                     f"{report['peers']['peak_rss_mb']:.0f} MB (it holds the corpus in memory twice).")
    if index["warning_count"]:
        notes.append(f"- ufsearch index printed {index['warning_count']} warnings, e.g. {index['warnings'][0]}")
    if errors:
        notes.append(f"- ufsearch query errors: {json.dumps(errors, ensure_ascii=False)}")
    md = "\n\n".join(x for x in [head + "\n" + table(report) + "\n" + "\n".join(notes), ratios_text(report),
                                 server_text(report["server"]), worst_text(report)] if x) + "\n"
    report["markdown"] = md
    stamp = started.strftime("%Y-%m-%d-%H%M")
    base = os.path.join(args.work, f"bench-{args.size}-{stamp}")
    with open(base + ".json", "w", encoding="utf-8") as f:
        json.dump(report, f, ensure_ascii=False, indent=1)
    with open(base + ".md", "w", encoding="utf-8") as f:
        f.write(md)
    print(md)
    log(f"done in {report['wall_s']:.0f} s: {base}.json, {base}.md")


if __name__ == "__main__":
    main()
