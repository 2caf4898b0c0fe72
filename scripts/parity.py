#!/usr/bin/env python3
"""Grep-parity check: ufsearch's hits against an independent exact truth.

usage: parity.py CORPUS_DIR --index DIR [--bin PATH] [--queries FILE] [--sample N] [--seed S]
                 [--details N] [--no-whole-string-check] [--strict-tokens]   (all options: --help)
       parity.py --write-edge-corpus OUT

The truth is computed here, without the engine, from the definition of grep parity:

  normalise(text) = NFKC_Casefold(T2S(NFKC_Casefold(text))), T2S being ICU's "Traditional-Simplified"
  transliterator applied character by character; then whitespace (Unicode White_Space) between two
  Han characters is removed. Han = U+4E00-9FFF, U+3400-4DBF, U+20000-3FFFF, U+F900-FAFF, U+3005, U+3007.

  A query is split on whitespace into words (AND); each word is normalised the same way. A document
  matches when its normalised text contains every normalised word. Words that contain Latin letters or
  digits are "token" words: ufsearch matches letter/digit runs as whole tokens, so an occurrence counts
  only when a letter/digit run at either end of the word does not run on in the document into another
  letter or digit (ufsearch cuts the words ICU joins across '.', ',', an apostrophe or '_' there, so
  those marks end a run). Queries with such words are reported apart and do not fail the check
  (--strict-tokens: they do).

Queries: every line of --queries (default: ../shared/bench/queries.txt beside the repo), plus --sample
distinct substrings of 2-6 Han characters drawn deterministically from the raw corpus (as peers.py
does), plus variants and extra classes: the Traditional form (ICU "Simplified-Traditional") of each
sampled and file query that changes; Han text that crosses whitespace or characters normalisation
removes (line breaks, U+3000, U+200B, soft hyphen) in the raw text, without them; compatibility
ideographs and Kangxi radicals in place of the unified characters they normalise to; AND queries of
2-3 sampled words; one-character queries and document ends; Han with CJK punctuation (reported only);
full-width / half-width / case / U+3000-separated forms of the file's queries with ASCII.
--write-edge-corpus OUT writes a hand-made corpus of corner cases (every White_Space kind between Han,
default-ignorable characters, enclosed and compatibility ideographs, astral Han, 々 and 〇, Traditional
words ICU maps in context) with its queries.

Also printed, as facts about the corpus: how many documents whole-string T2S would normalise
differently from per-character T2S, and how many ICU's NFKC_Casefold normalises differently from
Python's NFKC + str.casefold (peers.py's truth).

The engine is run once: `ufsearch query --index DIR --files --all -` with every query on stdin.
Files: every regular file under CORPUS_DIR whose name ends in .txt, hidden entries skipped, read as
UTF-8 (bytes, no newline translation). Engine hits on other files (manifest.tsv, say) are ignored and
counted. Engine paths relative to the folder that holds the index are taken from there (ufsearch keys
documents so: Sources/UFIndex/DocumentPath.swift), unless --index-cwd names another folder.

Exit status: 0 when every Han query matches exactly, 1 on any Han mismatch (or engine error on one),
2 on a usage or setup error.
"""
import argparse, bisect, json, os, random, re, subprocess, sys, time, unicodedata

try:
    import icu
except ImportError:  # pragma: no cover
    sys.exit("parity.py: needs PyICU (pip install pyicu); see scripts/tests/parity.sh")

HERE = os.path.dirname(os.path.abspath(__file__))
HAN_CLASS = "\u4e00-\u9fff\u3400-\u4dbf\U00020000-\U0003ffff\uf900-\ufaff\u3005\u3007"
HAN_RE = re.compile("[" + HAN_CLASS + "]")
SAMPLE_RUN_RE = re.compile(r"[\u4e00-\u9fff]{2,}")  # as peers.py samples


def is_han(ch):
    return bool(HAN_RE.match(ch))


def white_space_chars():
    """Every code point with the Unicode White_Space property, from ICU (not from Python's isspace)."""
    return "".join(chr(c) for c in range(0x110000)
                   if (c < 0xD800 or c > 0xDFFF) and icu.Char.hasBinaryProperty(c, icu.UProperty.WHITE_SPACE))


