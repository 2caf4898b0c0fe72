#!/usr/bin/env python3
"""A small client for `ufsearch serve` (docs/PROTOCOL.md). Standard library only.

As a module:
    from client import Client
    with Client("127.0.0.1", 7700) as c:
        c.ping()                                  # True
        total, hits = c.query("统一战线", limit=3)  # hits: dicts rank, score, path, title, snippet
        total, hits = c.query("统战", json=True)    # hits: the server's JSON objects (id, matches, ...)
        c.count("宗教 民族")                        # int
        path, text = c.get("2019/0000042.txt")      # the exact text (format=json)
        c.stats()                                 # {"documents": "15000", ...}
Errors come back as ServerError (code, message); a broken connection as ConnectionError.

As a command: client.py [--host H] [--port P] COMMAND...
    sends the words of COMMAND as one request line, prints the status line and the data lines (dot-stuffing
    undone); exit status 0 for OK, 1 for ERR, 2 when the connection failed. Without COMMAND, reads request
    lines from stdin and prints each response followed by a blank line.
"""
import argparse, json as jsonlib, os, socket, sys

__all__ = ["Client", "Response", "ServerError"]


class ServerError(Exception):
    """An `ERR CODE message` response."""

    def __init__(self, code, message):
        super().__init__(f"{code} {message}".strip())
        self.code, self.message = code, message


class Response:
    """One response: ok, the status line's info (after `OK `) or the error code and message, the data lines."""

    def __init__(self, status, lines):
        self.status, self.lines = status, lines
        self.ok = status == "OK" or status.startswith("OK ")
        self.info = status[3:] if self.ok else ""
        if not self.ok:
            word = status.split(" ", 2)
            self.code = word[1] if len(word) > 1 else ""
            self.message = word[2] if len(word) > 2 else ""
        else:
            self.code = self.message = ""

    def check(self):
        if not self.ok:
            raise ServerError(self.code, self.message)
        return self


def unescape_tsv(s):
    """Undo the protocol's TSV field escaping: \\\\ \\t \\n \\r."""
    if "\\" not in s:
        return s
    out, i = [], 0
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s):
            out.append({"\\": "\\", "t": "\t", "n": "\n", "r": "\r"}.get(s[i + 1], "\\" + s[i + 1]))
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


class Client:
    def __init__(self, host="127.0.0.1", port=7700, timeout=30.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.file = self.sock.makefile("rb")

    def close(self):
        try:
            self.file.close()
        finally:
            self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _line(self):
        b = self.file.readline()
        if not b.endswith(b"\n"):
            raise ConnectionError("the server closed the connection in the middle of a response")
        return b[:-1].decode("utf-8")

    def request(self, line):
        """Sends one request line and reads its whole response (not checked; see Response.check)."""
        if "\n" in line or "\r" in line:
            raise ValueError("a request is one line")
        self.sock.sendall(line.encode("utf-8") + b"\n")
        return self.read_response()

    def read_response(self):
        status, lines = self._line(), []
        while True:
            l = self._line()
            if l == ".":
                return Response(status, lines)
            lines.append(l[1:] if l.startswith(".") else l)  # undo dot-stuffing

    # Commands.

    def ping(self):
        return self.request("PING").check().info == "PONG"

    def query(self, q, limit=10, offset=0, json=False):
        """(total, hits). TSV hits are dicts rank, score, path, title, snippet; JSON hits are the server's objects."""
        opts = f"limit={int(limit)} offset={int(offset)}" + (" format=json" if json else "")
        r = self.request(f"QUERY {opts} -- {q}").check()
        total = int(r.info.split()[0].rstrip("+"))  # "1043+": at least 1043 (see docs/PROTOCOL.md)
        if json:
            return total, [jsonlib.loads(l) for l in r.lines]
        hits = []
        for l in r.lines:
            rank, score, path, title, snippet = (l.split("\t") + [""] * 5)[:5]
            hits.append({"rank": int(rank), "score": float(score), "path": unescape_tsv(path),
                         "title": unescape_tsv(title), "snippet": unescape_tsv(snippet)})
        return total, hits

    def count(self, q):
        return int(self.request(f"COUNT {q}").check().info.split()[0])

    def get(self, ref):
        """(path, text): the stored document, exact (format=json)."""
        r = self.request(f"GET format=json -- {ref}").check()
        d = jsonlib.loads(r.lines[0])
        return d["path"], d["text"]

    def stats(self):
        r = self.request("STATS").check()
        out = {}
        for l in r.lines:
            k, _, v = l.partition("\t")
            out[unescape_tsv(k)] = unescape_tsv(v)
        return out

    def quit(self):
        r = self.request("QUIT")
        self.close()
        return r


def main():
    a = argparse.ArgumentParser(description="Send requests to ufsearch serve and print the responses.")
    a.add_argument("--host", default=os.environ.get("UFSEARCH_HOST", "127.0.0.1"))
    a.add_argument("--port", type=int, default=int(os.environ.get("UFSEARCH_PORT", "7700")))
    a.add_argument("command", nargs="*", help="one request, e.g. QUERY limit=3 统一战线 (default: lines from stdin)")
    args = a.parse_args()
    try:
        c = Client(args.host, args.port)
    except OSError as e:
        print(f"client.py: cannot connect to {args.host}:{args.port}: {e}", file=sys.stderr)
        return 2
    try:
        if args.command:
            r = c.request(" ".join(args.command))
            print(r.status)
            for l in r.lines:
                print(l)
            return 0 if r.ok else 1
        worst = 0
        for line in sys.stdin:
            line = line.rstrip("\r\n")
            if not line:
                continue
            r = c.request(line)
            print(r.status)
            for l in r.lines:
                print(l)
            print()
            worst = max(worst, 0 if r.ok else 1)
            if line.strip().upper() == "QUIT":
                break
        return worst
    except (OSError, ConnectionError) as e:
        print(f"client.py: {e}", file=sys.stderr)
        return 2
    finally:
        c.close()


if __name__ == "__main__":
    sys.exit(main())
