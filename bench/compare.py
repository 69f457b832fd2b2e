#!/usr/bin/env python3
"""Folio against PostgreSQL's own ceiling for the same work, side by side in one run.

  bench/compare.py [--seconds N] [--pg-url URL] [--only sqlite|postgresql] [--rows N]

1. PostgreSQL's ceiling (pgbench -M prepared, 32 clients) on a copy of a database that Folio
   migrated and seeded: an update as one statement (bench/pgbench/update_one_statement.sql)
   and as Folio sends it when it does not remember the row (update_read_then_write: the
   read, then that statement; this and the next are derived from update_one_statement.sql,
   see pgbench_script), a one-row read (read_one_row.sql), and over a hot set of 10
   rows both the one-statement update (every transaction waits for the row and writes) and
   the optimistic one Folio's clients make (update_hot_optimistic: read the version,
   then the statement guarded by it, so a version that moved meanwhile writes nothing).
   Successful writes are counted in the events table, not taken from pgbench's count.
2. The same workloads through `folio serve` (wrk -t2 -c32, bench/http/*.lua) on that
   PostgreSQL cluster (its database VACUUM ANALYZEd as the ceiling's copy was, so that both
   start alike) and on SQLite: updates over the seeded rows (each wrk thread its own
   share, versions tracked from the answers) twice, the first run right after the server
   started (it reads each row before its first write to it, as pgbench's "read + one
   statement" does) and a second going on from the versions the first ended with (the
   steady state, which the target compares), the hot set, GET by id, POST create, an
   unauthenticated 404 and /healthz.
3. A reference for the HTTP floor: the same 404 from nginx (when installed; Debian's
   nginx-light, scripts/install-deps.sh), with as many workers as CPUs and its access log
   on, so that the table shows what a mature server's 404 reaches on this machine, and the
   tail (p99/p50) that the scheduler alone gives when wrk shares the CPUs with the server.
4. One Markdown table: operations/s, p50, p99, p99/p50 and the ratio each target compares.

Without --pg-url (or FOLIO_TEST_PG_URL) it starts a private cluster with
scripts/pg-cluster.sh and stops it at the end. Needs a build (scripts/build.sh), wrk and
pgbench (scripts/install-deps.sh). Progress goes to stderr, the table to stdout.
"""
import argparse
import datetime
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "bench"
USER, PASSWORD = "bench", "bench-password"
HOT_ROWS = 10
# Issue 10's HTTP floor: 2.5x the unauthenticated 404 measured on 2026-12-03 (28,000/s).
FLOOR_TARGET = 70000
# What Folio answers for /api/nope, byte for byte, so that nginx sends the same body.
NOT_FOUND_BODY = ('{"type":"/problems/not_found","title":"Not found","status":404,'
                  '"detail":"There is nothing at this address.","error":"not_found"}')