WS = white_space_chars()
WS_CLASS = "".join("\\u%04x" % ord(c) for c in WS)
HAN_WS_HAN_RE = re.compile("(?<=[" + HAN_CLASS + "])[" + WS_CLASS + "]+(?=[" + HAN_CLASS + "])")
# Python's str.isspace() set, for a diagnostic alternative (it adds U+001C-001F).
PY_WS_CLASS = "".join("\\u%04x" % c for c in range(0x110000) if (c < 0xD800 or c > 0xDFFF) and chr(c).isspace())
PY_HAN_WS_HAN_RE = re.compile("(?<=[" + HAN_CLASS + "])[" + PY_WS_CLASS + "]+(?=[" + HAN_CLASS + "])")


def is_alnum(ch):
    """A letter or digit that ufsearch treats as part of a word token (not Han, not kana)."""
    return ch.isalnum() and not is_han(ch) and not ("\u3040" <= ch <= "\u30ff" or "\u31f0" <= ch <= "\u31ff")


class Norm:
    """The reference normaliser (see the module doc)."""

    def __init__(self):
        self.nfkc_cf = icu.Normalizer2.getNFKCCasefoldInstance()
        self.t2s = icu.Transliterator.createInstance("Traditional-Simplified")
        self.s2t = icu.Transliterator.createInstance("Simplified-Traditional")
        self.t2s_map = {}  # code point -> replacement, only for characters T2S changes

    def t2s_per_char(self, s):
        todo = {c for c in set(s) if ord(c) not in self.t2s_map}
        for c in todo:
            self.t2s_map[ord(c)] = self.t2s.transliterate(c)
        return s.translate(self.t2s_map)

    def base(self, s, whole_string_t2s=False):
        """NFKC_Casefold, T2S, NFKC_Casefold; no whitespace rule."""
        a = self.nfkc_cf.normalize(s)
        b = self.t2s.transliterate(a) if whole_string_t2s else self.t2s_per_char(a)
        return self.nfkc_cf.normalize(b)

    def __call__(self, s, whole_string_t2s=False):
        return HAN_WS_HAN_RE.sub("", self.base(s, whole_string_t2s))

    def with_offsets(self, raw):
        """(normalised text, raw offset of each normalised char), code point by code point; diagnostics only."""
        out, offs = [], []
        for i, ch in enumerate(raw):
            for m in self.base(ch):
                out.append(m); offs.append(i)
        # Whitespace rule, keeping offsets.
        text = "".join(out)
        keep = [True] * len(text)
        for m in HAN_WS_HAN_RE.finditer(text):
            for k in range(m.start(), m.end()):
                keep[k] = False
        return "".join(c for c, k in zip(text, keep) if k), [o for o, k in zip(offs, keep) if k]


def load(corpus):
    """[(relpath, raw text)] for every .txt file, sorted; hidden entries skipped like ufsearch does."""
    docs, bad = [], []
    for root, dirs, files in os.walk(corpus):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for f in sorted(files):
            if f.startswith(".") or not f.endswith(".txt"):
                continue
            p = os.path.join(root, f)
            data = open(p, "rb").read()
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError as e:
                bad.append((p, str(e)))
                continue
            docs.append((os.path.relpath(p, corpus), text))
    docs.sort()
    return docs, bad


def random_matches(docs, pattern, rng, tries, done):
    """Up to `tries` times, while `done()` is false: a random document, and when `pattern` matches in it, one of
    its matches at random (yielded). The random draws come in peers.py's order, so that callers sample what it
    samples: the document, then the match."""
    for _ in range(tries):
        if done():
            return
        _, t = rng.choice(docs)
        ms = pattern.findall(t)
        if ms:
            yield rng.choice(ms)


def sample_queries(docs, n, rng):
    """peers.py's sampler (without repeats): n distinct substrings of 2-6 Han characters (U+4E00-9FFF) of the raw texts."""
    qs, seen = [], set()
    for run in random_matches(docs, SAMPLE_RUN_RE, rng, n * 200, lambda: len(qs) >= n):
        L = rng.choice([2, 2, 3, 4, 4, 5, 6])
        if len(run) < L:
            continue
        i = rng.randrange(0, len(run) - L + 1)
        q = run[i:i + L]
        if q not in seen:
            seen.add(q); qs.append(q)
    return qs


