#!/usr/bin/env python3
"""Writes an import file (`folio import`) of N rows for the import benchmark.

Usage: make_file.py N OUT.jsonl

A plan's shape: per portfolio 4 programs, per program 5 projects, per project 2 phases
and 6 resource assignments over 3 resources of its own; the rest of the rows are
resources. Children are written BEFORE their parents (the file is reversed) so that the
import's ordering by reference is exercised, and ids are fixed by the row number so the
same N gives the same file.
"""
import json
import sys


def uid(n):
    return f"0193aaaa-0000-7000-8000-{n:012d}"


def rows(total):
    n = 0

    def row(entity_type, **fields):
        nonlocal n
        n += 1
        return n, dict(entity_type=entity_type, id=uid(n), **fields)

    out = []
    while len(out) < total:
        pid, portfolio = row("portfolio", name=f"Portfolio {n}", description="d", owner="Ada",
                             reporting_start_date="2026-01-01", reporting_end_date="2027-12-31")
        out.append(portfolio)
        for g in range(4):
            gid, program = row("program", portfolio_id=uid(pid), name=f"Program {n}",
                               business_sponsor="s", program_manager="m", technical_lead="t",
                               start_date="2026-01-01", end_date="2027-12-31")
            out.append(program)
            for j in range(5):
                jid, project = row("project", program_id=uid(gid), name=f"Project {n}",
                                   business_sponsor="s", project_manager="m", technical_lead="t",
                                   start_date="2026-01-01", end_date="2026-12-31",
                                   cost_center_code=f"CC-{n}")
                out.append(project)
                for ph in range(2):
                    out.append(row("project_phase", project_id=uid(jid), name=f"Phase {ph}",
                                   start_date=f"2026-0{1 + 3 * ph}-01",
                                   end_date=f"2026-0{3 + 3 * ph}-28", capital_budget="1000.00",
                                   expense_budget="250.50")[1])
                for r in range(3):
                    rid, resource = row("resource", name=f"Crane {n}", resource_type="non_labor")
                    out.append(resource)
                    for d in range(2):
                        out.append(row("resource_assignment", resource_id=uid(rid),
                                       project_id=uid(jid), assignment_date=f"2026-03-1{d}",
                                       capital_percentage=30, expense_percentage=20)[1])
    return out[:total]


def main():
    if len(sys.argv) != 3 or sys.argv[1] in ("-h", "--help"):
        sys.exit(__doc__)
    total = int(sys.argv[1])
    made = rows(total)
    # A cut-off plan may end with children whose parents were cut: keep only rows whose
    # references are all in the file.
    present = {r["id"] for r in made}
    keep = [r for r in made
            if all(v in present for k, v in r.items() if k.endswith("_id") and k != "id")]
    with open(sys.argv[2], "w") as out:
        for r in reversed(keep):
            out.write(json.dumps(r, separators=(",", ":")) + "\n")
    print(f"{len(keep)} rows in {sys.argv[2]}")


if __name__ == "__main__":
    main()
