#!/usr/bin/env python3
# Dispatcher and control-plane integration tests of `tandem edge`: selection algorithms, OPTIONS
# probing, drain, state-keeping reload, a backend killed under load, tandem ctl, /metrics, /health.
"""Each --case starts SIPp or python backends, the edge with a control endpoint
([control] listen on a free port), drives calls and watches the JSON-RPC view of the dispatcher.

    test_dispatcher.py --tandem build/tandem --case dispatcher_probing [-v] [--keep]

These cases test tandem's own dispatcher and control plane: --direct and --impl kamailio skip.
"""

import json
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import (SDP, Ctx, Failed, SipMsg, SipPeer, Sipp, Skipped, SippUAC,  # noqa: E402
                     SippUAS, TandemEdge, build_request, build_response, check_backend,
                     check_caller, finish_all, free_port, indent, is_resp, main,
                     new_branch, new_callid, wait_bound)
from test_sip import describe, final_of, transaction  # noqa: E402

SETID = 1


def need_tandem(ctx: Ctx) -> None:
    if ctx.args.direct or ctx.args.impl != "tandem":
        raise Skipped("tandem's dispatcher and control plane (JSON-RPC, probing, drain)")


def scaled(ctx: Ctx, n: int, floor: int = 10) -> int:
    return max(floor, int(n * ctx.args.scale))


# --------------------------------------------------------------------------- control plane