def span_queries(norm, docs, n, rng):
    """Han text that crosses characters normalisation removes or whitespace (a line break, U+3000,
    U+200B, a soft hyphen) in the raw text; the query leaves them out. Taken round-robin over the
    kinds of separator so that rare ones are not crowded out."""
    pat = re.compile("([" + HAN_CLASS + "]{1,3})([^" + HAN_CLASS + "]{1,4})([" + HAN_CLASS + "]{1,3})")
    by_sep, vanishes = {}, {}
    for _, t in docs:
        for m in pat.finditer(t):
            sep = m.group(2)
            if sep not in vanishes:
                vanishes[sep] = norm.base(sep).strip(WS) == ""
            if vanishes[sep]:
                by_sep.setdefault(sep, set()).add(m.group(1) + m.group(3))
    pools = []
    for sep in sorted(by_sep, key=lambda k: (len(by_sep[k]), k)):
        qs = sorted(by_sep[sep])
        rng.shuffle(qs)
        pools.append(qs)
    out = []
    while len(out) < n and any(pools):
        for qs in pools:
            if qs and len(out) < n:
                out.append(qs.pop())
    return out


def single_queries(docs_norm, n, rng):
    """One-character queries (the engine's prefix-scan path) and the last one or two Han characters of
    documents: half from characters standing alone between non-Han text, half from document ends."""
    iso = {}
    lone = re.compile("(?<![" + HAN_CLASS + "])[" + HAN_CLASS + "](?![" + HAN_CLASS + "])")
    for d in docs_norm:
        for m in lone.finditer(d):
            iso[m.group()] = iso.get(m.group(), 0) + 1
    chars = sorted(iso, key=lambda c: (iso[c], c))
    out = chars[:n // 4] + chars[-(n // 4):] if len(chars) > n // 2 else chars
    ends = []
    for d in rng.sample(docs_norm, min(len(docs_norm), n)):
        h = [c for c in d[-200:] if is_han(c)]
        if h:
            ends.append("".join(h[-2:]) if len(ends) % 2 else h[-1])
    return list(dict.fromkeys(out + ends))[:n]


def and_queries(sampled, n, rng):
    """Two or three sampled queries joined by spaces (AND), and some with a word inside another."""
    out = []
    pool = sorted(set(sampled))
    if len(pool) < 3:
        return out
    for k in range(n):
        if k % 5 == 4:
            q = rng.choice([x for x in pool if len(x) >= 3])
            out.append(q + " " + q[1:])  # one word contains the other
        else:
            out.append(" ".join(rng.sample(pool, 2 if k % 3 else 3)))
    return out


def punct_queries(docs, n, rng):
    """Raw substrings of 4-10 characters with Han and punctuation (no letters, digits or whitespace)."""
    pat = re.compile("[" + HAN_CLASS + "]+[\u3001-\u3003\u3008-\u3011\uff01-\uff0f\uff1a-\uff1f\u2014\u2026\u201c\u201d\u00b7]+[" + HAN_CLASS + "]+")
    out = []
    for m in random_matches(docs, pat, rng, n * 100, lambda: len(out) >= n):
        L = min(len(m), rng.randint(4, 10))
        i = rng.randrange(0, len(m) - L + 1)
        q = m[i:i + L]
        if not any(is_han(c) for c in q) or all(is_han(c) for c in q) or '"' in q:
            continue
        out.append(q)
    return out


def compat_variants(norm, queries, n):
    """Sampled queries with one character replaced by a compatibility ideograph or Kangxi radical
    that NFKC maps to it."""
    inv = {}
    for c in list(range(0xF900, 0xFB00)) + list(range(0x2F00, 0x2FE0)) + list(range(0x2E80, 0x2F00)):
        ch = chr(c)
        if unicodedata.category(ch) == "Cn":
            continue
        m = norm.nfkc_cf.normalize(ch)
        if len(m) == 1 and is_han(m) and m != ch:
            inv.setdefault(m, ch)
    out = []
    for q in queries:
        for i, ch in enumerate(q):
            if ch in inv:
                out.append(q[:i] + inv[ch] + q[i + 1:])
                break
        if len(out) >= n:
            break
    return out


def width_variants(q):
    """Full-width, half-width and U+3000-separated forms of a query with ASCII or full-width ASCII."""
    out = []
    if re.search(r"[!-~]", q):
        out.append("".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in q))
        out.append(q.upper()); out.append(q.lower())
    if re.search("[\uff01-\uff5e]", q):
        out.append("".join(chr(ord(c) - 0xFEE0) if "\uff01" <= c <= "\uff5e" else c for c in q))
    if " " in q:
        out.append(q.replace(" ", "\u3000"))
    return [v for v in out if v != q]

