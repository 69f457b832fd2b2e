#!/usr/bin/env python3
"""Logs in and creates N resources for the wrk benchmarks.

Usage: seed.py HOST:PORT USERNAME PASSWORD N IDS_FILE
Prints the bearer token; writes the created ids, one per line, to IDS_FILE.
With FOLIO_SEED_NUMBERED_IDS=1 resource n (1..N) gets the id
00000000-0000-4000-8000-<n as 12 digits>, so that SQL (bench/pgbench/*.sql) can name the
same rows.
"""
import http.client
import json
import os
import sys

address, username, password, count, ids_file = sys.argv[1:6]
host, port = address.rsplit(":", 1)
conn = http.client.HTTPConnection(host, int(port), timeout=30)


def call(method, path, body, token=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    conn.request(method, path, json.dumps(body), headers)
    response = conn.getresponse()
    data = response.read()
    if response.status >= 300:
        sys.exit(f"{method} {path}: {response.status} {data[:300]!r}")
    return json.loads(data)


token = call("POST", "/api/v1/auth/token", {"username": username, "password": password})["access_token"]
with open(ids_file, "w") as out:
    numbered = os.environ.get("FOLIO_SEED_NUMBERED_IDS") == "1"
    for i in range(int(count)):
        body = {"name": f"seed {i}", "resource_type": "labor", "description": "seeded"}
        if numbered:
            body["id"] = f"00000000-0000-4000-8000-{i + 1:012d}"
        created = call("POST", "/api/v1/resources", body, token)
        out.write(created["id"] + "\n")
print(token)
