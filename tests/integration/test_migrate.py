#!/usr/bin/env python3
# `tandem migrate run` end to end: a tandem edge, SIPp backends as the old and the new media node,
# and a SIPp caller keeping 100 calls/s of 20-second calls going through the whole run.
"""Each --case starts two SIPp UAS (old and new node), the edge with a control endpoint and
algorithm 9 over a set holding only the old node, a SIPp caller at 100 calls/s holding each call
20 s, then `tandem migrate run PLAN` with gates, and checks what the caller, the nodes, the edge
and the run say.

migrate_run_full      old -> both -> new -> drain: 0 failed calls, every call that started on the
                      old node ends there (its BYE reaches it), the old node takes no new call
                      once the new phase is on, the drain watch reaches 0, snapshots before and
                      after are written, status says done.
migrate_run_rollback  the new node answers 503 to everything (and the edge does not fail over):
                      the asr_min gate trips, the run rolls back to old within 10 s of the shift
                      and exits 3 naming the gate and its value; after that no call fails.
"""

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import Ctx, Failed, Skipped, SippUAC, SippUAS, check_backend, finish_all, main  # noqa: E402
from test_dispatcher import dispatcher_edge  # noqa: E402

RATE = 100        # calls per second, the load
HOLD_MS = 20000   # each call lasts 20 s


def need_tandem(ctx: Ctx) -> None:
    if ctx.args.direct or ctx.args.impl != "tandem":
        raise Skipped("tandem migrate runs against a tandem edge")