# Hand-made documents for the corners of the definition: (document text, queries). Each text is one
# line of its own; a Latin filler line keeps control characters well under 1% of the document.
EDGE_CASES = [
    # Whitespace between Han: every White_Space kind, runs, mixed with characters NFKC_Casefold removes.
    ("统一\n战线", ["统一战线", "一战"]),
    ("统一\r\n战线工作", ["统一战线工作", "一战"]),
    ("统一\r战线方针", ["统一战线方针", "一战"]),
    ("民族\u3000团结进步", ["民族团结进步", "族团"]),
    ("民族\u00a0团结示范", ["民族团结示范", "族团"]),
    ("民族\u2002\u2003团结创建", ["民族团结创建"]),
    ("宗教\t中国化方向", ["宗教中国化方向", "教中"]),
    ("宗教\x0b中国化道路", ["宗教中国化道路"]),
    ("宗教\x0c中国化实践", ["宗教中国化实践"]),
    ("宗教\x85中国化研究", ["宗教中国化研究"]),
    ("宗教\u2028中国化理论", ["宗教中国化理论"]),
    ("宗教\u2029中国化成果", ["宗教中国化成果"]),
    ("宗教\u1680中国化进程", ["宗教中国化进程"]),
    ("宗教\u202f中国化经验", ["宗教中国化经验"]),
    ("宗教\u205f中国化要求", ["宗教中国化要求"]),
    ("宗教\x1c中国化任务", ["宗教中国化任务", "教\x1c中"]),  # U+001C: isspace() in Python, not White_Space
    ("乡村\n\n\n  \t 振兴战略", ["乡村振兴战略"]),
    ("乡村\u200b振兴规划", ["乡村振兴规划"]),
    ("乡村\u00ad振兴示范", ["乡村振兴示范"]),
    ("乡村\ufeff振兴试点", ["乡村振兴试点"]),
    ("乡村\u2060振兴项目", ["乡村振兴项目"]),
    ("乡村\u200d振兴工程", ["乡村振兴工程"]),
    ("乡村\u3164振兴行动", ["乡村振兴行动"]),  # Hangul filler: NFKC_Casefold removes it
    ("乡村 \u200b 振兴资金", ["乡村振兴资金"]),
    ("乡村\u200b\n振兴基金", ["乡村振兴基金"]),
    ("乡村\ufe00振兴银行", ["乡村振兴银行"]),  # variation selector after Han
    ("乡村\U000e0100振兴政策", ["乡村振兴政策"]),  # ideographic variation selector
    ("乡村\u034f振兴产业", ["乡村振兴产业"]),  # combining grapheme joiner
    ("乡村\u0301振兴人才", ["乡村振兴人才", "村振"]),  # a real combining mark stays: no match
    ("乡村\u3002振兴文化", ["乡村振兴文化"]),  # ideographic full stop: no match
    ("乡村 a 振兴生态", ["乡村振兴生态"]),  # Latin between: the spaces stay
    ("\ufeff开头汉字测试", ["开头汉字"]),  # a leading BOM
    # Han produced by NFKC from non-Han, and whitespace between it and Han.
    ("第\u3280条规定", ["第一条规定", "第\u3280条"]),
    ("第\u3280 条款内容", ["第一条款内容"]),
    ("\u2f00\u2f08\u2f09部门", ["一人儿部门"]),  # Kangxi radicals
    ("\u2e9f亲节日", ["母亲节日"]),  # CJK radical supplement
    ("\U0001f21a限责任", ["无限责任"]),  # squared ideograph
    ("\u337b元年记录", ["平成元年记录"]),  # square era name
    ("\u3220依法治理", ["依法治理"]),  # parenthesised ideograph: (一) then Han
    # Han ranges: compatibility ideographs, extension A, astral, 々 and 〇.
    ("\uf900然之间", ["岂然之间", "\uf900然", "豈然"]),
    ("\ufa0e神社名", ["\ufa0e神社", "神社名"]),  # a compatibility ideograph without a mapping
    ("\U0002f800字兼容", ["丽字兼容"]),  # astral compatibility ideograph
    ("扩展\u3405字符", ["扩展\u3405字符", "\u3405字"]),
    ("扩展\U00020000字符测试", ["扩展\U00020000字符", "\U00020000字"]),
    ("扩展\U0002a6a5 \n字符实验", ["扩展\U0002a6a5字符实验"]),
    ("扩展\U00030000\u3000字符研究", ["扩展\U00030000字符研究"]),
    ("人々\n生活", ["人々生活", "々生"]),
    ("二\u3007 二四年", ["二\u3007二四年"]),
    ("\u3007\u3000年份", ["\u3007年份"]),
    # Traditional: per character (著→着), including words ICU's transliterator maps in context.
    ("螢幕顯示著名著作計畫", ["萤幕", "荧幕", "著名", "着名", "計畫", "计画", "计划", "显示着名"]),
    ("頭髮發展於裏", ["头发发展于里", "頭發", "髮"]),
    ("統一 戰線工作會議", ["统一战线工作会议", "統一戰線"]),
    # Full-width and Latin next to Han.
    ("数据\uff21\uff22管理", ["数据ab管理", "数据管理"]),
    ("数据 AB 管理办法", ["数据管理办法"]),
]