def say(message):
    print(f"== {message}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pg_tool(name):
    found = shutil.which(name)
    return found or f"/usr/lib/postgresql/15/bin/{name}"


def database_url(base, name):
    """`base` with its database replaced by `name`."""
    parts = urllib.parse.urlsplit(base)
    return urllib.parse.urlunsplit(parts._replace(path="/" + name))


def psql(url, sql):
    """The statement's output (unaligned, tuples only)."""
    return subprocess.run([pg_tool("psql"), "-qtA", "-v", "ON_ERROR_STOP=1", url, "-c", sql],
                          check=True, stdout=subprocess.PIPE, text=True).stdout.strip()


def wait_until_answering(url, process, any_status=False, seconds=30):
    """True once `url` answers (2xx, or with `any_status` any HTTP status); False when
    `process` exits or `seconds` pass first."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1)
            return True
        except urllib.error.HTTPError:
            if any_status:
                return True
        except OSError:
            pass
        if process.poll() is not None:
            return False
        time.sleep(0.05)
    return False


class Server:
    """A `folio serve` process on a free port."""

    def __init__(self, folio, db, work, name, extra_args=()):
        self.port = free_port()
        self.log = open(work / f"{name}.log", "w")
        env = dict(os.environ, FOLIO_ADMIN_USERNAME=USER, FOLIO_ADMIN_PASSWORD=PASSWORD)
        self.process = subprocess.Popen(
            [folio, "--db", db, "serve", "--listen", f"127.0.0.1:{self.port}", *extra_args],
            stdout=self.log, stderr=subprocess.STDOUT, env=env)
        if not wait_until_answering(f"http://127.0.0.1:{self.port}/healthz", self.process):
            sys.exit(f"folio serve {'exited' if self.process.poll() is not None else 'did not answer'}; "
                     f"see {self.log.name}")

    def rss_kib(self):
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)
        self.log.close()


def seed(port, rows, work):
    ids = work / "ids"
    env = dict(os.environ, FOLIO_SEED_NUMBERED_IDS="1")
    token = subprocess.run(
        [sys.executable, str(BENCH / "http" / "seed.py"), f"127.0.0.1:{port}", USER, PASSWORD,
         str(rows), str(ids)], check=True, stdout=subprocess.PIPE, text=True, env=env)
    return token.stdout.strip(), ids


def quiesce(url):
    """Lets PostgreSQL finish what earlier runs left it (dirty pages, autovacuum) so that it
    does not run during the next measurement: a CHECKPOINT, then up to 60 s until no
    autovacuum worker is busy. Skipped (with a note) where the user may not CHECKPOINT."""
    try:
        psql(url, "CHECKPOINT")
    except subprocess.CalledProcessError:
        say("  (cannot CHECKPOINT: measuring without quiescing PostgreSQL)")
        return
    for _ in range(120):
        busy = psql(url, "SELECT count(*) FROM pg_stat_activity"
                         " WHERE backend_type = 'autovacuum worker' AND state IS DISTINCT FROM 'idle'")
        if busy == "0":
            return
        time.sleep(0.5)


def run_wrk(port, seconds, script, env, expected=range(200, 300)):
    """wrk's figures; `ok_share` is the share of answers with an `expected` status."""
    command = ["wrk", "-t2", "-c32", f"-d{seconds}s", "-s", str(BENCH / "http" / script),
               f"http://127.0.0.1:{port}"]
    out = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True,
                         env=dict(os.environ, FOLIO_BENCH_DIR=str(BENCH / "http"), **env)).stdout
    statuses = {int(k): int(v) for k, v in re.findall(r"(\d+)=(\d+)", _line(out, "statuses:"))}
    total = sum(statuses.values())
    ok = sum(n for status, n in statuses.items() if status in expected)
    return {
        "ops": float(_line(out, "Requests/sec:").split()[1]),
        "ok_share": ok / total if total else 0.0,
        "p50": float(_line(out, "p50_ms:").split()[1]),
        "p99": float(_line(out, "p99_ms:").split()[1]),
        "statuses": statuses,
    }


def _line(text, prefix):
    for line in text.splitlines():
        if line.strip().startswith(prefix):
            return line.strip()
    raise RuntimeError(f"wrk printed no '{prefix}' line:\n{text}")


# The statement of one Folio update (the row, the stream bump, the event) is written once, in
# update_one_statement.sql; the other update scripts are that script with a read before it
# and, for the optimistic one, a version guard added to the row's UPDATE.
READ_EPOCH_AND_ROW = """\
SELECT a.epoch, e.id, e.version, e.created_at, e.updated_at, e.deleted, e.name, e.resource_type, e.description
  FROM access_epoch a LEFT JOIN resources e ON e.id = '00000000-0000-4000-8000-' || lpad(:n::text, 12, '0');
"""
READ_VERSION = """\
SELECT version AS seen FROM resources
 WHERE id = '00000000-0000-4000-8000-' || lpad(:n::text, 12, '0') \\gset
"""
ROW_MATCH = "WHERE r.id = target.id"


