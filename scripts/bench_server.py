#!/usr/bin/env python3
"""Load generator for `ufsearch serve` (docs/PROTOCOL.md), loopback only, bounded in time and count.

usage: bench_server.py --port PORT --queries FILE [--host 127.0.0.1] [--pings 2000]
                       [--clients 1,4,16] [--seconds 10] [--max-requests 200000] [--warmup 1] [--json OUT]

Measures
  ping     sequential PING round trips on one connection (blocking socket): p50/p99/mean in ms
  bare     optionally (--bare-seconds), 1 client with limit=0: the search without hit lines
  clients  for each concurrency level C: C connections, each looping over the query list (client i starts at
           offset i*len/C) sending `QUERY limit=10 -- <query>` and waiting for the whole response before the
           next request (one request in flight per connection), for --seconds or until --max-requests responses
           in all; queries per second, latency p50/p99/mean in ms, ERR responses, and the load generator's own
           CPU use (CPU seconds per wall second: near 1.0 means the client, not the server, was the limit).
The load generator is one Python process (asyncio) and shares the machine's cores with the server.
Standard library only.
"""
import argparse, asyncio, json, os, socket, subprocess, sys, time

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
TERM = b"\n.\n"  # a response ends with a line holding a single dot; dot-stuffing keeps it unique


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p * len(xs)))] if xs else None


def summary_ms(lat):
    if not lat:
        return {"p50_ms": None, "p99_ms": None, "mean_ms": None}
    return {"p50_ms": pct(lat, .5) * 1e3, "p99_ms": pct(lat, .99) * 1e3, "mean_ms": sum(lat) / len(lat) * 1e3}


def ping(host, port, n):
    """n sequential PINGs on one connection; each must answer `OK PONG` then `.`."""
    s = socket.create_connection((host, port), timeout=10)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    f = s.makefile("rb")
    lat = []
    try:
        for _ in range(n):
            t = time.perf_counter()
            s.sendall(b"PING\n")
            a = f.readline(); b = f.readline()
            lat.append(time.perf_counter() - t)
            if a != b"OK PONG\n" or b != b".\n":
                raise RuntimeError(f"unexpected PING response {a!r} {b!r}")
        s.sendall(b"QUIT\n")
    finally:
        f.close(); s.close()
    return {"pings": n, **summary_ms(lat)}


async def client(host, port, queries, start, deadline, budget, lat, errors, limit):
    r, w = await asyncio.open_connection(host, port, limit=1 << 22)
    sock = w.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    reqs = [f"QUERY limit={limit} -- {q}\n".encode() for q in queries]
    i = start
    try:
        while time.perf_counter() < deadline and budget[0] > 0:
            budget[0] -= 1
            t = time.perf_counter()
            w.write(reqs[i % len(reqs)])
            resp = await r.readuntil(TERM)
            lat.append(time.perf_counter() - t)
            if not resp.startswith(b"OK"):
                errors.append(resp.split(b"\n", 1)[0].decode("utf-8", "replace"))
            i += 1
        w.write(b"QUIT\n")
        await w.drain()
    finally:
        w.close()
        try:
            await w.wait_closed()
        except (ConnectionError, OSError):
            pass


