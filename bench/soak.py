#!/usr/bin/env python3
"""Soak: one `folio serve` under a long mixed load; is it steady?

  bench/soak.py [--minutes M | --seconds S] [--warmup-minutes W] [--backend sqlite|postgresql]
                [--db URL] [--clients N] [--interval S] [--check]

Starts `folio serve` on a new database (SQLite: a new file; PostgreSQL: a new database on
--pg-url, default $FOLIO_TEST_PG_URL), seeds a portfolio, program and project, 200 resources
and 50 resource assignments, then runs N client threads (default 8), each on its own
keep-alive connection, each request drawn at random:

  read    45 %  GET a resource by id                              expects 200
  update  25 %  PATCH a resource with the version last seen;      expects 200, or 409
                one in ten on purpose with a stale one            (a conflict: counted apart)
  create  15 %  POST a new resource                               expects 201
  list     8 %  GET /api/v1/resources?limit=50                    expects 200
  bulk     5 %  bulk-update 5 assignments' percentages            expects 200 (items may conflict)
  login    2 %  POST /api/v1/auth/token (Argon2: slow on purpose) expects 200

Every --interval seconds (default 10) it prints one row: requests/s, conflicts, errors (any
other status, or no answer), the server's resident memory (RSS), its open file
descriptors and sockets, and the HTTP connections it holds. At the end: RSS and
descriptors in the first fifth of the measured run against the last fifth, by the
smaller of the growths of their lowest samples and of their medians (the allocator's dips
below the level move the one, a few long samples the other; a leak raises both). RSS is
read while no login is in flight: each login's Argon2id hash maps 64 MiB for its duration
(libsodium's MEMLIMIT_INTERACTIVE) and unmaps it before the answer, so a sample taken
during logins measured how many overlapped, not what the server keeps. The logins wait for
the sample (a fraction of a second every --interval).

The measured run follows a warm-up (--warmup-minutes; by default 5 before runs of 10
minutes or more, none before shorter ones) under the same load, whose rows are printed and
whose RSS and descriptors are not judged (its errors are): the server's bounded caches fill
first (the remembered entity states, up to 16,384, about 11 MiB, filled in 3.5-6 minutes at
this load's few hundred creations and updates a second on a 2-vCPU VM; give a slower
machine a longer warm-up). With --check the exit status is 1 when there was any error, or
(measured runs of 10 minutes or more) when RSS or descriptors grew more than 10 % in the
measured run.
"""
import argparse
import contextlib
import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import compare

WEIGHTS = (("read", 45), ("update", 25), ("create", 15), ("list", 8), ("bulk", 5), ("login", 2))
EXPECTED = {"read": {200}, "update": {200, 409}, "create": {201}, "list": {200}, "bulk": {200},
            "login": {200}}
RESOURCES, ASSIGNMENTS = 200, 50


class Client:
    """One keep-alive connection; reconnects after a connection error."""

    def __init__(self, port, token=None):
        self.port, self.token, self.conn = port, token, None

    def call(self, method, path, body=None, headers=None):
        """(status, parsed JSON or None); status 0 when there was no answer."""
        all_headers = {"Content-Type": "application/json"}
        if self.token:
            all_headers["Authorization"] = "Bearer " + self.token
        all_headers.update(headers or {})
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            self.conn.request(method, path, None if body is None else json.dumps(body), all_headers)
            response = self.conn.getresponse()
            data = response.read()
            if response.getheader("Connection", "").lower() == "close":
                self.conn.close()
                self.conn = None
        except (OSError, http.client.HTTPException):
            if self.conn:
                self.conn.close()
            self.conn = None
            return 0, None
        try:
            return response.status, json.loads(data) if data else None
        except ValueError:
            return response.status, None


def must(result, what):
    status, body = result
    if status not in (200, 201):
        sys.exit(f"seeding: {what} answered {status}: {body}")
    return body


