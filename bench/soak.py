#!/usr/bin/env python3
"""Memory under a long mixed load: is the server's resident memory flat after warm-up?

  bench/soak.py [--minutes N] [--db URL] [--rows N]

Starts `folio serve` (a new SQLite file unless --db names another database), seeds
resources as bench/compare.py does, then runs one minute of wrk at a time, cycling through
PATCH, GET by id and POST create, and prints the server's RSS after each minute. The first
cycle (three minutes) is the warm-up: every path has run and every SQLite reader's page
cache has filled. Then N minutes (default 10) are measured against the warm-up's peak.
"""
import argparse
import tempfile
from pathlib import Path

import compare

WORKLOADS = (("update", "update.lua", {"FOLIO_PARTITION": "2"}), ("read", "read.lua", {}),
             ("create", "create.lua", {}))


def main():
    parser = argparse.ArgumentParser(description="Resident memory of folio serve under load.")
    parser.add_argument("--minutes", type=int, default=10)
    parser.add_argument("--rows", type=int, default=10000)
    parser.add_argument("--db", help="database URL (default: a new SQLite file)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="folio-soak-"))
    folio = str(compare.REPO / "build" / "cli" / "folio")
    server = compare.Server(folio, args.db or f"sqlite://{work}/soak.db", work, "soak")
    token, ids = compare.seed(server.port, args.rows, work)
    base = {"FOLIO_TOKEN": token, "FOLIO_IDS_FILE": str(ids)}
    print("| minute | workload | ops/s | p99 ms | RSS MiB |\n|---:|---|---:|---:|---:|")
    samples = []
    warm_up = len(WORKLOADS)
    for minute in range(warm_up + args.minutes):
        name, script, env = WORKLOADS[minute % len(WORKLOADS)]
        r = compare.run_wrk(server.port, 60, script, dict(base, **env))
        rss = server.rss_kib() / 1024
        samples.append(rss)
        print(f"| {minute} | {name} | {r['ops']:,.0f} | {r['p99']:.2f} | {rss:.1f} |", flush=True)
    server.stop()
    warm, rest = max(samples[:warm_up]), samples[warm_up:]
    growth = (max(rest) - warm) / warm if rest else 0.0
    print(f"\nRSS after warm-up {warm:.1f} MiB, then {min(rest):.1f}-{max(rest):.1f} MiB: "
          f"{growth:+.0%} at most ({'flat' if growth <= 0.10 else 'GROWS'} by the 10 % rule)")


if __name__ == "__main__":
    main()