async def level(host, port, queries, clients, seconds, max_requests, limit):
    lat, errors, budget = [], [], [max_requests]
    c0, t0 = time.process_time(), time.perf_counter()
    deadline = t0 + seconds
    await asyncio.gather(*(client(host, port, queries, k * len(queries) // clients, deadline, budget, lat, errors, limit)
                           for k in range(clients)))
    wall = time.perf_counter() - t0
    cpu = time.process_time() - c0
    return {"clients": clients, "requests": len(lat), "errors": len(errors), "first_errors": errors[:3],
            "seconds": wall, "qps": len(lat) / wall if wall > 0 else None, **summary_ms(lat),
            "client_cpu_per_s": cpu / wall if wall > 0 else None}


def ping_c(client, port, n, pin=False):
    """The same PINGs from scripts/ping.c (no Python in the round trip); with pin, the client stays on the
    processor it starts on (see scripts/ping.c)."""
    out = subprocess.run([client, str(port), str(n)] + (["pin"] if pin else []), capture_output=True, text=True,
                         timeout=120)
    if out.returncode != 0:
        raise RuntimeError(f"{client}: {out.stderr.strip()}")
    p50, p99, mean = (float(x) / 1e3 for x in out.stdout.split())
    return {"pings": n, "p50_ms": p50, "p99_ms": p99, "mean_ms": mean}


def run(host, port, queries, pings=2000, levels=(1, 4, 16), seconds=10.0, max_requests=200_000, warmup=1.0, limit=10,
        bare_seconds=0.0, ping_client=None):
    if host not in LOOPBACK:
        raise SystemExit(f"bench_server: refusing {host}: loopback only")
    if not queries:
        raise SystemExit("bench_server: no queries")
    out = {"host": host, "port": port, "queries": len(queries), "limit": limit}
    out["ping"] = ping(host, port, pings)
    if ping_client:
        out["ping_c"] = ping_c(ping_client, port, pings)
        out["ping_c_pinned"] = ping_c(ping_client, port, pings, pin=True)
    if warmup > 0:
        asyncio.run(level(host, port, queries, 1, warmup, max_requests, limit))
    out["levels"] = [asyncio.run(level(host, port, queries, c, seconds, max_requests, limit)) for c in levels]
    if bare_seconds > 0:
        # The same loop with limit=0: search and count only, no hit lines (no titles, no snippets).
        out["bare"] = asyncio.run(level(host, port, queries, 1, bare_seconds, max_requests, 0))
    return out


def main():
    a = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    a.add_argument("--host", default="127.0.0.1")
    a.add_argument("--port", type=int, required=True)
    a.add_argument("--queries", required=True, help="one query per line (UTF-8)")
    a.add_argument("--pings", type=int, default=2000)
    a.add_argument("--clients", default="1,4,16")
    a.add_argument("--seconds", type=float, default=10.0)
    a.add_argument("--max-requests", type=int, default=200_000)
    a.add_argument("--warmup", type=float, default=1.0)
    a.add_argument("--limit", type=int, default=10)
    a.add_argument("--bare-seconds", type=float, default=0.0,
                   help="then run 1 client with limit=0 for this long (the cost of the hit lines, by difference)")
    a.add_argument("--ping-client", help="a build of scripts/ping.c: PINGs from C as well")
    a.add_argument("--json", help="write the results here as JSON")
    args = a.parse_args()
    queries = [l.strip() for l in open(args.queries, encoding="utf-8") if l.strip()]
    levels = [int(x) for x in args.clients.split(",") if x]
    if any(c < 1 or c > 64 for c in levels):
        raise SystemExit("bench_server: clients must be between 1 and 64 (the server's connection limit)")
    res = run(args.host, args.port, queries, args.pings, levels, args.seconds, args.max_requests, args.warmup, args.limit,
              args.bare_seconds, args.ping_client)
    p = res["ping"]
    print(f"PING x{p['pings']}: p50 {p['p50_ms']:.3f} ms, p99 {p['p99_ms']:.3f} ms (Python client)")
    if "ping_c" in res:
        p = res["ping_c"]
        print(f"PING x{p['pings']}: p50 {p['p50_ms']:.3f} ms, p99 {p['p99_ms']:.3f} ms (C client)")
        p = res["ping_c_pinned"]
        print(f"PING x{p['pings']}: p50 {p['p50_ms']:.3f} ms, p99 {p['p99_ms']:.3f} ms (C client, pinned)")
    for l in res["levels"]:
        print(f"{l['clients']:>2} clients: {l['qps']:.0f} q/s, p50 {l['p50_ms']:.2f} ms, p99 {l['p99_ms']:.2f} ms, "
              f"{l['requests']} requests in {l['seconds']:.1f} s, {l['errors']} errors, client CPU {l['client_cpu_per_s']:.2f}")
    if "bare" in res:
        l = res["bare"]
        print(f" 1 client, limit=0: {l['qps']:.0f} q/s, p50 {l['p50_ms']:.2f} ms, p99 {l['p99_ms']:.2f} ms")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