def seed(port, token):
    """Creates the entities the load works on; their versions by id."""
    c = Client(port, token)
    portfolio = must(c.call("POST", "/api/v1/portfolios", {
        "name": "Soak", "description": "soak", "owner": "soak",
        "reporting_start_date": "2026-01-01", "reporting_end_date": "2026-12-31"}), "portfolio")
    program = must(c.call("POST", "/api/v1/programs", {
        "portfolio_id": portfolio["id"], "name": "Soak", "business_sponsor": "s",
        "program_manager": "m", "technical_lead": "l", "start_date": "2026-01-01",
        "end_date": "2026-12-31"}), "program")
    project = must(c.call("POST", "/api/v1/projects", {
        "program_id": program["id"], "name": "Soak", "business_sponsor": "s",
        "project_manager": "m", "technical_lead": "l", "start_date": "2026-01-01",
        "end_date": "2026-12-31", "cost_center_code": "SOAK-1"}), "project")
    resources, assignments = {}, {}
    for i in range(RESOURCES):
        r = must(c.call("POST", "/api/v1/resources",
                        {"name": f"soak seed {i}", "resource_type": "labor"}), "resource")
        resources[r["id"]] = r["version"]
    for i, resource in enumerate(list(resources)[:ASSIGNMENTS]):
        a = must(c.call("POST", "/api/v1/resource-assignments", {
            "resource_id": resource, "project_id": project["id"],
            "assignment_date": f"2026-03-{1 + i % 28:02d}", "capital_percentage": 10,
            "expense_percentage": 10}), "assignment")
        assignments[a["id"]] = a["version"]
    return resources, assignments


class LoginGate:
    """Lets the sampler read RSS between logins: logins pass while it is open; quiet() closes
    it, waits for the logins in flight to be answered, and opens it again afterwards."""

    def __init__(self):
        self.changed = threading.Condition()
        self.in_flight, self.closed = 0, False

    def enter(self):
        with self.changed:
            self.changed.wait_for(lambda: not self.closed)
            self.in_flight += 1

    def leave(self):
        with self.changed:
            self.in_flight -= 1
            self.changed.notify_all()

    @contextlib.contextmanager
    def quiet(self):
        with self.changed:
            self.closed = True
            self.changed.wait_for(lambda: self.in_flight == 0)
        try:
            yield
        finally:
            with self.changed:
                self.closed = False
                self.changed.notify_all()