class RunProc:
    """`tandem migrate run` in the background; every stdout line kept with its arrival time."""

    def __init__(self, ctx: Ctx, argv: list[str]):
        self.ctx = ctx
        self.lines: list[tuple[float, str]] = []
        self.out_path = ctx.dir / "run.out"
        self.p = subprocess.Popen(argv, cwd=ctx.dir, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True)
        self.t = threading.Thread(target=self._read, daemon=True)
        self.t.start()

    def _read(self):
        with open(self.out_path, "w") as f:
            for line in self.p.stdout:
                self.lines.append((time.monotonic(), line.rstrip("\n")))
                f.write(line)
                f.flush()
                if self.ctx.args.verbose:
                    print("  run| " + line.rstrip("\n"), flush=True)

    def wait_line(self, text: str, timeout: float) -> float | None:
        """Arrival time of the first line containing text."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for t, line in list(self.lines):
                if text in line:
                    return t
            if self.p.poll() is not None and not self.t.is_alive():
                break
            time.sleep(0.1)
        for t, line in list(self.lines):
            if text in line:
                return t
        return None

    def wait(self, timeout: float) -> int | None:
        try:
            rc = self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            return None
        self.t.join(5)
        return rc

    def text(self) -> str:
        return "\n".join(line for _, line in self.lines)


def write_plan(ctx: Ctx, ctl_port: int, old: str, new: str, phases: list[str], soak: str,
               gates: dict, store: str) -> Path:
    plan = ctx.dir / "plan.toml"
    g = "\n".join("%s = %s" % (k, json.dumps(v)) for k, v in gates.items())
    plan.write_text(
        "[migration]\n"
        'name = "it-run"\n'
        'edge = "http://127.0.0.1:%d/rpc"\n' % ctl_port
        + "set = 1\n"
        'old = "%s"\nnew = "%s"\n' % (old, new)
        + "phases = [%s]\n" % ", ".join('"%s"' % p for p in phases)
        + 'soak = "%s"\n' % soak
        + 'rollback_deadline = "10m"\n'
        'snapshots = "%s"\n' % (ctx.dir / "snapshots")
        + 'audit = "%s"\n' % (ctx.dir / "audit.jsonl")
        + 'store = "%s"\n' % store
        + 'operator = "it-operator"\n'
        "\n[gates]\n" + g + "\n"
        "\n[drain]\nthreshold = 0\ninterval = \"2s\"\ntimeout = \"2m\"\n")
    return plan


def dest(ctl, uri: str) -> dict:
    d = ctl.dests().get(uri)
    if d is None:
        raise Failed("%s is not in set 1: %s" % (uri, sorted(ctl.dests())))
    return d


def start(ctx: Ctx, new_scenario: str, ds: dict | None = None):
    old = SippUAS(ctx, "old", "uas_answer.xml")
    new = SippUAS(ctx, "new", new_scenario)
    edge, ctl = dispatcher_edge(ctx, ["1 %s 0 0 weight=100" % old.uri], algorithm=9, ds=ds,
                                fr_inv_timer=30000)
    return old, new, edge, ctl


def caller(ctx: Ctx, edge, seconds: int) -> SippUAC:
    calls = RATE * seconds
    return SippUAC(ctx, "caller", "uac_hold.xml", edge.hostport, calls=calls, rate=RATE,
                   limit=RATE * (HOLD_MS // 1000) * 2, timeout_s=seconds + HOLD_MS // 1000 + 60,
                   extra=["-d", str(HOLD_MS)])


def case_migrate_run_full(ctx: Ctx) -> None:
    need_tandem(ctx)
    old, new, edge, ctl = start(ctx, "uas_answer.xml")
    store = "sqlite:%s" % (ctx.dir / "runs.db")
    plan = write_plan(ctx, ctl.port, old.uri, new.uri, ["both", "new"], "15s",
                      {"interval": "2s", "window": "10s", "min_calls": 50, "asr_min": 95,
                       "new_node_asr_min": 95, "max_5xx_per_min": 30}, store)
    # Load through the whole run: 5 s on the old node, 2 x 15 s of phases, then the drain.
    uac = caller(ctx, edge, 45)
    time.sleep(5)
    run = RunProc(ctx, [ctx.args.tandem, "migrate", "run", str(plan)])
    t_new = run.wait_line("applying new", 60)
    ctx.require(t_new is not None, "the run must reach phase new:\n" + run.text())
    time.sleep(1.0)  # dialogs being set up at the switch still land where they were sent
    old_attempts_at_new = dest(ctl, old.uri)["CALLS"]["ATTEMPTS"]
    rc = run.wait(120)
    out = run.text()
    print("  run exit %s; last lines:\n    %s" % (rc, "\n    ".join(out.splitlines()[-6:])))
    ctx.check(rc == 0, "tandem migrate run must exit 0 (done), got %s:\n%s" % (rc, out))
    ctx.check("drained" in out, "the drain watch must report the old node drained")
    ctx.check("done: new dialogs go to %s" % new.uri in out, "the run must end done")
    res = uac.run()
    ctx.check(res["rc"] == 0 and res["bad"] == 0 and res["ok"] == uac.calls,
              "every call must succeed through the run: successful=%s failed=%s of %d (rc=%s)"
              % (res["ok"], res["bad"], uac.calls, res["rc"]))
    o = dest(ctl, old.uri)
    n = dest(ctl, new.uri)
    ctx.check(o["CALLS"]["ATTEMPTS"] == old_attempts_at_new,
              "the old node must take no new call once phase new is on: %d then, %d at the end"
              % (old_attempts_at_new, o["CALLS"]["ATTEMPTS"]))
    ctx.check(o["STATE"] == "drain" and n["STATE"] == "active",
              "old must be drained and new active at the end: %s / %s" % (o["STATE"], n["STATE"]))
    ctx.check(o["ACTIVE_CALLS"] == 0, "the old node must carry no call at the end")
    oc, nc = finish_all([old, new], grace=1.0)
    # uas_answer completes a call only when its BYE arrives: a call that started on a node and
    # ended anywhere else would stay incomplete (or show as unexpected on the other node).
    check_backend(ctx, old, oc, " (old)")
    check_backend(ctx, new, nc, " (new)")
    ctx.check(oc["incoming"] + nc["incoming"] == uac.calls,
              "each call must reach exactly one node: old %d + new %d != %d"
              % (oc["incoming"], nc["incoming"], uac.calls))
    ctx.check(oc["incoming"] == o["CALLS"]["ATTEMPTS"],
              "the old node's calls must be the edge's count for it: %d vs %d"
              % (oc["incoming"], o["CALLS"]["ATTEMPTS"]))
    print("  calls: old %d, new %d, all completed where they started" % (oc["incoming"],
                                                                          nc["incoming"]))
    snaps = sorted(p.name for p in (ctx.dir / "snapshots").glob("*.json"))
    ctx.check(any(s.endswith("-it-run-before.json") for s in snaps) and
              any(s.endswith("-it-run-after.json") for s in snaps),
              "snapshots before and after must be written: %s" % snaps)
    audit = (ctx.dir / "audit.jsonl").read_text().splitlines()
    ctx.check(len(audit) == 2 and all(json.loads(a)["result"] == "ok" for a in audit),
              "two audited applies (both, new): %s" % audit)
    st = subprocess.run([ctx.args.tandem, "migrate", "status", "it-run", "--store", store],
                        capture_output=True, text=True, timeout=30)
    ctx.check(st.returncode == 0 and "run it-run: done" in st.stdout,
              "tandem migrate status must say done: rc=%d %s%s" % (st.returncode, st.stdout,
                                                                   st.stderr))
    edge.stop()


def metric(ctl, code: int) -> int:
    status, body = ctl.get("/metrics")
    for line in body.splitlines():
        if line.startswith('tandem_sip_replies_total{code="%d"}' % code):
            return int(float(line.split()[-1]))
    return 0


def case_migrate_run_rollback(ctx: Ctx) -> None:
    need_tandem(ctx)
    # failover_limit 1: the edge tries one node per call, so the new node's 503s reach callers
    # (with failover they would be retried on the old node and only the node's ASR would show).
    old, new, edge, ctl = start(ctx, "uas_503.xml", ds={"failover_limit": 1})
    store = "sqlite:%s" % (ctx.dir / "runs.db")
    plan = write_plan(ctx, ctl.port, old.uri, new.uri, ["both", "new"], "30s",
                      {"interval": "1s", "window": "5s", "min_calls": 20, "asr_min": 90}, store)
    uac = caller(ctx, edge, 30)
    time.sleep(4)
    run = RunProc(ctx, [ctx.args.tandem, "migrate", "run", str(plan)])
    t_shift = run.wait_line("applying both", 30)
    ctx.require(t_shift is not None, "the run must apply phase both:\n" + run.text())
    t_back = run.wait_line("rolled back to old", 30)
    rc = run.wait(60)
    out = run.text()
    print("  run exit %s; last lines:\n    %s" % (rc, "\n    ".join(out.splitlines()[-5:])))
    ctx.check(rc == 3, "tandem migrate run must exit 3 (rolled back), got %s:\n%s" % (rc, out))
    ctx.require(t_back is not None, "the run must roll back to old:\n" + out)
    ctx.check(t_back - t_shift <= 10.0,
              "the rollback must come within 10 s of the shift, took %.1f s" % (t_back - t_shift))
    print("  rolled back %.1f s after the shift" % (t_back - t_shift))
    ctx.check("GATE TRIPPED in phase both: asr_min " in out and "(limit ≥ 90.0%)" in out,
              "the run must say which gate tripped and with what value:\n" + out)
    o, n = dest(ctl, old.uri), dest(ctl, new.uri)
    ctx.check(o["STATE"] == "active" and o["ATTRS"].get("WEIGHT") == 100 and n["STATE"] == "drain",
              "after the rollback old must take every new call (active, weight 100) and new be "
              "drained: %s %s / %s" % (o["STATE"], o["ATTRS"], n["STATE"]))
    # Calls already sent to the new node may still be answered 503 for a moment; after that
    # the failed-call rate is 0.
    time.sleep(2)
    failed_then = metric(ctl, 503)
    ctx.check(failed_then > 0, "the new node's 503s must have reached callers before the rollback")
    time.sleep(10)
    failed_later = metric(ctl, 503)
    ctx.check(failed_later == failed_then,
              "no call may fail once rolled back: 503s went from %d to %d in 10 s"
              % (failed_then, failed_later))
    res = uac.run()
    ctx.check(res["bad"] == failed_later,
              "the caller's failed calls must be exactly the 503s of the shift: %s vs %d"
              % (res["bad"], failed_later))
    print("  %d calls failed during the %.1f s on the bad node, none after"
          % (failed_later, t_back - t_shift))
    st = subprocess.run([ctx.args.tandem, "migrate", "status", "it-run", "--store", store],
                        capture_output=True, text=True, timeout=30)
    ctx.check(st.returncode == 0 and "run it-run: rolled_back" in st.stdout and "asr_min" in st.stdout,
              "tandem migrate status must show the rollback and its gate: %s%s"
              % (st.stdout, st.stderr))
    finish_all([old, new], grace=0.5)
    edge.stop()


CASES = {
    "migrate_run_full": case_migrate_run_full,
    "migrate_run_rollback": case_migrate_run_rollback,
}

if __name__ == "__main__":
    main(CASES, __doc__)