def pgbench_script(kind, work):
    """The pgbench script for `kind`: a file of bench/pgbench, or one derived from
    update_one_statement.sql in `work`:
      update_read_then_write  the read of the access epoch and the row, then the statement,
                              each committing by itself, as Folio sends an update when it
                              does not remember the row (Access::lazy_write);
      update_hot_optimistic   the read of the row's version, then the statement guarded by
                              it, as Folio's clients update (If-Match): when another client
                              moved the version in between, it writes nothing (a 409)."""
    own = BENCH / "pgbench" / f"{kind}.sql"
    if own.exists():
        return own
    lines = (BENCH / "pgbench" / "update_one_statement.sql").read_text().splitlines(keepends=True)
    choose = next(i for i, line in enumerate(lines) if line.startswith("\\set n "))
    head, statement = lines[choose], "".join(lines[choose + 1:])
    if kind == "update_read_then_write":
        text = head + READ_EPOCH_AND_ROW + statement
    elif kind == "update_hot_optimistic":
        if statement.count(ROW_MATCH) != 1:
            raise RuntimeError(f"update_one_statement.sql: no single '{ROW_MATCH}' to guard")
        text = head + READ_VERSION + statement.replace(ROW_MATCH, ROW_MATCH + " AND r.version = :seen")
    else:
        raise ValueError(kind)
    derived = work / f"{kind}.sql"
    derived.write_text(text)
    return derived


def run_pgbench(url, seconds, script, rows, work, count_writes=False):
    """pgbench's figures. With `count_writes`, `ok_share` is the share of transactions that
    wrote their event (counted in the events table): an optimistic update whose version
    moved writes nothing (and until 2026-12-07 the one-statement update wrote nothing
    whenever its stream bump missed under contention; docs/benchmarks.md 2026-12-07b)."""
    prefix = work / f"pgbench-{script.stem}-{rows}"
    events_before = int(psql(url, "SELECT count(*) FROM events")) if count_writes else 0
    out = subprocess.run(
        [pg_tool("pgbench"), "-n", "-M", "prepared", "-c", "32", "-j", "2", "-T", str(seconds),
         "-D", f"rows={rows}", "-f", str(script), "-l", f"--log-prefix={prefix}", url],
        check=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True).stdout
    failed = re.search(r"number of failed transactions: (\d+)", out)
    if failed and int(failed.group(1)) > 0:
        sys.exit(f"pgbench {script.name}: failed transactions\n{out}")
    latencies = []
    for log in work.glob(prefix.name + "*"):
        for line in log.read_text().splitlines():
            fields = line.split()
            latencies.append(int(fields[2]) / 1000.0)  # microseconds -> ms
        log.unlink()
    latencies.sort()
    tps = float(re.search(r"tps = ([\d.]+) \(without initial", out).group(1))
    ok_share = 1.0
    if count_writes:
        processed = int(re.search(r"number of transactions actually processed: (\d+)", out).group(1))
        written = int(psql(url, "SELECT count(*) FROM events")) - events_before
        ok_share = written / processed if processed else 0.0
    return {"ops": tps, "ok_share": ok_share, "p50": percentile(latencies, 50),
            "p99": percentile(latencies, 99), "statuses": {}}


def percentile(sorted_values, p):
    if not sorted_values:
        return 0.0
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * p / 100))]


