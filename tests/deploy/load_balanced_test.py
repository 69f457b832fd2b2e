#!/usr/bin/env python3
"""Three `folio serve` on one PostgreSQL behind nginx (deploy/nginx), one stopped and
started again under a mixed load: nothing acknowledged is lost, no entity's history skips
or repeats a version, every request gets an answer, and the log verifies intact.

  tests/deploy/load_balanced_test.py --folio BUILD/cli/folio [--seconds S] [--clients N]

Needs $FOLIO_TEST_PG_URL (a PostgreSQL it may create a database on) and nginx. Each client
thread owns its resources (so no version conflicts are expected): it creates some, then
reads and updates them at random, every write with an Idempotency-Key (as a careful client
does: a retry of a lost answer gets the original answer). Server 2 is stopped with SIGTERM
(graceful) a third of the way in and started again on the same port. Exit status 0 when
every check holds.
"""
import argparse
import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
ADMIN, PASSWORD = "admin", "load-balanced-test-password"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def with_database(url, name):
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def psql(url, sql):
    return subprocess.run(["psql", "-qAtX", url, "-c", sql], check=True,
                          stdout=subprocess.PIPE, text=True).stdout.strip()


class Folio:
    def __init__(self, binary, db, port, work, name):
        self.binary, self.db, self.port, self.work, self.name = binary, db, port, work, name
        self.process = None

    def start(self):
        log = open(self.work / f"{self.name}.log", "a")
        self.process = subprocess.Popen(
            [self.binary, "--db", self.db, "serve", "--no-migrate", "--listen",
             f"127.0.0.1:{self.port}", "--trusted-proxies", "127.0.0.1", "--shutdown-grace", "5"],
            stdout=log, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise SystemExit(f"{self.name} did not start: {(self.work / f'{self.name}.log').read_text()[-2000:]}")

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=30)
        if code != 0:
            raise SystemExit(f"{self.name} exited {code} on SIGTERM")