class Control:
    """JSON-RPC 2.0 over HTTP to the edge's [control] endpoint, and GET of /metrics, /health."""

    def __init__(self, ctx: Ctx, port: int):
        self.ctx, self.port = ctx, port
        self.base = "http://127.0.0.1:%d" % port
        self.url = self.base + "/rpc"
        self.next_id = 0

    def call(self, method: str, *params):
        """The result; an error answer or no answer is fatal (Failed) with what was sent."""
        self.next_id += 1
        body = json.dumps({"jsonrpc": "2.0", "method": method, "params": list(params),
                           "id": self.next_id}).encode()
        req = urllib.request.Request(self.url, data=body,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=5) as r:
                ans = json.loads(r.read())
        except urllib.error.HTTPError as e:
            raise Failed("RPC %s %s: HTTP %d %s" % (method, list(params), e.code, e.read()[:200]))
        except (OSError, ValueError) as e:
            raise Failed("RPC %s %s: no JSON answer from %s: %s"
                         % (method, list(params), self.url, e))
        if "error" in ans:
            raise Failed("RPC %s %s answered error %s" % (method, list(params), ans["error"]))
        return ans.get("result")

    def get(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(self.base + path, timeout=5) as r:
                return r.status, r.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode("utf-8", "replace")
        except OSError as e:
            raise Failed("GET %s%s: %s" % (self.base, path, e))

    def dests(self, setid: int = SETID) -> dict[str, dict]:
        """dispatcher.list: URI -> DEST of one set (Kamailio's RECORDS/SET/TARGETS/DEST shape)."""
        res = self.call("dispatcher.list")
        try:
            for rec in res["RECORDS"]:
                if rec["SET"]["ID"] == setid:
                    return {t["DEST"]["URI"]: t["DEST"] for t in rec["SET"]["TARGETS"]}
        except (KeyError, TypeError) as e:
            raise Failed("dispatcher.list: not in Kamailio's RECORDS[].SET.TARGETS[].DEST shape "
                         "(%r missing): %s" % (e, json.dumps(res)[:400]))
        return {}

    def set_state(self, state: str, uri: str) -> None:
        self.call("dispatcher.set_state", state, SETID, uri)

    def stat(self, name: str) -> int:
        return int(self.call("stats.get", name).get(name, 0))


def dispatcher_edge(ctx: Ctx, lines: list[str], algorithm: int = 4, ds: dict | None = None,
                    dialog: dict | None = None, **kw) -> tuple[TandemEdge, Control]:
    """The edge with a control endpoint and a dispatcher list made of lines
    ("SETID URI FLAGS PRIORITY [ATTRS]")."""
    cport = free_port()
    sections = {"control": {"listen": "127.0.0.1:%d" % cport}}
    if dialog:
        sections["dialog"] = dialog
    edge = TandemEdge(ctx, algorithm=algorithm, dispatcher=ds, sections=sections, **kw)
    write_list(edge, lines)
    edge.start()
    if not wait_bound(cport, "tcp", 5.0):
        raise Failed("the edge answers SIP but its control endpoint 127.0.0.1:%d is not listening"
                     % cport)
    return edge, Control(ctx, cport)


def write_list(edge: TandemEdge, lines: list[str]) -> None:
    edge.ds_list.write_text("# setid destination flags priority attrs\n" + "\n".join(lines) + "\n")


PROBING = dict(ping_interval=1, probing_threshold=3, inactive_threshold=3, probing_mode=1)


# --------------------------------------------------------------------------- python peers

class Backend:
    """A python UAS on a port of its own: INVITE -> `status` (200 holds a dialog until BYE,
    with a Contact and the Record-Route echoed), OPTIONS/CANCEL/INFO -> 200, BYE -> 200 (481 for
    a dialog it never answered), ACK absorbed. kill() closes its socket, as a dying process
    does; start() binds the same port again (a restarted process knows no dialog)."""

    REASONS = {200: "OK", 486: "Busy Here", 503: "Service Unavailable"}

    def __init__(self, ctx: Ctx, name: str, status: int = 200):
        self.ctx, self.name, self.status = ctx, name, status
        self.lock = threading.Lock()
        self.port = 0
        self.peer: SipPeer | None = None
        self.start()
        self.hostport = self.peer.hostport
        self.uri = "sip:%s" % self.hostport

    def start(self) -> None:
        with self.lock:
            self.invites: dict[str, float] = {}  # Call-ID -> time of its first INVITE
            self.answered: set[str] = set()
            self.byes: set[str] = set()
            self.peer = SipPeer(self.ctx, self.name, port=self.port)
            self.port = self.peer.port
            self.peer.auto = self._auto

    def kill(self) -> set[str]:
        """Close the socket; returns the Call-IDs it had in hand (INVITE received, no BYE yet)."""
        with self.lock:
            self.peer.auto = None
            self.peer.close()
            return set(self.invites) - self.byes

    def calls(self, since: float = 0.0) -> list[str]:
        with self.lock:
            return [c for c, t in self.invites.items() if t >= since]

    def _auto(self, peer: SipPeer, m: SipMsg, addr) -> None:
        if m.is_response or m.method == "ACK":
            return
        cid = m.get("call-id")
        with self.lock:
            if peer is not self.peer:
                return
            if m.method == "INVITE":
                self.invites.setdefault(cid, time.monotonic())
                if self.status == 200:
                    self.answered.add(cid)
                    resp = build_response(m, 200, "OK", copy_rr=True, body=SDP,
                                          extra=["Contact: <sip:b@%s>" % peer.hostport])
                else:
                    resp = build_response(m, self.status, self.REASONS.get(self.status, "Busy"))
            elif m.method == "BYE":
                known = cid in self.answered
                self.byes.add(cid)
                resp = build_response(m, 200 if known else 481,
                                      "OK" if known else "Call Does Not Exist", to_tag=None)
            elif m.method in ("OPTIONS", "CANCEL", "INFO"):
                resp = build_response(m, 200, "OK")
            else:
                resp = build_response(m, 405, "Method Not Allowed")
        peer.send(resp, addr)


def route_of(backends: list, marks: list[int], cid: str) -> set[str]:
    """Names of the python backends that received an INVITE of Call-ID cid since their marks."""
    return {b.name for b, mk in zip(backends, marks)
            if any(m.method == "INVITE" and m.get("call-id") == cid for m in b.peer.messages(mk))}


class Dialog:
    def __init__(self, cid: str, from_hdr: str, to_hdr: str, route: list[str], target: str,
                 backend: str | None):
        self.cid, self.from_hdr, self.to_hdr = cid, from_hdr, to_hdr
        self.route, self.target, self.backend = route, target, backend
        self.cseq = 1


class Caller:
    """A python UAC calling through the edge by hand: INVITE, 200, ACK along the Record-Route;
    BYE later (RFC 3261 12.1.2: route set = Record-Route reversed, target = Contact)."""

    def __init__(self, ctx: Ctx, edge: TandemEdge, name: str = "caller"):
        self.ctx, self.edge = ctx, edge
        self.peer = SipPeer(ctx, name)

    def call(self, backends: list) -> tuple[Dialog | None, list[SipMsg], set[str]]:
        """One call; returns (dialog or None, responses, names of backends that got the INVITE)."""
        marks = [b.peer.mark() for b in backends]
        cid = new_callid()
        req = build_request("INVITE", "sip:svc@%s" % self.edge.hostport, self.peer, call_id=cid,
                            from_tag="f%x" % (hash(cid) & 0xffffff), body=SDP)
        resps = transaction(self.ctx, self.peer, self.edge, req, timeout=4.0)
        time.sleep(0.02)
        got = route_of(backends, marks, cid)
        f = final_of(resps)
        if f is None or f.status != 200:
            return None, resps, got
        sent = SipMsg(req)
        rr = [x.strip() for v in f.all("record-route") for x in v.split(",")]
        m = re.search(r"<([^>]*)>", f.get("contact") or "")
        dlg = Dialog(cid, sent.get("from"), f.get("to"), list(reversed(rr)),
                     m.group(1) if m else sent.ruri, next(iter(got)) if len(got) == 1 else None)
        self.peer.send(self._in_dialog(dlg, "ACK", 1), self.edge.addr)
        return dlg, resps, got

    def _in_dialog(self, dlg: Dialog, method: str, cseq: int) -> bytes:
        h = ["%s %s SIP/2.0" % (method, dlg.target),
             "Via: SIP/2.0/UDP %s;branch=%s;rport" % (self.peer.hostport, new_branch())]
        h += ["Route: %s" % r for r in dlg.route]
        h += ["From: %s" % dlg.from_hdr, "To: %s" % dlg.to_hdr, "Call-ID: %s" % dlg.cid,
              "CSeq: %d %s" % (cseq, method), "Max-Forwards: 70", "Content-Length: 0"]
        return ("\r\n".join(h) + "\r\n\r\n").encode()

    def bye(self, dlg: Dialog) -> int | None:
        dlg.cseq += 1
        mark = self.peer.mark()
        self.peer.send(self._in_dialog(dlg, "BYE", dlg.cseq), self.edge.addr)
        r = self.peer.wait_for(lambda m: is_resp(dlg.cid, "BYE", final=True)(m)
                               and m.cseq()[0] == dlg.cseq, 4.0, mark)
        return r.status if r else None


def wait_until(pred, timeout: float, step: float = 0.1):
    """Poll pred() until it returns something true; returns it (or the last value)."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v or time.monotonic() >= deadline:
            return v
        time.sleep(step)


# --------------------------------------------------------------------------- distribution

def run_busy_calls(ctx: Ctx, edge: TandemEdge, backends: list[SippUAS], n: int, rate: int,
                   timeout_s: int) -> list[int]:
    """n short calls (INVITE / 486 / ACK) through the edge; returns the INVITEs per backend."""
    uac = SippUAC(ctx, "caller", "uac_busy.xml", edge.hostport, n, rate, 3000, timeout_s)
    res = uac.run()
    check_caller(ctx, uac, res)
    counts = finish_all(backends)
    for b, c in zip(backends, counts):
        check_backend(ctx, b, c)
    got = [c["incoming"] for c in counts]
    ctx.check(sum(got) == n, "each of the %d calls must reach exactly one backend, the backends "
              "got %s INVITEs (sum %d)" % (n, got, sum(got)))
    return got


def check_shares(ctx: Ctx, what: str, names: list[str], got: list[int], want: list[float],
                 tol: float = 0.03) -> None:
    total = sum(got) or 1
    rows = ["%s %d (%.1f%%, configured %.1f%%)" % (nm, g, 100.0 * g / total, 100 * w)
            for nm, g, w in zip(names, got, want)]
    print("  %s: %s" % (what, "; ".join(rows)))
    bad = [r for r, g, w in zip(rows, got, want) if abs(g / total - w) > tol]
    ctx.check(not bad, "%s: every share must be within +-%d%% of its configured share over %d "
              "calls, off: %s" % (what, round(tol * 100), total, "; ".join(bad)))


def case_dispatcher_round_robin(ctx: Ctx) -> None:
    """algorithm 4: 300 calls over 3 backends -> exactly 100 each; with one disabled over RPC,
    200 calls -> exactly 100 each for the other two and none for it."""
    need_tandem(ctx)
    names = ["rrA", "rrB", "rrC"]
    bs = [SippUAS(ctx, n, "uas_answer.xml") for n in names]
    edge, ctl = dispatcher_edge(ctx, ["1 %s 0 0" % b.uri for b in bs], algorithm=4)
    uac = SippUAC(ctx, "caller", "uac_call.xml", edge.hostport, 300, 150, 300, 40)
    res = uac.run()
    check_caller(ctx, uac, res)
    # SIPp writes its counts file every second (-fd 1): wait until it shows the 300 calls
    invites = lambda: [b.msg_count("INVITE_Recv") for b in bs]  # noqa: E731
    first = wait_until(lambda: (lambda g: g if sum(g) >= 300 else None)(invites()), 3.0, 0.2)
    first = first or invites()
    print("  300 calls, round-robin over 3: %s" % dict(zip(names, first)))
    ctx.check(first == [100, 100, 100], "round-robin over 3 active destinations: 300 calls must "
              "split exactly 100/100/100, got %s" % first)

    ctl.set_state("d", bs[2].uri)
    uac = SippUAC(ctx, "caller2", "uac_call.xml", edge.hostport, 200, 150, 200, 40)
    res = uac.run()
    check_caller(ctx, uac, res)
    counts = finish_all(bs)
    for b, c in zip(bs, counts):
        check_backend(ctx, b, c)
    second = [c["incoming"] - f for c, f in zip(counts, first)]
    print("  200 calls with %s disabled: %s" % (names[2], dict(zip(names, second))))
    ctx.check(second == [100, 100, 0], "round-robin with rrC disabled: 200 calls must split "
              "exactly 100/100/0, got %s" % second)
    edge.stop()


def weighted_case(ctx: Ctx, algorithm: int, attr: str, weights: list[int],
                  inactive: list[bool]) -> None:
    need_tandem(ctx)
    n = scaled(ctx, 10000, 1000)
    names = ["w%s" % chr(ord("A") + i) for i in range(len(weights))]
    bs = [SippUAS(ctx, nm, "uas_busy.xml") for nm in names]
    edge, ctl = dispatcher_edge(ctx, ["1 %s 0 0 %s=%d" % (b.uri, attr, w)
                                      for b, w in zip(bs, weights)], algorithm=algorithm)
    for b, off in zip(bs, inactive):
        if off:
            ctl.set_state("i", b.uri)
    live = sum(w for w, off in zip(weights, inactive) if not off)
    want = [0.0 if off else w / live for w, off in zip(weights, inactive)]
    got = run_busy_calls(ctx, edge, bs, n, 800, 90)
    what = "algorithm %d (%s %s%s)" % (algorithm, attr, "/".join(map(str, weights)),
                                       ", %s inactive" % ",".join(
                                           nm for nm, off in zip(names, inactive) if off)
                                       if any(inactive) else "")
    check_shares(ctx, what, names, got, want)
    for nm, g, off in zip(names, got, inactive):
        if off:
            ctx.check(g == 0, "%s: %s is inactive and must get no call, got %d" % (what, nm, g))
    edge.stop()


def case_dispatcher_weight(ctx: Ctx) -> None:
    """algorithm 9: weight=50/30/20 -> shares within +-3% over 10,000 calls."""
    weighted_case(ctx, 9, "weight", [50, 30, 20], [False, False, False])


def case_dispatcher_rweight(ctx: Ctx) -> None:
    """algorithm 11: rweight=60/30/10/100 with the 100 one inactive -> 60/30/10% of 10,000
    calls (within +-3%) among the active ones, none for the inactive one."""
    weighted_case(ctx, 11, "rweight", [60, 30, 10, 100], [False, False, False, True])


HASH_KEYS = 30


def hash_request(alg: int, caller: SipPeer, edge: TandemEdge, key: int, variant: int) -> bytes:
    """An INVITE whose hashed key is `key` (the same for every variant) while everything the
    algorithm must ignore changes with `variant` (Call-ID, tags, other URIs)."""
    v = "v%d-%x" % (variant, random.getrandbits(32))
    edge_hp = edge.hostport
    ruri, to_uri = "sip:svc-%s@%s" % (v, edge_hp), "sip:to-%s@example.net" % v
    from_uri, cid = "sip:from-%s@example.org" % v, "cid-%s@it.test" % v
    if alg == 0:
        cid = "key-%d@it.test" % key
    elif alg == 1:
        from_uri = "sip:user%d@example.org" % key
    elif alg == 2:
        to_uri = "sip:dest%d@example.net" % key
    elif alg == 3:
        ruri = "sip:svc%d@%s" % (key, edge_hp)
    elif alg == 7:  # "$fU@$ci": half the keys share a Call-ID, half share a From user
        fu, ci = ("u%d" % key, "shared@it.test") if key % 2 else ("same", "ci-%d@it.test" % key)
        from_uri, cid = "sip:%s@host-%s.example.org" % (fu, v), ci
    h = ["INVITE %s SIP/2.0" % ruri,
         "Via: SIP/2.0/UDP %s;branch=%s;rport" % (caller.hostport, new_branch()),
         "From: <%s>;tag=t%s" % (from_uri, v), "To: <%s>" % to_uri, "Call-ID: %s" % cid,
         "CSeq: %d INVITE" % (variant + 1), "Max-Forwards: 70",
         "Contact: <sip:it@%s>" % caller.hostport, "Content-Length: 0"]
    return ("\r\n".join(h) + "\r\n\r\n").encode()


def case_dispatcher_hash(ctx: Ctx) -> None:
    """algorithms 0 (Call-ID), 1 (From URI), 2 (To URI), 3 (R-URI), 7 ("$fU@$ci"): each key
    always goes to the same backend whatever else changes; 30 keys use all 3 backends; with an
    unrelated backend inactive no key moves (only its own keys move), and back active every
    key returns to its backend."""
    need_tandem(ctx)
    bs = [Backend(ctx, "hash%s" % x, status=486) for x in "ABC"]
    for alg in (0, 1, 2, 3, 7):
        ds = {"hash_expression": "$fU@$ci"} if alg == 7 else None
        edge, ctl = dispatcher_edge(ctx, ["1 %s 0 0" % b.uri for b in bs], algorithm=alg, ds=ds)
        caller = SipPeer(ctx, "caller%d" % alg)
        what = "algorithm %d" % alg

        def send(key: int, variant: int) -> str | None:
            marks = [b.peer.mark() for b in bs]
            req = hash_request(alg, caller, edge, key, variant)
            resps = transaction(ctx, caller, edge, req, 2.0)
            got = route_of(bs, marks, SipMsg(req).get("call-id"))
            if len(got) != 1 or (final_of(resps) is None or final_of(resps).status != 486):
                ctx.check(False, "%s key %d: the INVITE must reach exactly one backend and its "
                          "486 come back, backends %s, caller got %s"
                          % (what, key, sorted(got), describe(resps)))
                return None
            return got.pop()

        home = {k: send(k, 0) for k in range(HASH_KEYS)}
        again = {k: send(k, 1) for k in range(HASH_KEYS)}
        moved = [(k, home[k], again[k]) for k in home if home[k] != again[k]]
        ctx.check(not moved, "%s: the same key with another Call-ID/tags/URIs must go to the same "
                  "backend, moved (key, first, second): %s" % (what, moved[:5]))
        used = {b.name: sum(1 for v in home.values() if v == b.name) for b in bs}
        print("  %s: %d keys -> %s" % (what, HASH_KEYS, used))
        ctx.check(all(used.values()), "%s: %d different keys must spread over all 3 backends, "
                  "got %s" % (what, HASH_KEYS, used))
        if alg == 7:  # both parts of "$fU@$ci" count
            odd = {home[k] for k in home if k % 2}
            even = {home[k] for k in home if not k % 2}
            ctx.check(len(odd) > 1 and len(even) > 1, "algorithm 7 ($fU@$ci): keys with one "
                      "Call-ID and different From users must spread (%s), and keys with one "
                      "From user and different Call-IDs too (%s)" % (sorted(odd), sorted(even)))

        down = bs[2]
        ctl.set_state("i", down.uri)
        after = {k: send(k, 2) for k in range(HASH_KEYS)}
        moved = [(k, home[k], after[k]) for k in home
                 if home[k] != down.name and after[k] != home[k]]
        stuck = [k for k in home if after[k] == down.name]
        ctx.check(not moved, "%s: with %s inactive, keys of the other backends must stay where "
                  "they were (no reshuffle), moved (key, before, after): %s"
                  % (what, down.name, moved[:5]))
        ctx.check(not stuck, "%s: %s is inactive, its keys %s still went there"
                  % (what, down.name, stuck[:5]))
        ctl.set_state("a", down.uri)
        back = {k: send(k, 3) for k in range(HASH_KEYS)}
        moved = [(k, home[k], back[k]) for k in home if home[k] != back[k]]
        ctx.check(not moved, "%s: %s active again: every key must be back on its first backend, "
                  "moved (key, first, now): %s" % (what, down.name, moved[:5]))
        edge.stop()  # the next algorithm gets a fresh edge


def case_dispatcher_call_load(ctx: Ctx) -> None:
    """algorithm 10: each new call goes to a destination with the fewest active calls (calls
    held open, counted by the edge), never to one at its maxload; all full -> 503; a BYE frees
    a slot and the next call takes it."""
    need_tandem(ctx)
    bs = [Backend(ctx, "load%s" % x) for x in "ABC"]
    maxload = {"loadA": 1, "loadB": 2, "loadC": 3}
    edge, ctl = dispatcher_edge(ctx, ["1 %s 0 0 maxload=%d" % (b.uri, maxload[b.name])
                                      for b in bs], algorithm=10)
    caller = Caller(ctx, edge)
    active: dict[str, list[Dialog]] = {b.name: [] for b in bs}
    by_uri = {b.uri: b.name for b in bs}

    def check_list(when: str) -> None:
        d = ctl.dests()
        seen = {by_uri.get(u, u): v.get("ACTIVE_CALLS") for u, v in d.items()}
        want = {n: len(v) for n, v in active.items()}
        ctx.check(seen == want, "dispatcher.list ACTIVE_CALLS %s must be %s, is %s"
                  % (when, want, seen))

    def new_call(i: int) -> None:
        loads = {n: len(v) for n, v in active.items()}
        open_ = {n: l for n, l in loads.items() if l < maxload[n]}
        dlg, resps, got = caller.call(bs)
        if not open_:
            f = final_of(resps)
            ctx.check(f is not None and f.status == 503 and not got,
                      "call %d: every destination is at its maxload (%s): the caller must get "
                      "503 and no backend the INVITE; caller got %s, backends %s"
                      % (i, loads, describe(resps), sorted(got)))
            return
        if not ctx.check(dlg is not None and len(got) == 1,
                         "call %d must be answered by exactly one backend: backends %s, caller "
                         "got %s" % (i, sorted(got), describe(resps))):
            return
        name = dlg.backend
        best = min(open_.values())
        ctx.check(name in open_ and loads[name] == best,
                  "call %d with active calls %s (maxload %s) must go to one of the least loaded "
                  "%s, went to %s" % (i, loads, maxload, sorted(n for n, l in open_.items()
                                                                if l == best), name))
        active[name].append(dlg)

    for i in range(1, 7):  # 6 = 1 + 2 + 3: every destination full
        new_call(i)
    print("  6 calls held: %s" % {n: len(v) for n, v in active.items()})
    check_list("with 6 calls held")
    new_call(7)  # all full: 503
    dlg = active["loadB"].pop()
    ctx.check(caller.bye(dlg) == 200, "BYE of a call on loadB must get 200")
    time.sleep(0.1)
    check_list("after one BYE on loadB")
    new_call(8)  # the free slot: loadB
    ctx.check(len(active["loadB"]) == 2, "call 8: the slot freed on loadB must take the next call")
    dlg = active["loadA"].pop()
    ctx.check(caller.bye(dlg) == 200, "BYE of the call on loadA must get 200")
    time.sleep(0.1)
    new_call(9)  # loadA is empty now: least loaded
    ctx.check(len(active["loadA"]) == 1, "call 9: loadA (0 active) must take the next call")
    check_list("with 6 calls held again")
    for name in list(active):
        for dlg in active[name]:
            ctx.check(caller.bye(dlg) == 200, "BYE of a call on %s must get 200" % name)
        active[name] = []
    time.sleep(0.1)
    check_list("after every BYE")
    edge.stop()


# --------------------------------------------------------------------------- probing

def state_timeline(ctl: Control, uri: str, until: set[str], timeout: float,
                   t0: float) -> list[tuple[float, str, dict]]:
    """Poll dispatcher.list every 100 ms: [(seconds since t0, STATE, DEST)] at each change,
    until the state is in `until` or timeout."""
    out = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        d = ctl.dests().get(uri)
        st = d.get("STATE") if d else "absent"
        if not out or out[-1][1] != st:
            out.append((time.monotonic() - t0, st, d or {}))
        if st in until:
            break
        time.sleep(0.1)
    return out


def fmt_timeline(tl) -> str:
    return ", ".join("%.2fs %s" % (t, st) for t, st, _ in tl)


def case_dispatcher_probing(ctx: Ctx) -> None:
    """ping_interval 1 s, thresholds 3/3, probing_mode 1: a killed backend goes trying, then
    inactive about 3 s later (3 missed pings), and gets no new call; restarted on its port it
    is active again after 3 answered pings and takes calls again."""
    need_tandem(ctx)
    bs = [SippUAS(ctx, n, "uas_answer.xml") for n in ("probeA", "probeB", "probeC")]
    edge, ctl = dispatcher_edge(ctx, ["1 %s 0 0" % b.uri for b in bs], ds=dict(PROBING),
                                fr_timer=1000)
    c = bs[2]
    ok = wait_until(lambda: all(d["PINGS"]["ANSWERED"] >= 1 and d["STATE"] == "active"
                                for d in ctl.dests().values()), 5.0, 0.2)
    ctx.require(bool(ok), "every backend must answer a ping and be active within 5 s: %s"
                % {u: (d["STATE"], d["PINGS"]) for u, d in ctl.dests().items()})

    def calls(name: str, n: int) -> None:
        uac = SippUAC(ctx, name, "uac_call.xml", edge.hostport, n, 30, n, 30,
                      recv_timeout_ms=5000)
        check_caller(ctx, uac, uac.run())

    calls("caller1", 30)
    before = ctl.dests()[c.uri]
    t_kill = time.monotonic()
    c.stop(signal.SIGKILL)
    tl = state_timeline(ctl, c.uri, {"inactive"}, 8.0, t_kill)
    print("  %s killed: %s" % (c.name, fmt_timeline(tl)))
    states = [st for _, st, _ in tl]
    ctx.check("trying" in states and states[-1] == "inactive"
              and states.index("trying") < len(states) - 1,
              "a killed backend must go active -> trying -> inactive, went: %s" % fmt_timeline(tl))
    if states[-1] == "inactive":
        t_in = tl[-1][0]
        ctx.check(2.0 <= t_in <= 4.5, "with ping_interval 1 s and probing_threshold 3 the killed "
                  "backend must be inactive 3 missed pings after the kill (2.0-4.5 s allowing "
                  "for scheduling), it was after %.2f s" % t_in)
        missed = tl[-1][2]["PINGS"]["MISSED"] - before["PINGS"]["MISSED"]
        ctx.check(missed >= 3, "inactive after probing_threshold = 3 missed pings: PINGS.MISSED "
                  "grew by %d" % missed)
    log = edge.proc.stderr_path.read_text(errors="replace")
    ctx.check(re.search(r"dispatcher: set 1 %s active -> trying" % re.escape(c.uri), log)
              is not None and re.search(r"dispatcher: set 1 %s trying -> inactive"
                                        % re.escape(c.uri), log) is not None,
              "the edge must log the changes 'active -> trying' and 'trying -> inactive' of %s"
              % c.uri)

    fo0 = ctl.stat("failovers")
    calls("caller2", 30)
    fo = ctl.stat("failovers") - fo0
    ctx.check(fo == 0, "an inactive destination must get no new call: 30 calls made %d failovers "
              "(an INVITE sent to the dead backend times out and fails over)" % fo)

    # The baseline is read before the restart: on a busy machine a ping may be answered between
    # the new SIPp binding its port and the next RPC.
    gone = ctl.dests()[c.uri]
    t_up = time.monotonic()
    c2 = Sipp(ctx, "probeC_restarted", "uas_answer.xml", "127.0.0.1", c.port, None, "u1", ["-aa"])
    ctx.require(wait_bound(c.port, "udp", 5.0), "restarted backend must bind its port %d" % c.port)
    tl = state_timeline(ctl, c.uri, {"active"}, 8.0, t_up)
    print("  %s restarted: %s" % (c.name, fmt_timeline(tl)))
    if ctx.check(tl[-1][1] == "active", "the restarted backend must be active again within 8 s, "
                 "went: %s" % fmt_timeline(tl)):
        t_act = tl[-1][0]
        answered = tl[-1][2]["PINGS"]["ANSWERED"] - gone["PINGS"]["ANSWERED"]
        ctx.check(answered >= 3, "active again only after inactive_threshold = 3 answered pings: "
                  "PINGS.ANSWERED grew by %d" % answered)
        ctx.check(1.0 <= t_act <= 4.5, "with ping_interval 1 s and inactive_threshold 3 the "
                  "restarted backend must be active about 2-3 s after the restart (1.0-4.5 s), "
                  "it was after %.2f s" % t_act)
    calls("caller3", 30)
    counts = finish_all([bs[0], bs[1], c2])
    for b, cc in zip([bs[0], bs[1], c2], counts):
        check_backend(ctx, b, cc)
    got = [cc["incoming"] for cc in counts]
    print("  calls: probeA %d, probeB %d (of 90), restarted probeC %d (of the last 30)"
          % tuple(got))
    # 90 calls: the first 30 split 10/10/10 (round-robin), the 10 of the killed probeC are lost
    # with it, so probeA + probeB + the restarted probeC account for the other 80
    ctx.check(sum(got) == 80, "probeA, probeB and the restarted probeC must take the 80 calls "
              "the killed probeC did not get: %s" % got)
    ctx.check(9 <= got[2] <= 11, "the restarted backend must take its third of the last 30 "
              "calls again, got %d" % got[2])
    edge.stop()


# --------------------------------------------------------------------------- drain

def case_dispatcher_drain(ctx: Ctx) -> None:
    """20 held calls over A and B; set_state drain A: every new call goes to B, the BYEs of A's
    calls still reach A and complete; dispatcher.list shows A draining to 0 active calls."""
    need_tandem(ctx)
    a = SippUAS(ctx, "drainA", "uas_answer.xml")
    b = SippUAS(ctx, "drainB", "uas_answer.xml")
    edge, ctl = dispatcher_edge(ctx, ["1 %s 0 0" % x.uri for x in (a, b)])
    hold_ms = 8000
    held = SippUAC(ctx, "held", "uac_hold.xml", edge.hostport, 20, 40, 20, 40,
                   extra=["-d", str(hold_ms)])
    t0 = time.monotonic()
    d = wait_until(lambda: (lambda x: x if sum(v["ACTIVE_CALLS"] for v in x.values()) >= 20
                            else None)(ctl.dests()), 5.0)
    d = d or ctl.dests()
    on_a = d[a.uri]["ACTIVE_CALLS"]
    ctx.require(on_a + d[b.uri]["ACTIVE_CALLS"] == 20 and on_a > 0,
                "20 held calls must show as ACTIVE_CALLS on A and B within 5 s: A %d, B %d"
                % (on_a, d[b.uri]["ACTIVE_CALLS"]))
    ctl.set_state("drain", a.uri)
    t_drain = time.monotonic() - t0
    d = ctl.dests()[a.uri]
    ctx.check(d["STATE"] == "drain" and "R" in d["FLAGS"],
              "after set_state drain, A must show STATE drain and flag R: %s %s"
              % (d["STATE"], d["FLAGS"]))
    print("  %d of 20 held calls on A when it was set to drain (%.1fs)" % (on_a, t_drain))

    fresh = SippUAC(ctx, "fresh", "uac_call.xml", edge.hostport, 100, 50, 100, 30)
    series = []
    while held.alive() or fresh.alive():
        series.append((time.monotonic() - t0, ctl.dests()[a.uri]["ACTIVE_CALLS"]))
        if time.monotonic() - t0 > hold_ms / 1000 + 20:
            break
        time.sleep(0.25)
    check_caller(ctx, fresh, fresh.run())
    check_caller(ctx, held, held.run())
    final = wait_until(lambda: (lambda x: x if x["ACTIVE_CALLS"] == 0 else None)(
        ctl.dests()[a.uri]), 2.0) or ctl.dests()[a.uri]
    series.append((time.monotonic() - t0, final["ACTIVE_CALLS"]))
    shown = [v for _, v in series]
    print("  A's ACTIVE_CALLS over time: %s" % " ".join("%.1fs:%d" % x for x in series[::4]))
    ctx.check(shown[0] == on_a and all(x >= y for x, y in zip(shown, shown[1:])),
              "A's ACTIVE_CALLS must start at %d and never grow while draining: %s"
              % (on_a, shown))
    ctx.check(final["ACTIVE_CALLS"] == 0 and final["STATE"] == "drain",
              "when A's calls ended, dispatcher.list must show A with 0 ACTIVE_CALLS and STATE "
              "drain, shows %s and %s" % (final["ACTIVE_CALLS"], final["STATE"]))
    ca, cb = finish_all([a, b])
    check_backend(ctx, a, ca, " (its held calls' BYEs)")
    check_backend(ctx, b, cb)
    byes = a.msg_count("BYE_Recv")
    ctx.check(ca["incoming"] == on_a, "A is draining: it must get no new call, it got %d INVITEs "
              "for its %d held calls" % (ca["incoming"], on_a))
    ctx.check(byes == on_a and ca["successful"] == on_a,
              "every BYE of A's %d held calls must reach A and complete: %d BYEs, %d completed"
              % (on_a, byes, ca["successful"]))
    ctx.check(cb["incoming"] == 20 - on_a + 100, "B must get its held calls and all 100 new "
              "calls: %d, expected %d" % (cb["incoming"], 20 - on_a + 100))
    edge.stop()


# --------------------------------------------------------------------------- reload

def case_dispatcher_reload(ctx: Ctx) -> None:
    """A disabled and B drained over RPC, E (nobody there) found inactive by probing; the list
    file changes (D added, B's priority); both dispatcher.reload and SIGHUP keep A disabled, B
    drained, E inactive and the probe counters and latency; the report says what changed; calls
    go only where the states allow."""
    need_tandem(ctx)
    bs = {x: Backend(ctx, "reload%s" % x, status=486) for x in "ABCD"}
    A, B, C, D = (bs[x] for x in "ABCD")
    E = "sip:127.0.0.1:%d" % free_port()  # nothing listens there
    edge, ctl = dispatcher_edge(ctx, ["1 %s 0 0" % A.uri, "1 %s 0 0" % B.uri, "1 %s 0 0" % C.uri,
                                      "1 %s 0 0" % E], ds=dict(PROBING))
    caller = SipPeer(ctx, "caller")
    ok = wait_until(lambda: (lambda d: all(v["PINGS"]["ANSWERED"] >= 3 for u, v in d.items()
                                           if u != E) and d[E]["STATE"] == "inactive")(
        ctl.dests()), 8.0, 0.2)
    ctx.require(bool(ok), "3 pings answered by each backend, and %s (nobody there) inactive, "
                "within 8 s: %s"
                % (E, {u: (v["STATE"], v["PINGS"]) for u, v in ctl.dests().items()}))
    ctl.set_state("d", A.uri)
    ctl.set_state("drain", B.uri)

    def calls(n: int) -> dict[str, int]:
        got = {x: 0 for x in bs}
        for _ in range(n):
            marks = [b.peer.mark() for b in bs.values()]
            cid = new_callid()
            resps = transaction(ctx, caller, edge, build_request(
                "INVITE", "sip:svc@%s" % edge.hostport, caller, call_id=cid), 2.0)
            where = route_of(list(bs.values()), marks, cid)
            ctx.check(len(where) == 1, "a call must reach one backend, reached %s (caller got %s)"
                      % (sorted(where), describe(resps)))
            for w in where:
                got[w[-1]] += 1
        return got

    def compare(before: dict, after: dict, what: str) -> None:
        for uri, b in before.items():
            a = after.get(uri)
            if not ctx.check(a is not None, "%s: %s must still be listed" % (what, uri)):
                continue
            ctx.check(a["PINGS"]["SENT"] >= b["PINGS"]["SENT"]
                      and a["PINGS"]["ANSWERED"] >= b["PINGS"]["ANSWERED"],
                      "%s: the probe counters of %s must be kept, PINGS were %s, now %s"
                      % (what, uri, b["PINGS"], a["PINGS"]))
            ctx.check(a["LATENCY"]["MAX"] >= b["LATENCY"]["MAX"]
                      and (a["LATENCY"]["AVG"] > 0 or b["LATENCY"]["AVG"] == 0),
                      "%s: the latency statistics of %s must be kept, were %s, now %s"
                      % (what, uri, b["LATENCY"], a["LATENCY"]))

    def states(what: str, want: dict) -> dict:
        d = ctl.dests()
        seen = {x: (d[b.uri]["STATE"] if b.uri in d else "absent") for x, b in bs.items()}
        seen["E"] = d[E]["STATE"] if E in d else "absent"
        ctx.check(all(seen[x] == s for x, s in want.items()),
                  "%s: states must be %s, are %s" % (what, want, seen))
        return d

    got = calls(6)
    ctx.check(got == {"A": 0, "B": 0, "C": 6, "D": 0}, "A disabled, B drain: 6 calls must all "
              "go to C, went %s" % got)

    before = ctl.dests()
    print("  before reload: %s" % {u[-5:]: (v["STATE"], v["PINGS"]["SENT"], v["LATENCY"]["AVG"])
                                   for u, v in before.items()})
    write_list(edge, ["1 %s 0 0" % A.uri, "1 %s 0 5" % B.uri, "1 %s 0 0" % C.uri, "1 %s 0 0" % E,
                      "1 %s 0 0" % D.uri])
    rep = ctl.call("dispatcher.reload")
    print("  dispatcher.reload: %s" % json.dumps(rep))
    if ctx.check(isinstance(rep, dict), "dispatcher.reload must answer a report object"):
        ctx.check(rep.get("added") == ["1 %s" % D.uri], "reload report: added must be "
                  "['1 %s'], is %r" % (D.uri, rep.get("added")))
        ctx.check(rep.get("removed") == [], "reload report: removed must be [], is %r"
                  % rep.get("removed"))
        upd = rep.get("updated") or []
        ctx.check(len(upd) == 1 and upd[0].get("uri") == B.uri
                  and "priorit" in json.dumps(upd[0].get("changes")).lower(),
                  "reload report: updated must name %s and its priority change, is %r"
                  % (B.uri, upd))
        ctx.check(rep.get("kept") == 3, "reload report: kept must be 3 (A, C, E), is %r"
                  % rep.get("kept"))
        ctx.check(bool(rep.get("summary")), "reload report must have a summary line")
    after = states("after dispatcher.reload", {"A": "disabled", "B": "drain", "C": "active",
                                               "D": "active", "E": "inactive"})
    ctx.check(after.get(B.uri, {}).get("PRIORITY") == 5, "after reload B's priority must be 5, "
              "is %r" % after.get(B.uri, {}).get("PRIORITY"))
    compare(before, after, "after dispatcher.reload")
    got = calls(8)
    ctx.check(got["A"] == 0 and got["B"] == 0 and got["C"] > 0 and got["D"] > 0,
              "after the reload, calls must go to C and the added D only, went %s" % got)

    time.sleep(1.2)  # one more ping round: counters move on from where they were
    before = ctl.dests()
    write_list(edge, ["1 %s 0 0" % A.uri, "1 %s 0 5" % B.uri, "1 %s 0 7" % D.uri, "1 %s 0 0" % E])
    mark = len(edge.proc.stderr_path.read_text(errors="replace"))
    edge.proc.p.send_signal(signal.SIGHUP)
    line = wait_until(lambda: re.findall(r"dispatcher: .*\d+ added.*", edge.proc.stderr_path
                                         .read_text(errors="replace")[mark:]), 3.0)
    ctx.require(edge.proc.alive(), "the edge must survive SIGHUP")
    print("  SIGHUP: %s" % (line[-1] if line else "no reload line in the log"))
    ctx.check(bool(line) and re.search(r"0 added, 1 removed, 1 updated", line[-1]) is not None,
              "SIGHUP (C removed, D's priority changed) must log '0 added, 1 removed, 1 updated', "
              "logged %r" % (line[-1] if line else None))
    after = states("after SIGHUP", {"A": "disabled", "B": "drain", "D": "active", "E": "inactive"})
    ctx.check(after.get(D.uri, {}).get("PRIORITY") == 7, "after SIGHUP D's priority must be 7, "
              "is %r" % after.get(D.uri, {}).get("PRIORITY"))
    compare({u: v for u, v in before.items() if u != C.uri}, after, "after SIGHUP")
    got = calls(4)
    ctx.check(got == {"A": 0, "B": 0, "C": 0, "D": 4}, "after SIGHUP (C removed, A disabled, B "
              "drain) every call must go to D, went %s" % got)
    edge.stop()


# --------------------------------------------------------------------------- kill under load

def case_dispatcher_kill_restart(ctx: Ctx) -> None:
    """300 calls/s for 20 s (each held 1 s) over 3 backends, probing every second; backend C
    (python, so that its calls are known exactly) dies at 5 s and comes back on its port at
    10 s.

    The bound: a call can only fail if the dead backend held state for it that nobody else
    has, i.e. C had received its INVITE and not yet its BYE when it died (its BYE then gets a
    408 or, after the restart, a 481). An INVITE C received but never answered, and INVITEs
    sent to C while it was dead but not yet marked inactive, are failed over by the edge after
    fr_timer (1 s) and succeed. So: failed calls <= calls in C's hands at the kill, and every
    failed Call-ID is one of them."""
    need_tandem(ctx)
    rate, secs = 300, 20
    n = scaled(ctx, rate * secs, 300)
    a = SippUAS(ctx, "killA", "uas_answer.xml")
    b = SippUAS(ctx, "killB", "uas_answer.xml")
    c = Backend(ctx, "killC")
    edge, ctl = dispatcher_edge(ctx, ["1 %s 0 0" % x.uri for x in (a, b, c)], ds=dict(PROBING),
                                fr_timer=1000)
    ok = wait_until(lambda: all(v["PINGS"]["ANSWERED"] >= 1 for v in ctl.dests().values()), 5.0,
                    0.2)
    ctx.require(bool(ok), "every backend must answer a ping within 5 s")
    # each call is held 1 s, so that about 100 calls are in C's hands when it dies
    uac = SippUAC(ctx, "caller", "uac_hold.xml", edge.hostport, n, rate, 3000, secs + 40,
                  extra=["-d", "1000"])
    t0 = time.monotonic()
    kill_at, up_at = 5.0 * n / (rate * secs), 10.0 * n / (rate * secs)
    states, inflight, t_kill, t_up = [], set(), None, None
    while uac.alive() and time.monotonic() - t0 < secs + 45:
        now = time.monotonic() - t0
        if t_kill is None and now >= kill_at:
            inflight = c.kill()
            t_kill = time.monotonic()
            before_kill = len(c.invites)
            print("  %.1fs: killC closed its socket with %d calls in hand (%d calls so far)"
                  % (now, len(inflight), before_kill))
        if t_kill is not None and t_up is None and now >= up_at:
            c.start()
            t_up = time.monotonic()
            print("  %.1fs: killC back on port %d" % (now, c.port))
        st = ctl.dests()[c.uri]["STATE"]
        if not states or states[-1][1] != st:
            states.append((now, st))
        time.sleep(0.1)
    res = uac.run()
    print("  killC states: %s" % ", ".join("%.1fs %s" % x for x in states))
    total_ok, failed = res["ok"] or 0, res["bad"] or 0
    print("  %d calls: %d successful, %d failed; killC had %d in hand when killed, got %d after "
          "its restart" % (n, total_ok, failed, len(inflight), len(c.calls(t_up or 0.0))))
    ctx.check(total_ok + failed == n, "the caller must finish all %d calls: %d successful + %d "
              "failed (rc=%s)" % (n, total_ok, failed, res["rc"]))
    ctx.check(failed <= len(inflight), "failed calls must be at most the calls the killed "
              "backend had in hand (INVITE received, no BYE yet) when it died: %d failed, %d in "
              "hand" % (failed, len(inflight)))
    # which calls failed: SIPp names each aborted call in its error file ("Aborting call on
    # unexpected message for Call-Id '...'", "... on timeout ..."); "Dead call" lines are late
    # messages of calls already ended and are not failures
    try:
        errs = uac.err_path.read_text(errors="replace")
    except OSError:
        errs = ""
    failed_ids = set(re.findall(r"Aborting call[^\n]*?Call-Id '([^']+)'", errs, re.I))
    strangers = sorted(failed_ids - inflight)
    ctx.check(not strangers, "every failed call must be one the killed backend had in hand, "
              "these were not: %s" % strangers[:5])
    if len(failed_ids) != failed:
        ctx.note("SIPp's error log names %d aborted calls for %d failed"
                 % (len(failed_ids), failed))
    if failed and not ctx.failures:
        ctx.note("%d calls failed, all of them in the killed backend's hands" % failed)
    sts = [s for _, s in states]
    ctx.check("inactive" in sts and sts[-1] == "active",
              "killC must be marked inactive while dead and active again after its restart, "
              "states: %s" % sts)
    ctx.check(len(c.calls(t_up or 0.0)) > 0, "killC must take calls again after its restart")
    ca, cb = finish_all([a, b])
    for x, cc in ((a, ca), (b, cb)):
        check_backend(ctx, x, cc)
    if failed > len(inflight) or strangers:
        ex = uac.error_excerpt()
        if ex:
            print("  caller's errors:\n%s" % indent(ex))
    edge.stop()


# --------------------------------------------------------------------------- ctl, health, metrics

def ctl_run(ctx: Ctx, ctl: Control, *args: str) -> tuple[int, str, str]:
    p = subprocess.run([ctx.args.tandem, "ctl", "--url", ctl.url] + list(args),
                       capture_output=True, text=True, timeout=15)
    ctx.log("tandem ctl %s -> rc %d\n%s%s" % (" ".join(args), p.returncode, p.stdout, p.stderr))
    return p.returncode, p.stdout, p.stderr


def case_dispatcher_ctl(ctx: Ctx) -> None:
    """`tandem ctl dispatcher.list` prints a readable table (a row per destination with its
    URI and state) and --json the raw result; set_state through ctl; /health is 503 when every
    destination is disabled and 200 again after."""
    need_tandem(ctx)
    a, b = Backend(ctx, "ctlA", 486), Backend(ctx, "ctlB", 486)
    edge, ctl = dispatcher_edge(ctx, ["1 %s 0 0 duid=a" % a.uri, "1 %s 0 3 weight=7" % b.uri],
                                ds=dict(PROBING))
    ctl.set_state("drain", b.uri)

    rc, out, err = ctl_run(ctx, ctl, "dispatcher.list")
    print("  tandem ctl dispatcher.list:\n%s" % indent(out.rstrip()))
    ctx.check(rc == 0, "tandem ctl dispatcher.list must exit 0, rc=%d: %s" % (rc, err.strip()))
    def cells(line: str) -> str:  # the line without its nested values (compact JSON cells)
        while True:
            shorter = re.sub(r"\{[^{}]*\}", " ", line)
            if shorter == line:
                return line
            line = shorter

    ctx.check(any(re.search(r"\bSTATE\b", cells(l)) and re.search(r"\bURI\b", cells(l))
                  for l in out.splitlines()),
              "the destinations must print as a table with STATE and URI columns")
    for uri, st in ((a.uri, "active"), (b.uri, "drain")):
        rows = [l for l in out.splitlines() if uri in l]
        ctx.check(any(uri in cells(l) and re.search(r"\b%s\b" % st, cells(l)) for l in rows),
                  "the table must have a row with %s and its state %s in cells of their own (not "
                  "inside a JSON object), the lines naming it: %r" % (uri, st, rows))

    rc, out, err = ctl_run(ctx, ctl, "--json", "dispatcher.list")
    ctx.check(rc == 0, "tandem ctl --json dispatcher.list must exit 0, rc=%d: %s" % (rc, err))
    try:
        js = json.loads(out)
        tgt = {t["DEST"]["URI"]: t["DEST"] for r in js["RECORDS"] for t in r["SET"]["TARGETS"]}
        ctx.check(set(tgt) == {a.uri, b.uri} and tgt[b.uri]["STATE"] == "drain"
                  and tgt[b.uri]["PRIORITY"] == 3 and tgt[a.uri]["ATTRS"].get("DUID") == "a",
                  "--json dispatcher.list must hold both destinations with state, priority and "
                  "attrs: %s" % json.dumps(tgt)[:300])
    except (ValueError, KeyError, TypeError) as e:
        ctx.check(False, "tandem ctl --json dispatcher.list must print the JSON result in "
                  "Kamailio's RECORDS/SET/TARGETS/DEST shape (%r): %r" % (e, out[:300]))

    code, body = ctl.get("/health")
    ctx.check(code == 200, "/health with usable destinations must be 200, is %d %r" % (code, body))
    rc, out, err = ctl_run(ctx, ctl, "dispatcher.set_state", "d", "1", "all")
    ctx.check(rc == 0, "tandem ctl dispatcher.set_state d 1 all must exit 0, rc=%d %s" % (rc, err))
    d = ctl.dests()
    ctx.check(all(v["STATE"] == "disabled" for v in d.values()),
              "after set_state d 1 all every destination must be disabled: %s"
              % {u: v["STATE"] for u, v in d.items()})
    code, body = ctl.get("/health")
    ctx.check(code == 503, "/health with every destination disabled must be 503, is %d %r"
              % (code, body))
    caller = SipPeer(ctx, "caller")
    resps = transaction(ctx, caller, edge, build_request("INVITE", "sip:svc@%s" % edge.hostport,
                                                         caller), 3.0)
    f = final_of(resps)
    ctx.check(f is not None and f.status == 503, "with every destination disabled a call must "
              "get 503, got %s" % describe(resps))
    rc, out, err = ctl_run(ctx, ctl, "dispatcher.set_state", "active", "1", "all")
    code, body = ctl.get("/health")
    ctx.check(rc == 0 and code == 200 and body.strip() == "OK",
              "after set_state active 1 all, /health must be 200 OK again, is %d %r" % (code, body))

    rc, out, err = ctl_run(ctx, ctl, "dispatcher.lst")
    ctx.check(rc == 1 and "-32601" in err, "an unknown method must exit 1 with error -32601 on "
              "stderr, rc=%d stderr=%r" % (rc, err.strip()))
    edge.stop()
    dead = Control(ctx, free_port())
    rc, out, err = ctl_run(ctx, dead, "core.uptime")
    ctx.check(rc == 2, "tandem ctl with nothing listening must exit 2, rc=%d %r"
              % (rc, err.strip()))


PROMTOOL = shutil.which("promtool")


def case_dispatcher_metrics(ctx: Ctx) -> None:
    """/metrics after some calls: `promtool check metrics` accepts it (skipped without the
    Debian package prometheus) and it carries the dispatcher, SIP and transaction families."""
    need_tandem(ctx)
    a, b = Backend(ctx, "metA", 486), Backend(ctx, "metB", 486)
    edge, ctl = dispatcher_edge(ctx, ["1 %s 0 0" % a.uri, "1 %s 0 0" % b.uri],
                                ds=dict(PROBING))
    caller = SipPeer(ctx, "caller")
    for _ in range(6):
        transaction(ctx, caller, edge, build_request("INVITE", "sip:svc@%s" % edge.hostport,
                                                     caller), 2.0)
    ctl.set_state("drain", b.uri)
    time.sleep(1.2)  # a ping round: latency gauges filled
    code, text = ctl.get("/metrics")
    ctx.require(code == 200, "GET /metrics must be 200, is %d" % code)
    path = ctx.dir / "metrics.txt"
    path.write_text(text)

    def value(pattern: str) -> float | None:
        m = re.search(r"^%s (\S+)$" % pattern, text, re.M)
        return float(m.group(1)) if m else None

    exp = [
        (r'tandem_dispatcher_destination_state\{set="1",uri="%s",state="drain"\}'
         % re.escape(b.uri),
         lambda v: v == 1, "B's drain state 1"),
        (r'tandem_dispatcher_destination_state\{set="1",uri="%s",state="active"\}'
         % re.escape(a.uri),
         lambda v: v == 1, "A's active state 1"),
        (r'tandem_dispatcher_active_calls\{set="1",uri="%s"\}' % re.escape(a.uri),
         lambda v: v == 0, "A's active calls 0"),
        (r'tandem_dispatcher_latency_avg_seconds\{set="1",uri="%s"\}' % re.escape(a.uri),
         lambda v: v >= 0, "A's ping latency"),
        (r'tandem_dispatcher_pings_total\{set="1",uri="%s"\}' % re.escape(a.uri),
         lambda v: v >= 1, "A's pings sent"),
        (r'tandem_sip_requests_total\{method="INVITE"\}', lambda v: v >= 6, "6 INVITEs received"),
        (r'tandem_sip_replies_total\{code="486"\}', lambda v: v >= 6, "6 486 relayed"),
        (r'tandem_transactions_total\{kind="server"\}', lambda v: v >= 6, "server transactions"),
        (r'tandem_retransmissions_total\{direction="sent"\}', lambda v: v >= 0, "retransmissions"),
        (r'tandem_sip_dropped_total\{reason="parse_error_dropped"\}', lambda v: v >= 0, "drops"),
    ]
    for pat, ok, what in exp:
        v = value(pat)
        ctx.check(v is not None and ok(v), "/metrics must carry %s: %s = %s"
                  % (what, pat.replace("\\", ""), v))
    if not PROMTOOL:
        edge.stop()
        if ctx.failures:
            return
        raise Skipped("promtool not installed (Debian package prometheus): /metrics content "
                      "checked, its format not")
    p = subprocess.run([PROMTOOL, "check", "metrics"], input=text, capture_output=True,
                       text=True, timeout=30)
    print("  promtool check metrics: rc %d %s"
          % (p.returncode, (p.stdout + p.stderr).strip()[:300]))
    # promtool exits 1 when the text does not parse, 3 when it parses but breaks the naming
    # conventions (lint): both make Prometheus users stumble, both fail here
    what = {1: "does not parse", 3: "parses but fails promtool's lint"}.get(p.returncode, "fails")
    ctx.check(p.returncode == 0, "promtool check metrics must accept /metrics (%s): it %s (rc %d): "
              "%s" % (path.name, what, p.returncode, (p.stdout + p.stderr).strip()[:600]))
    edge.stop()


# --------------------------------------------------------------------------- dlg.list

def case_dispatcher_dlg_list(ctx: Ctx) -> None:
    """dlg.list shows each call in progress with its Call-ID, tags and destination; a call
    leaves it when either side hangs up, and the per-destination ACTIVE_CALLS agree."""
    need_tandem(ctx)
    bs = [Backend(ctx, "dlgA"), Backend(ctx, "dlgB")]
    edge, ctl = dispatcher_edge(ctx, ["1 %s 0 0" % b.uri for b in bs])
    caller = Caller(ctx, edge)
    uri_of = {b.name: b.uri for b in bs}
    dlgs = []
    for i in range(4):
        dlg, resps, got = caller.call(bs)
        ctx.require(dlg is not None and dlg.backend, "call %d must be answered by one backend, "
                    "caller got %s" % (i, describe(resps)))
        dlgs.append(dlg)
    time.sleep(0.1)

    def listed() -> dict[str, dict]:
        res = ctl.call("dlg.list")
        ctx.require(isinstance(res, list), "dlg.list must answer a list, got %r" % (res,))
        return {d.get("call-id"): d for d in res}

    def check(what: str, live: list[Dialog]) -> None:
        got = listed()
        ctx.check(set(got) == {d.cid for d in live}, "%s: dlg.list must show exactly the %d "
                  "calls in progress, shows %d (%s)" % (what, len(live), len(got), sorted(got)))
        for d in live:
            e = got.get(d.cid)
            if e is None:
                continue
            ftag = re.search(r"tag=([^;>\s]+)", d.from_hdr).group(1)
            ttag = re.search(r"tag=([^;>\s]+)", d.to_hdr).group(1)
            ctx.check(e.get("destination") == uri_of[d.backend] and e.get("from_tag") == ftag
                      and e.get("to_tag") == ttag and e.get("state") == "confirmed",
                      "%s: dlg.list entry of %s must name destination %s, tags %s/%s, state "
                      "confirmed: %s" % (what, d.cid, uri_of[d.backend], ftag, ttag, e))
        per = {}
        for d in live:
            per[uri_of[d.backend]] = per.get(uri_of[d.backend], 0) + 1
        shown = {u: v["ACTIVE_CALLS"] for u, v in ctl.dests().items()}
        ctx.check(all(shown.get(u, 0) == per.get(u, 0) for u in uri_of.values()),
                  "%s: ACTIVE_CALLS %s must match the calls in progress %s" % (what, shown, per))

    check("4 calls up", dlgs)
    print("  dlg.list with 4 calls: %s" % json.dumps(ctl.call("dlg.list"))[:300])
    ctx.check(caller.bye(dlgs[0]) == 200, "the caller's BYE must get 200")
    time.sleep(0.1)
    check("after the caller hung up one", dlgs[1:])

    # the callee hangs up: its BYE goes to the edge (Record-Route) and on to the caller
    d = dlgs[1]
    be = next(b for b in bs if b.name == d.backend)
    inv = next(m for m in be.peer.messages() if m.method == "INVITE" and m.get("call-id") == d.cid)
    rr = [x.strip() for v in inv.all("record-route") for x in v.split(",")]
    m = re.search(r"<([^>]*)>", inv.get("contact") or "")
    caller.peer.auto = lambda peer, msg, addr: (
        peer.send(build_response(msg, 200, "OK", to_tag=None), addr)
        if msg.method == "BYE" else None)
    h = ["BYE %s SIP/2.0" % m.group(1),
         "Via: SIP/2.0/UDP %s;branch=%s;rport" % (be.hostport, new_branch())]
    h += ["Route: %s" % r for r in rr]
    h += ["From: %s;tag=itto1" % inv.get("to"), "To: %s" % inv.get("from"),
          "Call-ID: %s" % d.cid, "CSeq: 1 BYE", "Max-Forwards: 70", "Content-Length: 0"]
    mark = be.peer.mark()
    be.peer.send(("\r\n".join(h) + "\r\n\r\n").encode(), edge.addr)
    r = be.peer.wait_for(is_resp(d.cid, "BYE", final=True), 3.0, mark)
    ctx.check(r is not None and r.status == 200, "the callee's BYE must reach the caller and its "
              "200 come back, got %s" % (r.first if r else "nothing"))
    time.sleep(0.1)
    check("after the callee hung up one", dlgs[2:])
    for d in dlgs[2:]:
        ctx.check(caller.bye(d) == 200, "the caller's BYE must get 200")
    time.sleep(0.1)
    check("after every call ended", [])
    edge.stop()


CASES = {
    "dispatcher_round_robin": case_dispatcher_round_robin,
    "dispatcher_weight": case_dispatcher_weight,
    "dispatcher_rweight": case_dispatcher_rweight,
    "dispatcher_hash": case_dispatcher_hash,
    "dispatcher_call_load": case_dispatcher_call_load,
    "dispatcher_probing": case_dispatcher_probing,
    "dispatcher_drain": case_dispatcher_drain,
    "dispatcher_reload": case_dispatcher_reload,
    "dispatcher_kill_restart": case_dispatcher_kill_restart,
    "dispatcher_ctl": case_dispatcher_ctl,
    "dispatcher_metrics": case_dispatcher_metrics,
    "dispatcher_dlg_list": case_dispatcher_dlg_list,
}

if __name__ == "__main__":
    main(CASES, __doc__)