def nginx_floor(seconds, work):
    """wrk's figures for the 404 of /api/nope from nginx, or None without nginx."""
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if not nginx:
        say("  (no nginx: the reference row is left out; scripts/install-deps.sh installs it)")
        return None
    root, port = work / "nginx", free_port()
    (root / "logs").mkdir(parents=True)
    (root / "nginx.conf").write_text(f"""
worker_processes {os.cpu_count()};
pid {root}/nginx.pid;
error_log {root}/logs/error.log;
events {{ worker_connections 1024; }}
http {{
  access_log {root}/logs/access.log;
  keepalive_requests 1000000;  # as Folio: wrk's connections are never closed under it
  server {{
    listen 127.0.0.1:{port} reuseport;  # each worker accepts its share of them
    default_type application/problem+json;
    location / {{ return 404 '{NOT_FOUND_BODY}'; }}
  }}
}}
""")
    server = subprocess.Popen([nginx, "-c", str(root / "nginx.conf"), "-p", str(root), "-g", "daemon off;"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        if not wait_until_answering(f"http://127.0.0.1:{port}/", server, any_status=True):
            say(f"  (nginx did not answer; see {root}/logs/error.log)")
            return None
        return run_wrk(port, seconds, "get.lua", {"FOLIO_TOKEN": "", "FOLIO_PATH": "/api/nope"},
                       expected={404})
    finally:
        server.terminate()
        server.wait(timeout=30)


def folio_workloads(port, token, ids, seconds):
    """The wrk runs against one server, in an order that keeps versions right."""
    base = {"FOLIO_TOKEN": token, "FOLIO_IDS_FILE": str(ids)}
    results = {}
    # The server has just started: the first write to each row reads it first (the server
    # remembers rows it has written or read for a write). A second run, going on with the
    # versions the first ended with, measures the steady state, in which it remembers them.
    versions = Path(ids).with_name("versions")
    say("  update (spread), the first run after the server started")
    results["update_first"] = run_wrk(port, seconds, "update.lua",
                                      dict(base, FOLIO_PARTITION="2", FOLIO_VERSIONS_OUT=str(versions)))
    say("  update (spread), again")
    results["update"] = run_wrk(port, seconds, "update.lua",
                                dict(base, FOLIO_PARTITION="2", FOLIO_VERSIONS_IN=str(versions)))
    say("  update (hot set of 10)")
    results["hot"] = run_wrk(port, seconds, "update.lua", dict(base, FOLIO_HOT=str(HOT_ROWS)))
    say("  read")
    results["read"] = run_wrk(port, seconds, "read.lua", base)
    say("  create")
    results["create"] = run_wrk(port, seconds, "create.lua", base)
    say("  404 without a token")
    results["404"] = run_wrk(port, seconds, "get.lua", {"FOLIO_TOKEN": "", "FOLIO_PATH": "/api/nope"},
                             expected={404})
    say("  /healthz")
    results["healthz"] = run_wrk(port, seconds, "get.lua", {"FOLIO_TOKEN": "", "FOLIO_PATH": "/healthz"})
    return results


def ok_ops(r):
    """Operations per second that succeeded (Folio: the expected statuses, 2xx or the 404s;
    pgbench: the transactions that wrote their event, or all of them for reads)."""
    return r["ops"] * r["ok_share"]


def table(results, rss):
    """Rows: (workload, system, result, what the ratio compares, ratio, target)."""
    ceiling = results.get("pgbench", {})
    pg, lite = results.get("postgresql", {}), results.get("sqlite", {})

    def ratio(a, b):
        return ok_ops(a) / ok_ops(b) if a and b and ok_ops(b) else None

    def against(r, per_second):
        return ok_ops(r) / per_second if r else None

    rows = []
    add = lambda *row: rows.append(row)
    add("update, one statement", "pgbench", ceiling.get("update_one"), "", None, "")
    add("update, the read + one statement", "pgbench", ceiling.get("update_read_then_write"), "", None, "")
    add("update, hot set of 10, one statement", "pgbench", ceiling.get("hot"), "", None, "")
    add("update, hot set of 10, the read + the statement guarded by its version", "pgbench",
        ceiling.get("hot_optimistic"), "", None, "")
    add("read one row by key", "pgbench", ceiling.get("read"), "", None, "")
    add("PATCH over the seeded rows, the first run after a start (each row read, then written)",
        "folio postgresql", pg.get("update_first"), "x read + one statement",
        ratio(pg.get("update_first"), ceiling.get("update_read_then_write")), "")
    add("PATCH over the seeded rows, the first run after a start", "folio sqlite",
        lite.get("update_first"), "", None, "")
    add("PATCH over the seeded rows", "folio postgresql", pg.get("update"),
        "x one-statement ceiling", ratio(pg.get("update"), ceiling.get("update_one")), ">= 1.0")
    add("PATCH over the seeded rows", "folio sqlite", lite.get("update"),
        "x folio postgresql", ratio(lite.get("update"), pg.get("update")), ">= 2.0")
    for name, r in (("folio postgresql", pg), ("folio sqlite", lite)):
        add("PATCH, hot set of 10", name, r.get("hot"), "x optimistic hot ceiling",
            ratio(r.get("hot"), ceiling.get("hot_optimistic")), ">= 1.0")
    add("GET by id", "folio postgresql", pg.get("read"), "x one-row ceiling",
        ratio(pg.get("read"), ceiling.get("read")), ">= 0.6")
    add("GET by id", "folio sqlite", lite.get("read"), "x 30,000/s",
        against(lite.get("read"), 30000), ">= 1.0")
    for name, r in (("folio postgresql", pg), ("folio sqlite", lite)):
        add("POST create", name, r.get("create"), "x its PATCH", ratio(r.get("create"), r.get("update")),
            ">= 0.8")
    for name, r in (("folio postgresql", pg), ("folio sqlite", lite)):
        add("404 without a token", name, r.get("404"), f"x {FLOOR_TARGET:,}/s",
            against(r.get("404"), FLOOR_TARGET), ">= 1.0")
        add("GET /healthz", name, r.get("healthz"), "", None, "")
    add("404 (reference: the same body)", "nginx", results.get("nginx"), "", None, "")

    out = ["| workload | system | successful ops/s | p50 ms | p99 ms | p99/p50 | ratio | target |",
           "|---|---|---:|---:|---:|---:|---|---|"]
    for workload, system, r, what, value, target in rows:
        if not r:
            continue
        shown = f"{value:.2f}{what}" if value is not None else ""
        spread = r["p99"] / r["p50"] if r["p50"] else 0
        refused = ("wrote nothing" if system == "pgbench"
                   else "409" if 409 in r["statuses"] else None)
        conflicts = f" ({1 - r['ok_share']:.0%} {refused})" if r["ok_share"] < 0.995 and refused else ""
        out.append(f"| {workload} | {system} | {ok_ops(r):,.0f}{conflicts} | {r['p50']:.2f} | "
                   f"{r['p99']:.2f} | {spread:.1f} | {shown} | {target} |")
    for name, kib in rss.items():
        out.append(f"\nRSS of folio serve ({name}) after its runs: {kib / 1024:.0f} MiB")
    return "\n".join(out)


def main():
    parser = argparse.ArgumentParser(
        description="Folio against PostgreSQL's own ceiling for the same work, in one run.")
    parser.add_argument("--seconds", type=int, default=8, help="per workload (default 8)")
    parser.add_argument("--rows", type=int, default=10000, help="seeded resources (default 10000)")
    parser.add_argument("--pg-url", default=os.environ.get("FOLIO_TEST_PG_URL", ""),
                        help="a PostgreSQL server to use (a user that may CREATE DATABASE); "
                             "default $FOLIO_TEST_PG_URL, else a private cluster")
    parser.add_argument("--serve-args", default="",
                        help="more arguments for folio serve, e.g. '--workers 4'")
    parser.add_argument("--only", choices=["sqlite", "postgresql"],
                        help="measure Folio on one backend only (the ceiling needs postgresql)")
    args = parser.parse_args()

    folio = str(REPO / os.environ.get("FOLIO_BUILD_DIR", "build") / "cli" / "folio")
    if not Path(folio).exists():
        sys.exit(f"{folio} is missing: run scripts/build.sh first")
    for tool in ("wrk",):
        if not shutil.which(tool):
            sys.exit(f"{tool} is missing: run scripts/install-deps.sh")

    work = Path(tempfile.mkdtemp(prefix="folio-compare-"))
    started_cluster = None
    results, rss = {}, {}
    print(f"Run {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC: "
          f"bench/compare.py {' '.join(sys.argv[1:])}")
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    print(f"Machine: {os.cpu_count()} CPUs ({cpu}), kernel {platform.release()}, "
          f"load {os.getloadavg()[0]:.2f} at start\n")
    try:
        say("the HTTP floor's reference: nginx")
        results["nginx"] = nginx_floor(args.seconds, work)
        pg_url = args.pg_url
        if args.only != "sqlite" and not pg_url:
            say("starting a private PostgreSQL cluster (scripts/pg-cluster.sh)")
            # fsync on whatever the caller's environment says: the ceiling is a durable one.
            out = subprocess.run([str(REPO / "scripts" / "pg-cluster.sh"), "start"], check=True,
                                 stdout=subprocess.PIPE, text=True,
                                 env=dict(os.environ, FOLIO_PG_FSYNC="on")).stdout
            env = dict(re.findall(r"(FOLIO_TEST_PG_\w+)=(\S+)", out.replace("export ", "")))
            pg_url = env["FOLIO_TEST_PG_URL"].strip("'\"")
            started_cluster = env["FOLIO_TEST_PG_DIR"].strip("'\"")

        if args.only != "sqlite":
            suffix = str(os.getpid())
            folio_db, ceiling_db = f"folio_bench_{suffix}", f"folio_ceiling_{suffix}"
            psql(pg_url, f"CREATE DATABASE {folio_db}")
            folio_url = database_url(pg_url, folio_db)
            say(f"seeding {args.rows} resources through folio serve on PostgreSQL")
            server = Server(folio, folio_url, work, "postgresql")
            token, ids = seed(server.port, args.rows, work)
            server.stop()
            psql(pg_url, f"CREATE DATABASE {ceiling_db} TEMPLATE {folio_db}")
            ceiling_url = database_url(pg_url, ceiling_db)
            psql(ceiling_url, "VACUUM ANALYZE")
            quiesce(pg_url)
            say("PostgreSQL's ceiling (pgbench -M prepared -c32 -j2)")
            ceiling = results["pgbench"] = {}
            for key, script, rows in (("update_one", "update_one_statement", args.rows),
                                      ("update_read_then_write", "update_read_then_write", args.rows),
                                      ("hot", "update_one_statement", HOT_ROWS),
                                      ("hot_optimistic", "update_hot_optimistic", HOT_ROWS),
                                      ("read", "read_one_row", args.rows)):
                say(f"  {script} over {rows} rows")
                ceiling[key] = run_pgbench(ceiling_url, args.seconds, pgbench_script(script, work),
                                           rows, work, count_writes=key != "read")
            psql(pg_url, f"DROP DATABASE {ceiling_db}")
            psql(folio_url, "VACUUM ANALYZE")  # as the ceiling's copy was: the same start
            quiesce(pg_url)
            say("folio serve on PostgreSQL")
            server = Server(folio, folio_url, work, "postgresql", args.serve_args.split())
            results["postgresql"] = folio_workloads(server.port, token, ids, args.seconds)
            rss["postgresql"] = server.rss_kib()
            server.stop()
            psql(pg_url, f"DROP DATABASE {folio_db}")
            quiesce(pg_url)  # the SQLite runs share the CPUs with this cluster

        if args.only != "postgresql":
            say(f"folio serve on SQLite, seeding {args.rows} resources")
            server = Server(folio, f"sqlite://{work}/bench.db", work, "sqlite",
                            args.serve_args.split())
            token, ids = seed(server.port, args.rows, work)
            results["sqlite"] = folio_workloads(server.port, token, ids, args.seconds)
            rss["sqlite"] = server.rss_kib()
            server.stop()
    finally:
        if started_cluster:
            subprocess.run([str(REPO / "scripts" / "pg-cluster.sh"), "stop"],
                           env=dict(os.environ, FOLIO_TEST_PG_DIR=started_cluster),
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(work, ignore_errors=True)

    print(table(results, rss))
    for system in ("postgresql", "sqlite"):
        for name, r in results.get(system, {}).items():
            bad = {s: n for s, n in r["statuses"].items() if s >= 500}
            if bad:
                print(f"\nWARNING: folio {system} {name} answered {bad}")


if __name__ == "__main__":
    main()