class Load:
    """The client threads and what they saw."""

    def __init__(self, port, token, resources, assignments, clients):
        self.port, self.token = port, token
        self.resources, self.assignments = resources, assignments
        self.lock = threading.Lock()
        self.requests = self.conflicts = self.errors = 0
        self.error_samples = []
        self.stop = threading.Event()
        self.logins = LoginGate()
        self.threads = [threading.Thread(target=self.run, args=(n,), daemon=True)
                        for n in range(clients)]
        kinds, weights = zip(*WEIGHTS)
        self.kinds, self.weights = kinds, weights

    def start(self):
        for t in self.threads:
            t.start()

    def finish(self):
        self.stop.set()
        for t in self.threads:
            t.join()

    def take(self):
        """(requests, conflicts, errors) since the last take."""
        with self.lock:
            counts = (self.requests, self.conflicts, self.errors)
            self.requests = self.conflicts = 0
            self.errors = 0
            return counts

    def run(self, n):
        rng = random.Random(n)
        client = Client(self.port, self.token)
        anonymous = Client(self.port)
        ids = list(self.resources)
        created = 0
        while not self.stop.is_set():
            kind = rng.choices(self.kinds, self.weights)[0]
            if kind == "read":
                status, _ = client.call("GET", f"/api/v1/resources/{rng.choice(ids)}")
            elif kind == "update":
                rid = rng.choice(ids)
                with self.lock:
                    version = self.resources[rid]
                stale = rng.random() < 0.1 and version > 1
                status, body = client.call(
                    "PATCH", f"/api/v1/resources/{rid}", {"description": f"edit {rng.random()}"},
                    {"If-Match": f'"{version - 1 if stale else version}"'})
                new_version = (body or {}).get("version" if status == 200 else "current_version")
                if isinstance(new_version, int):
                    with self.lock:
                        self.resources[rid] = max(self.resources[rid], new_version)
            elif kind == "create":
                created += 1
                status, _ = client.call("POST", "/api/v1/resources", {
                    "name": f"soak {n}-{created}-{rng.random()}", "resource_type": "labor"})
            elif kind == "list":
                status, _ = client.call("GET", "/api/v1/resources?limit=50")
            elif kind == "bulk":
                with self.lock:
                    chosen = rng.sample(list(self.assignments.items()), 5)
                items = [{"id": a, "version": v, "capital_percentage": rng.randint(0, 40)}
                         for a, v in chosen]
                status, body = client.call("POST", "/api/v1/resource-assignments/bulk-update", items)
                if status == 200:
                    with self.lock:
                        for item in body.get("succeeded", []):
                            self.assignments[item["id"]] = item["version"]
                        for item in body.get("failed", []):
                            state = item.get("current_state") or {}
                            if "version" in state:
                                self.assignments[item["id"]] = state["version"]
            else:
                self.logins.enter()
                try:
                    status, _ = anonymous.call("POST", "/api/v1/auth/token",
                                               {"username": compare.USER, "password": compare.PASSWORD})
                finally:
                    self.logins.leave()
            with self.lock:
                self.requests += 1
                if status == 409:
                    self.conflicts += 1
                if status not in EXPECTED[kind]:
                    self.errors += 1
                    if len(self.error_samples) < 10:
                        self.error_samples.append(f"{kind}: {status}")


def process_figures(pid):
    """(RSS MiB, open descriptors, of which sockets)."""
    rss = 0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            rss = int(line.split()[1]) / 1024
    fds = sockets = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        fds += 1
        try:
            sockets += os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:")
        except OSError:
            pass
    return rss, fds, sockets


def http_connections(port):
    """The HTTP connections the server holds, from its metrics (None if not reported)."""
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/metrics")
        text = conn.getresponse().read().decode()
        conn.close()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("folio_http_connections_open"):
            return int(float(line.split()[-1]))
    return None


def new_database(args, work):
    if args.db:
        return args.db, None
    if args.backend == "sqlite":
        return f"sqlite://{work}/soak.db", None
    if not args.pg_url:
        sys.exit("--backend postgresql needs --pg-url or FOLIO_TEST_PG_URL")
    name = f"folio_soak_{os.getpid()}"
    compare.psql(args.pg_url, f"CREATE DATABASE {name}")
    return compare.database_url(args.pg_url, name), name


def growth_of(statistic, values, fifth):
    """How much `statistic` of the last `fifth` samples exceeds that of the first (a fraction)."""
    warm, last = statistic(values[:fifth]), statistic(values[-fifth:])
    return (last - warm) / warm if warm else 0.0