def write_edge_corpus(out):
    """Writes EDGE_CASES as OUT/corpus/eNNN.txt and their queries as OUT/queries.txt."""
    os.makedirs(os.path.join(out, "corpus"), exist_ok=True)
    filler = " ".join(["lorem ipsum dolor sit amet"] * 40)
    qs = []
    for i, (text, queries) in enumerate(EDGE_CASES):
        with open(os.path.join(out, "corpus", f"e{i:03d}.txt"), "wb") as f:
            f.write((text + "\n" + filler + "\n").encode("utf-8"))
        for q in queries:
            if q not in qs:
                qs.append(q)
    with open(os.path.join(out, "queries.txt"), "w", encoding="utf-8") as f:
        for q in qs:
            f.write(q + "\n")


class Truth:
    """All normalised documents in one string, separated by U+0000 (never in normalised text)."""

    def __init__(self, docs_norm):
        self.starts = []
        parts, pos = [], 0
        for d in docs_norm:
            self.starts.append(pos)
            parts.append(d); parts.append("\0")
            pos += len(d) + 1
        self.big = "".join(parts)
        self.docs = docs_norm

    def doc_of(self, pos):
        return bisect.bisect_right(self.starts, pos) - 1

    def plain(self, w):
        """Docs containing w."""
        res, big, i = set(), self.big, 0
        while True:
            i = big.find(w, i)
            if i < 0:
                return res
            d = self.doc_of(i)
            res.add(d)
            i = self.starts[d + 1] if d + 1 < len(self.starts) else len(big)

    def token(self, w):
        """Docs containing w where a letter/digit run at either end of w is a whole token in the doc."""
        head, tail = is_alnum(w[0]), is_alnum(w[-1])
        res, big, i = set(), self.big, 0
        while True:
            i = big.find(w, i)
            if i < 0:
                return res
            d = self.doc_of(i)
            e = i + len(w)
            if not (head and joined(big, i)) and not (tail and joined(big, e)):
                res.add(d)
                i = self.starts[d + 1] if d + 1 < len(self.starts) else len(big)
            else:
                i += 1


def joined(s, k):
    """True when s[k-1] and s[k] belong to one word token in ufsearch: two letters or digits (ICU's
    words joined across punctuation, as 2019,2020 or debian.org, are cut at the punctuation)."""
    if k <= 0 or k >= len(s):
        return False
    return is_alnum(s[k - 1]) and is_alnum(s[k])


def split_words(q):
    """A query's words: split on Unicode White_Space (Python's str.split() would also split on U+001C-001F)."""
    return [w for w in re.split("[" + WS_CLASS + "]+", q) if w]


def classify(nwords):
    """'han' when every normalised word is Han only; 'token' when a word has a letter or digit; else
    'punct' (Han with punctuation or symbols, matched as plain substrings here)."""
    if all(w and all(is_han(c) for c in w) for w in nwords):
        return "han"
    return "token" if any(is_alnum(c) for w in nwords for c in w) else "punct"


def visible(s):
    """A string with whitespace and invisible characters spelled out."""
    out = []
    for c in s:
        cat = unicodedata.category(c)
        if c == "\n": out.append("⏎")
        elif c == "\r": out.append("␍")
        elif c == "\t": out.append("⇥")
        elif c == " ": out.append("·")
        elif cat in ("Cc", "Cf", "Zs", "Zl", "Zp", "Mn", "Co", "Cn") or c in WS:
            out.append("<U+%04X>" % ord(c))
        else:
            out.append(c)
    return "".join(out)