def start_nginx(work, ports, listen):
    upstream = "\n".join(f"    server 127.0.0.1:{p} max_fails=3 fail_timeout=2s;" for p in ports)
    (work / "nginx.conf").write_text(f"""
daemon off;
worker_processes 1;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log {work}/nginx-access.log;
    client_body_temp_path {work}/body;
    proxy_temp_path {work}/proxy;
    fastcgi_temp_path {work}/fastcgi;
    uwsgi_temp_path {work}/uwsgi;
    scgi_temp_path {work}/scgi;
    include {ROOT}/deploy/nginx/folio-maps.conf;
    upstream folio {{
{upstream}
        keepalive 32;
    }}
    server {{
        listen 127.0.0.1:{listen};
        include {ROOT}/deploy/nginx/folio-proxy.conf;
    }}
}}
""")
    nginx = "/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else "nginx"
    check = subprocess.run([nginx, "-t", "-c", str(work / "nginx.conf"), "-p", str(work)],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if check.returncode != 0:
        raise SystemExit("nginx -t: " + check.stdout)
    process = subprocess.Popen([nginx, "-c", str(work / "nginx.conf"), "-p", str(work)])
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", listen), timeout=1).close()
            return process
        except OSError:
            time.sleep(0.05)
    raise SystemExit("nginx did not start")


class Client:
    """One keep-alive connection through nginx; every answer recorded."""

    def __init__(self, port, token=None):
        self.port, self.token = port, token
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def call(self, method, path, body=None, key=None):
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = "Bearer " + self.token
        if key:
            headers["Idempotency-Key"] = key
        data = json.dumps(body) if body is not None else None
        for attempt in range(2):
            try:
                self.conn.request(method, path, data, headers)
                response = self.conn.getresponse()
                text = response.read()
                return response.status, (json.loads(text) if text else None), response
            except (http.client.RemoteDisconnected, ConnectionError, BrokenPipeError):
                # nginx closed our keep-alive connection: resend once on a new one (every
                # request here may be resent: reads, and writes with an Idempotency-Key).
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                if attempt == 1:
                    raise
        raise AssertionError("unreachable")


def worker(port, token, stop, results, index):
    client = Client(port, token)
    rng = random.Random(index)
    owned = {}  # id -> (version, name) acknowledged last
    acknowledged = results["acknowledged"]
    while not stop.is_set():
        roll = rng.random()
        try:
            if not owned or roll < 0.15:
                key = str(uuid.uuid4())
                name = f"client {index} resource {len(owned)}"
                status, body, _ = client.call("POST", "/api/v1/resources",
                                              {"name": name, "resource_type": "labor"}, key)
                if status != 201:
                    results["bad"].append(("POST", status, body))
                    continue
                owned[body["id"]] = (body["version"], name)
                acknowledged.append((body["id"], body["version"], name))
            elif roll < 0.6:
                rid = rng.choice(list(owned))
                status, body, _ = client.call("GET", f"/api/v1/resources/{rid}")
                if status != 200 or body["version"] < owned[rid][0]:
                    results["bad"].append(("GET", status, body, owned[rid]))
            else:
                rid = rng.choice(list(owned))
                version, _ = owned[rid]
                name = f"client {index} edit {uuid.uuid4().hex[:8]}"
                status, body, _ = client.call("PATCH", f"/api/v1/resources/{rid}",
                                              {"version": version, "name": name},
                                              str(uuid.uuid4()))
                if status != 200 or body["version"] != version + 1:
                    results["bad"].append(("PATCH", status, body, version))
                    continue
                owned[rid] = (body["version"], name)
                acknowledged.append((rid, body["version"], name))
            results["answered"][index] += 1
        except Exception as e:  # no answer at all
            results["bad"].append(("no answer", repr(e)))
    results["owned"].update(owned)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folio", required=True, help="the folio binary")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=6)
    args = parser.parse_args()
    base_url = os.environ.get("FOLIO_TEST_PG_URL")
    if not base_url:
        raise SystemExit("FOLIO_TEST_PG_URL is not set (scripts/pg-cluster.sh start)")

    name = "folio_lb_" + uuid.uuid4().hex[:10]
    psql(base_url, f"CREATE DATABASE {name}")
    db = with_database(base_url, name)
    servers, nginx = [], None
    try:
        with tempfile.TemporaryDirectory(prefix="folio-lb.") as tmp:
            work = Path(tmp)
            subprocess.run([args.folio, "--db", db, "migrate", "up"], check=True,
                           stdout=subprocess.DEVNULL)
            subprocess.run([args.folio, "--db", db, "user", "create-admin", "--username", ADMIN],
                           input=PASSWORD + "\n", text=True, check=True, stdout=subprocess.DEVNULL)
            servers = [Folio(args.folio, db, free_port(), work, f"server{i + 1}") for i in range(3)]
            for s in servers:
                s.start()
            listen = free_port()
            nginx = start_nginx(work, [s.port for s in servers], listen)
            print(f"3 servers on {[s.port for s in servers]}, nginx on {listen}", flush=True)

            status, body, _ = Client(listen).call(
                "POST", "/api/v1/auth/token", {"username": ADMIN, "password": PASSWORD})
            assert status == 200, (status, body)
            token = body["access_token"]
            # The request id reaches Folio and comes back; the client address is nginx's
            # X-Forwarded-For (the access log line of the server that answered has it).
            status, _, response = Client(listen, token).call(
                "GET", "/healthz")
            assert status == 200 and response.getheader("X-Request-Id"), "no request id"

            results = {"acknowledged": [], "bad": [], "answered": [0] * args.clients, "owned": {}}
            stop = threading.Event()
            threads = [threading.Thread(target=worker, args=(listen, token, stop, results, i))
                       for i in range(args.clients)]
            for t in threads:
                t.start()
            time.sleep(args.seconds / 3)
            print("stopping server2 (SIGTERM)", flush=True)
            servers[1].stop()
            time.sleep(args.seconds / 3)
            print("starting server2 again", flush=True)
            servers[1].start()
            time.sleep(args.seconds / 3)
            stop.set()
            for t in threads:
                t.join()

            answered = sum(results["answered"])
            print(f"{answered} requests answered, {len(results['acknowledged'])} writes "
                  f"acknowledged, {len(results['bad'])} bad", flush=True)
            failures = [f"unexpected: {b}" for b in results["bad"][:20]]
            if answered < 100:
                failures.append(f"only {answered} requests answered")

            # Every acknowledged write is in its entity's history at its version, and each
            # history counts 1, 2, 3, ... with no gap and no repeat; the entity now is the
            # last acknowledged write.
            reader = Client(listen, token)
            by_entity = {}
            for rid, version, name_written in results["acknowledged"]:
                by_entity.setdefault(rid, {})[version] = name_written
            for rid, written in by_entity.items():
                status, body, _ = reader.call("GET", f"/api/v1/resources/{rid}/history")
                if status != 200:
                    failures.append(f"history of {rid}: {status}")
                    continue
                versions = [e["version"] for e in body["items"]]
                if versions != list(range(1, len(versions) + 1)):
                    failures.append(f"{rid}: versions {versions}")
                status, now, _ = reader.call("GET", f"/api/v1/resources/{rid}")
                last = max(written)
                if status != 200 or now["version"] != last or now["name"] != written[last]:
                    failures.append(f"{rid}: now {now}, last acknowledged {last} {written[last]!r}")
                if len(versions) != last:
                    failures.append(f"{rid}: {len(versions)} versions, acknowledged up to {last}")

            # Background work: each position sealed once (several servers seal, with the same
            # result), and the log verifies intact.
            doubles = psql(db, "SELECT count(*) - count(DISTINCT position) FROM log_seals")
            if doubles != "0":
                failures.append(f"{doubles} positions sealed twice")
            verify = subprocess.run([args.folio, "--db", db, "verify"], stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, text=True)
            if verify.returncode != 0:
                failures.append("folio verify: " + verify.stdout[-1000:])
            errors = (work / "nginx-error.log").read_text() if (work / "nginx-error.log").exists() else ""
            print(f"nginx error log: {len(errors.splitlines())} lines (connection refusals "
                  "while server2 was down are expected)", flush=True)
            if failures:
                print("FAILED:\n  " + "\n  ".join(failures), file=sys.stderr)
                return 1
            print("every acknowledged write kept, every history contiguous, log intact")
            return 0
    finally:
        if nginx:
            nginx.terminate()
            nginx.wait(timeout=10)
        for s in servers:
            if s.process and s.process.poll() is None:
                s.process.terminate()
                s.process.wait(timeout=30)
        psql(base_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


if __name__ == "__main__":
    sys.exit(main())