def main():
    parser = argparse.ArgumentParser(description="Soak folio serve under mixed load.")
    length = parser.add_mutually_exclusive_group()
    length.add_argument("--minutes", type=float, help="how long to run (default 10)")
    length.add_argument("--seconds", type=float, help="how long to run, in seconds")
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--pg-url", default=os.environ.get("FOLIO_TEST_PG_URL", ""))
    parser.add_argument("--db", help="an existing database URL instead of a new one")
    parser.add_argument("--folio", default=str(compare.REPO / "build" / "cli" / "folio"),
                        help="the folio binary (default: build/cli/folio)")
    parser.add_argument("--warmup-minutes", type=float,
                        help="load before the measured run, not judged (default: 5 before "
                             "runs of 10 minutes or more, else 0)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--interval", type=float, default=10.0)
    parser.add_argument("--check", action="store_true",
                        help="exit 1 on any error, or (10 minutes or more) on growth > 10 %%")
    args = parser.parse_args()
    seconds = args.seconds if args.seconds is not None else 60 * (args.minutes or 10)
    warmup = 60 * (args.warmup_minutes if args.warmup_minutes is not None
                   else 5 if seconds >= 600 else 0)

    work = Path(tempfile.mkdtemp(prefix="folio-soak-"))
    db, pg_database = new_database(args, work)
    server = compare.Server(args.folio, db, work, "soak")
    try:
        token = must(Client(server.port).call(
            "POST", "/api/v1/auth/token", {"username": compare.USER, "password": compare.PASSWORD}),
            "login")["access_token"]
        resources, assignments = seed(server.port, token)
        load = Load(server.port, token, resources, assignments, args.clients)
        print(f"soak: {args.backend if not args.db else db}, {args.clients} clients, "
              f"{warmup:.0f} s of warm-up then {seconds:.0f} s measured, a row every "
              f"{args.interval:.0f} s (server log: {server.log.name})", flush=True)
        print("| t s | req/s | 409 | errors | RSS MiB | fds | sockets | HTTP connections |\n"
              "|---:|---:|---:|---:|---:|---:|---:|---:|", flush=True)
        load.start()
        started = time.monotonic()
        samples, total_errors, total_requests = [], 0, 0
        taken = started
        while (elapsed := time.monotonic() - started) < warmup + seconds:
            time.sleep(min(args.interval, warmup + seconds - elapsed))
            requests, conflicts, errors = load.take()
            # The real period: a sample waits for the logins in flight, the last one is short.
            period, taken = time.monotonic() - taken, time.monotonic()
            total_errors += errors
            total_requests += requests
            with load.logins.quiet():
                rss, fds, sockets = process_figures(server.process.pid)
            connections = http_connections(server.port)
            at = time.monotonic() - started
            if at >= warmup:
                samples.append((rss, fds))
            print(f"| {at:.0f}{'' if at >= warmup else ' (warm-up)'} | "
                  f"{requests / period:,.0f} | "
                  f"{conflicts} | {errors} | {rss:.1f} | {fds} | {sockets} | "
                  f"{'' if connections is None else connections} |", flush=True)
        load.finish()
    finally:
        server.stop()
        if pg_database:
            compare.psql(args.pg_url, f"DROP DATABASE {pg_database} WITH (FORCE)")

    # Samples are read between logins (LoginGate), but the allocator still hands memory back
    # now and then (a dip below the level) or has not yet (a sample above it). A leak raises
    # the level, so both the lowest sample (blind to what lies above) and the median (blind to
    # a minority of either) of the last fifth rise over the first fifth's; the verdict takes
    # the smaller of the two growths.
    fifth = max(1, len(samples) // 5)
    verdicts = []
    for name, index in (("RSS MiB", 0), ("descriptors", 1)):
        values = [s[index] for s in samples]
        by_floor, by_median = growth_of(min, values, fifth), growth_of(statistics.median, values, fifth)
        growth = min(by_floor, by_median)
        verdicts.append(growth)
        print(f"{name}: lowest {min(values[:fifth]):.1f} in the first fifth, "
              f"{min(values[-fifth:]):.1f} in the last ({by_floor:+.0%}); median "
              f"{statistics.median(values[:fifth]):.1f}, {statistics.median(values[-fifth:]):.1f} "
              f"({by_median:+.0%}); growth {growth:+.0%}; highest {max(values):.1f}")
    print(f"requests: {total_requests:,}, errors: {total_errors}"
          + (f" (first: {', '.join(load.error_samples)})" if load.error_samples else ""))
    if args.check:
        if total_errors:
            sys.exit("soak: FAILED: requests answered wrongly or not at all")
        if seconds >= 600 and max(verdicts) > 0.10:
            sys.exit("soak: FAILED: RSS or descriptors grew more than 10 % in the measured run")
        print("soak: OK")


if __name__ == "__main__":
    main()