def run_engine(binary, index, queries):
    """{query: (set of paths, error or None)} from one `query --files --all -` run."""
    t = time.perf_counter()
    p = subprocess.run([binary, "query", "--index", index, "--files", "--all", "-"],
                       input="\n".join(queries) + "\n", capture_output=True, text=True)
    dt = time.perf_counter() - t
    if p.returncode not in (0, 1):
        sys.stderr.write(p.stderr)
        sys.exit(f"parity.py: {binary} query exited {p.returncode}")
    res = {q: [set(), None, False] for q in queries}
    unknown = 0
    for line in p.stdout.splitlines():
        o = json.loads(line)
        q = o.get("query")
        if q not in res:
            unknown += 1
            continue
        res[q][2] = True
        if "path" in o: res[q][0].add(o["path"])
        if "error" in o: res[q][1] = o["error"]
    return res, dt, unknown, p.stderr


def main():
    a = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    a.add_argument("corpus", nargs="?")
    a.add_argument("--index")
    a.add_argument("--bin", default=os.environ.get("UFSEARCH_BIN", os.path.join(HERE, "..", ".build", "debug", "ufsearch")))
    a.add_argument("--queries", default=os.path.join(HERE, "..", "..", "shared", "bench", "queries.txt"))
    a.add_argument("--sample", type=int, default=500, help="sampled Han queries (default 500)")
    a.add_argument("--spans", type=int, default=100, help="queries across whitespace in the raw text (default 100)")
    a.add_argument("--compat", type=int, default=40, help="compatibility-ideograph variants (default 40)")
    a.add_argument("--and-queries", type=int, default=100, help="multi-word (AND) Han queries (default 100)")
    a.add_argument("--single", type=int, default=40, help="one-character and document-end queries (default 40)")
    a.add_argument("--punct", type=int, default=50, help="Han+punctuation queries, reported only (default 50)")
    a.add_argument("--seed", type=int, default=7)
    a.add_argument("--details", type=int, default=20, help="mismatches shown in detail (default 20)")
    a.add_argument("--index-cwd", default=None,
                   help="folder relative engine paths start from (default: the folder holding the index)")
    a.add_argument("--no-whole-string-check", action="store_true",
                   help="skip comparing per-character T2S with whole-string T2S on the corpus")
    a.add_argument("--strict-tokens", action="store_true", help="token-query mismatches fail too")
    a.add_argument("--write-edge-corpus", metavar="OUT", help="write the hand-made edge corpus to OUT/corpus "
                   "and its queries to OUT/queries.txt, then exit (CORPUS is ignored)")
    args = a.parse_args()
    if args.index_cwd is None and args.index:
        args.index_cwd = os.path.dirname(os.path.abspath(args.index))
    if args.write_edge_corpus:
        write_edge_corpus(args.write_edge_corpus)
        return 0
    if not args.corpus or not args.index:
        a.error("CORPUS and --index are required")

    t0 = time.perf_counter()
    norm = Norm()
    docs, bad = load(args.corpus)
    if not docs:
        sys.exit(f"parity.py: no .txt documents under {args.corpus}")
    for p, e in bad:
        print(f"warning: not UTF-8, left out of the truth: {p}: {e}")
    docs_norm = [norm(t) for _, t in docs]
    truth = Truth(docs_norm)
    t_norm = time.perf_counter() - t0
    nchars = sum(len(t) for _, t in docs)
    print(f"corpus {args.corpus}: {len(docs)} docs, {nchars} chars; normalised in {t_norm:.1f}s")

    # Whole-string T2S against per-character T2S.
    if not args.no_whole_string_check:
        t = time.perf_counter()
        diff_docs, examples = 0, []
        for (p, raw), n in zip(docs, docs_norm):
            w = norm(raw, whole_string_t2s=True)
            if w != n:
                diff_docs += 1
                if len(examples) < 5:
                    i = next(k for k in range(min(len(w), len(n))) if w[k] != n[k]) if any(
                        x != y for x, y in zip(w, n)) else min(len(w), len(n))
                    examples.append((p, n[max(0, i - 8):i + 8], w[max(0, i - 8):i + 8]))
        print(f"whole-string vs per-character T2S: {diff_docs} of {len(docs)} docs differ "
              f"({time.perf_counter() - t:.1f}s)")
        for p, n, w in examples:
            print(f"  {p}: per-char {visible(n)!s} | whole-string {visible(w)!s}")

        # ICU's NFKC_Casefold against Python's NFKC + str.casefold (peers.py's truth), before T2S.
        t = time.perf_counter()
        diff_docs, chars = 0, {}
        for _, raw in docs:
            a_ = norm.nfkc_cf.normalize(raw)
            b_ = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", raw).casefold())
            if a_ != b_:
                diff_docs += 1
                for c in set(raw):
                    if norm.nfkc_cf.normalize(c) != unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", c).casefold()):
                        chars[c] = chars.get(c, 0) + 1
        print(f"ICU NFKC_Casefold vs Python NFKC+casefold: {diff_docs} of {len(docs)} docs differ "
              f"({time.perf_counter() - t:.1f}s)" + (": characters " + ", ".join(
                  f"U+{ord(c):04X} in {k} docs" for c, k in sorted(chars.items(), key=lambda x: -x[1])[:8]) if chars else ""))

    # Queries.
    rng = random.Random(args.seed)
    file_qs = []
    if args.queries and os.path.exists(args.queries):
        file_qs = [l.strip(WS) for l in open(args.queries, encoding="utf-8", newline="\n") if l.strip(WS)]
    elif args.queries:
        print(f"warning: no query file {args.queries}")
    sampled = sample_queries(docs, args.sample, rng)
    classes = {}  # query -> class label; first label wins

    def add(q, label):
        if q and q not in classes and not re.search(r"[\"“”「」()]", q) and not q.startswith("-"):
            classes[q] = label

    for q in file_qs: add(q, "file")
    for q in sampled: add(q, "sampled")
    for q in sampled: add(norm.s2t.transliterate(q), "traditional")
    for q in span_queries(norm, docs, args.spans, rng): add(q, "span")
    for q in compat_variants(norm, sampled, args.compat): add(q, "compat")
    for q in and_queries(sampled, args.and_queries, rng): add(q, "and")
    for q in single_queries(docs_norm, args.single, rng): add(q, "single")
    for q in punct_queries(docs, args.punct, rng): add(q, "punct")
    for q in file_qs:
        for v in width_variants(q): add(v, "width")
        tq = norm.s2t.transliterate(q)
        add(tq, "traditional")
    queries = list(classes)

    t = time.perf_counter()
    info = {}
    for q in queries:
        words = split_words(q)
        nwords = [norm(w) for w in words]
        kind = classify(nwords)
        docs_set = None
        for w in nwords:
            s = truth.plain(w) if kind == "han" or not any(is_alnum(c) for c in w) else truth.token(w)
            docs_set = s if docs_set is None else docs_set & s
        info[q] = (kind, nwords, docs_set or set())
    t_truth = time.perf_counter() - t
    print(f"{len(queries)} queries ({', '.join(f'{k} {sum(1 for v in classes.values() if v == k)}' for k in ['file', 'sampled', 'traditional', 'span', 'compat', 'and', 'single', 'punct', 'width'])}); "
          f"truth in {t_truth:.1f}s")

    res, t_engine, unknown, stderr = run_engine(args.bin, args.index, queries)
    print(f"engine: {len(queries)} queries in {t_engine:.1f}s" + (f", {unknown} unrecognised output lines" if unknown else ""))

    path_to_doc = {p: i for i, (p, _) in enumerate(docs)}
    corpus_abs = os.path.abspath(args.corpus)
    ignored_hits = 0
    stats = {"han": [0, 0, 0, 0], "punct": [0, 0, 0, 0], "token": [0, 0, 0, 0]}  # queries, exact, missed, extra
    by_class = {}
    mismatches = []
    for q in queries:
        kind, nwords, tset = info[q]
        paths, err, seen = res[q]
        got, foreign = set(), set()
        for p in paths:
            rel = os.path.relpath(os.path.join(args.index_cwd, p), corpus_abs)
            if rel in path_to_doc:
                got.add(path_to_doc[rel])
            elif rel.endswith(".txt"):
                foreign.add(rel)
            else:
                ignored_hits += 1
        missed, extra = tset - got, got - tset
        st = stats[kind]
        st[0] += 1
        c = by_class.setdefault((classes[q], kind), [0, 0])
        c[0] += 1
        ok = not missed and not extra and not foreign and err is None and seen
        if ok:
            st[1] += 1; c[1] += 1
        else:
            st[2] += len(missed); st[3] += len(extra) + len(foreign)
            mismatches.append((q, kind, nwords, tset, missed, extra, foreign, err, seen))

    han, tok, pun = stats["han"], stats["token"], stats["punct"]
    print(f"parity: {han[0]} queries, {han[1]} exact, {han[2]} docs missed, {han[3]} docs extra")
    strict = "; strict" if args.strict_tokens else ""
    print(f"token queries (letters/digits, whole-token truth, reported only{strict}): "
          f"{tok[0]} queries, {tok[1]} exact, {tok[2]} docs missed, {tok[3]} docs extra")
    print(f"punctuation queries (Han with punctuation/symbols, substring truth, reported only{strict}): "
          f"{pun[0]} queries, {pun[1]} exact, {pun[2]} docs missed, {pun[3]} docs extra")
    print("by class: " + ", ".join(f"{cl}/{k} {v[1]}/{v[0]}" for (cl, k), v in sorted(by_class.items())))
    if ignored_hits:
        print(f"({ignored_hits} engine hits on non-.txt files ignored)")
    print(f"truth docs: {sum(len(i[2]) for i in info.values())} over all queries")

    # Details: Han mismatches first.
    mismatches.sort(key=lambda m: (m[1] != "han",))
    for q, kind, nwords, tset, missed, extra, foreign, err, seen in mismatches[:args.details]:
        print(f"\nMISMATCH [{classes[q]}/{kind}] query {q!r} normalised {' '.join(nwords)!r}: "
              f"truth {len(tset)} docs, missed {len(missed)}, extra {len(extra) + len(foreign)}")
        if err: print(f"  engine error: {err}")
        if not seen: print("  engine printed nothing for this query")
        for label, ids in (("missed", missed), ("extra", extra)):
            for d in sorted(ids)[:2]:
                print(f"  {label} {docs[d][0]}: {explain(norm, docs[d][1], docs_norm[d], nwords, label)}")
        for p in sorted(foreign)[:2]:
            print(f"  extra (not a corpus .txt file) {p}")
    if len(mismatches) > args.details:
        print(f"\n... {len(mismatches) - args.details} more mismatching queries")
    print(f"\ntotal {time.perf_counter() - t0:.1f}s")
    failed = han[2] + han[3] > 0 or han[0] != han[1] or (args.strict_tokens and (tok[0] != tok[1] or pun[0] != pun[1]))
    return 1 if failed else 0


def explain(norm, raw, ndoc, nwords, label):
    """A short excerpt of the normalised doc around the (missed) match, or where it nearly matches
    (extra), with the raw text behind it and which alternative normalisation would agree."""
    w = max(nwords, key=len)
    parts = []
    i = ndoc.find(w)
    if i < 0:
        # A loose occurrence: the characters of w with up to 3 other characters between them.
        pat = "(?:.{0,3}?)".join(re.escape(c) for c in w)
        m = re.search(pat, ndoc, re.S)
        if m:
            i = m.start()
            parts.append(f"loose {visible(m.group())!r}")
        else:
            parts.append(f"{w!r} not in normalised text, even loosely")
    if i >= 0:
        parts.append(f"normalised …{visible(ndoc[max(0, i - 12):i + len(w) + 12])}…")
        n2, offs = norm.with_offsets(raw)
        if n2 == ndoc:
            r0, r1 = offs[max(0, i - 12)], offs[min(len(offs) - 1, i + len(w) + 12)]
            parts.append(f"raw …{visible(raw[r0:r1 + 1])}…")
        else:
            parts.append("(code-point-wise normalisation differs from whole-text normalisation)")
    # Alternatives.
    alts = {
        "whole-string T2S": lambda: norm(raw, whole_string_t2s=True),
        "Python NFKC+casefold (no ICU)": lambda: HAN_WS_HAN_RE.sub("", norm.t2s_per_char(
            unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", raw).casefold()))),
        "no T2S": lambda: HAN_WS_HAN_RE.sub("", norm.nfkc_cf.normalize(raw)),
        "Python isspace whitespace": lambda: PY_HAN_WS_HAN_RE.sub("", norm.base(raw)),
        "no whitespace rule": lambda: norm.base(raw),
        "all whitespace removed": lambda: re.sub("[" + WS_CLASS + "]+", "", norm.base(raw)),
    }
    agree = []
    for name, f in alts.items():
        alt = f()
        has = all(x in alt for x in nwords)
        if has == (label == "extra"):  # the alternative agrees with the engine
            agree.append(name)
    parts.append("engine agrees with: " + (", ".join(agree) if agree else "none of the tried alternatives"))
    return "; ".join(parts)


if __name__ == "__main__":
    sys.exit(main())
