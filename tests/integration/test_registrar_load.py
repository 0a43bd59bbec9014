#!/usr/bin/env python3
# Load and durability of the registrar of `tandem edge`: SIPp registering 1,000 subscribers with
# digest auth (SQLite and PostgreSQL), a real phone (baresip) registering and taking a call, the
# edge killed with SIGKILL under load, and a PostgreSQL outage under registration load.
"""Each --case provisions subscribers user0000..userNNNN@example.com (password pwNNNN: the
first with `tandem user add`, the rest in one SQL transaction), starts the edge with a [store]
(every REGISTER challenged) and drives it with SIPp's register_auth.xml, or with baresip. What
a case expects of the database it reads from the database itself (sqlite3, psql).

    test_registrar_load.py --tandem build/tandem --case reg_sipp_load [-v] [--keep]
    test_registrar_load.py --tandem build/tandem --case reg_pg_outage --scale 0.2   # 200 users

--scale multiplies the number of subscribers (1,000); rates and durations stay.
"""

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from baresip import BARESIP, Baresip  # noqa: E402
from harness import (Ctx, Failed, Proc, Skipped, SippUAC, TandemEdge, check_caller,  # noqa: E402
                     main, udp_rcvbuf_errors, wait_bound)
from test_registrar import DOMAIN, Database, need_tandem, rpc, store_edge  # noqa: E402

USERS = 1000


class TomlArray(int):
    """A TOML array of strings for store_edge's auth/sections dicts: harness.toml_keys writes
    scalars only, and a number as str(number), which this one turns into the array."""

    def __new__(cls, items: list[str]):
        obj = super().__new__(cls, 0)
        obj.items = list(items)
        return obj

    def __str__(self) -> str:
        return json.dumps(self.items)


# The edge offers SHA-256 first (RFC 8760); neither peer here copes with that. SIPp 3.6.1 answers
# the first WWW-Authenticate only and knows MD5 only ("createAuthHeader: authentication must use
# MD5 or AKAv1-MD5"): the SIPp cases offer MD5 first, then SHA-256. baresip 1.0.0 (libre) gives
# up on any challenge it cannot answer, even after an MD5 one ("Register: Function not
# implemented"): its case offers MD5 only.
SIPP_AUTH = {"secret": "integration-test-secret", "algorithms": TomlArray(["MD5", "SHA-256"])}
BARESIP_AUTH = {"secret": "integration-test-secret", "algorithms": TomlArray(["MD5"])}


def user_count(ctx: Ctx) -> int:
    return max(10, int(USERS * ctx.args.scale))


# --------------------------------------------------------------------------- helpers

def digests(user: str, domain: str, password: str) -> tuple[str, str, str, str]:
    """The subscriber row's ha1, ha1b, ha1_sha256, ha1b_sha256 (Kamailio's auth_db columns;
    the realm is the domain)."""
    md5 = lambda t: hashlib.md5(t.encode()).hexdigest()  # noqa: E731
    sha = lambda t: hashlib.sha256(t.encode()).hexdigest()  # noqa: E731
    a, b = "%s:%s:%s" % (user, domain, password), "%s@%s:%s:%s" % (user, domain, domain, password)
    return md5(a), md5(b), sha(a), sha(b)


def sql(db: Database, query: str, params: list[tuple] = ()) -> list[tuple]:
    """Runs query on the case's database (sqlite3, or psql for PostgreSQL); returns the rows.
    With params (SQLite) executemany; PostgreSQL gets literal SQL only."""
    if db.pg:
        out = subprocess.run(["psql", db.url, "-X", "-q", "-At", "-F", "\t", "-v",
                              "ON_ERROR_STOP=1", "-f", "-"], input=query, capture_output=True,
                             text=True, timeout=60)
        if out.returncode != 0:
            raise Failed("psql %s failed (%d) on %r: %s" % (db.url, out.returncode, query[:120],
                                                           out.stderr.strip()))
        return [tuple(l.split("\t")) for l in out.stdout.splitlines() if l.strip()]
    con = sqlite3.connect(db.url[len("sqlite://"):], timeout=10)
    try:
        with con:
            cur = con.executemany(query, params) if params else con.execute(query)
            return [tuple(r) for r in cur.fetchall()]
    finally:
        con.close()


def provision(ctx: Ctx, db: Database, n: int) -> Path:
    """`tandem db migrate`, then n subscribers userNNNN@DOMAIN / pwNNNN. The first with `tandem
    user add`; the rest in one SQL transaction with the same digests (a `tandem user add` per
    user costs 25-60 ms of process start on a busy machine, a minute for 1,000). Checked: the
    CLI's row has the digests this computes, and `tandem user list` shows n subscribers.
    Returns SIPp's injection file for them (register_auth.xml reads user;domain;password)."""
    t0 = time.monotonic()
    db.cli("db", "migrate")
    users = [("user%04d" % i, "pw%04d" % i) for i in range(n)]
    db.cli("user", "add", "%s@%s" % (users[0][0], DOMAIN), "--password", users[0][1])
    cols = "username, domain, ha1, ha1b, ha1_sha256, ha1b_sha256"
    ref = sql(db, "SELECT %s FROM subscriber WHERE username = '%s'" % (cols, users[0][0]))
    want = (users[0][0], DOMAIN) + digests(users[0][0], DOMAIN, users[0][1])
    if not ref or tuple(ref[0]) != want:
        raise Failed("`tandem user add` stored %r for %s, this test computes %r: fix digests()"
                     % (ref, users[0][0], want))
    rows = [(u, DOMAIN) + digests(u, DOMAIN, pw) for u, pw in users[1:]]
    if db.pg:
        values = ",\n".join("(%s)" % ", ".join("'%s'" % v for v in r) for r in rows)
        sql(db, "BEGIN;\nINSERT INTO subscriber (%s) VALUES\n%s;\nCOMMIT;\n" % (cols, values))
    else:
        sql(db, "INSERT INTO subscriber (%s) VALUES (?, ?, ?, ?, ?, ?)" % cols, rows)
    listed = db.cli_json("user", "list", DOMAIN)
    creds = {u.get("credentials") for u in listed}
    if len(listed) != n or creds != {"md5+sha256"}:
        raise Failed("`tandem user list %s` shows %d subscribers with credentials %s after "
                     "provisioning %d with passwords" % (DOMAIN, len(listed), creds, n))
    path = ctx.dir / "users.csv"
    with open(path, "w") as f:
        f.write("SEQUENTIAL\n")
        for u, pw in users:
            f.write("%s;%s;%s\n" % (u, DOMAIN, pw))
    print("  provisioned %d subscribers in %.1f s" % (n, time.monotonic() - t0))
    return path


def start_edge(ctx: Ctx, db: Database, **kw) -> TandemEdge:
    """store_edge (schema already migrated), started, with its control endpoint listening."""
    edge = store_edge(ctx, db, migrate=False, **kw).start()
    cport = int(edge.sections["control"]["listen"].rsplit(":", 1)[1])
    if not wait_bound(cport, "tcp", 5.0):
        raise Failed("the edge answers SIP but its control endpoint 127.0.0.1:%d is not "
                     "listening" % cport)
    return edge


def restart_edge(ctx: Ctx, edge: TandemEdge, name: str) -> None:
    """A new edge process on the same config file (same ports, store and journal)."""
    cfg = ctx.dir / "edge.toml"
    edge.proc = Proc(ctx, name, [ctx.args.tandem, "edge", "-c", str(cfg)])
    edge.wait_ready()
    cport = int(edge.sections["control"]["listen"].rsplit(":", 1)[1])
    if not wait_bound(cport, "tcp", 5.0):
        raise Failed("the restarted edge answers SIP but its control endpoint is not listening")


def register(ctx: Ctx, edge: TandemEdge, name: str, csv_path: Path, calls: int, rate: float,
             timeout_s: int, extra: list[str] | None = None) -> tuple[SippUAC, dict, float]:
    """register_auth.xml: `calls` registrations at `rate`/s cycling over the users of csv_path
    (a user's second registration from this SIPp is a refresh of the same Contact)."""
    t0 = time.monotonic()
    uac = SippUAC(ctx, name, "register_auth.xml", edge.hostport, calls, rate,
                  max(200, int(rate * 2)), timeout_s, extra=["-inf", str(csv_path)] + (extra or []))
    res = uac.run()
    secs = time.monotonic() - t0
    print("  %s: %s of %d registrations in %.1f s at %g/s (failed %s, unexpected %d, "
          "retransmissions %d)" % (name, res["ok"], calls, secs, rate, res["bad"],
                                   res["unexpected"], res["retrans"]))
    return uac, res, secs


def require_registered(ctx: Ctx, uac: SippUAC, res: dict, what: str) -> None:
    """Every registration got its 200: none failed, nothing unexpected, SIPp exited 0."""
    check_caller(ctx, uac, res)
    ctx.check(res["unexpected"] == 0, "%s: SIPp must see no unexpected message, saw %d"
              % (what, res["unexpected"]))
    if res["ok"] != uac.calls:
        raise Failed("%s: %s of %d registrations succeeded (see above)" % (what, res["ok"],
                                                                          uac.calls))


def stats(edge: TandemEdge) -> dict:
    s = rpc(edge, "stats.get")
    if not isinstance(s, dict):
        raise Failed("stats.get must answer an object of counters, got %r" % (s,))
    return s


def lookup(edge: TandemEdge, aor: str) -> list[dict]:
    """The contacts of aor from ul.lookup ([] when the AoR is unknown)."""
    try:
        r = rpc(edge, "ul.lookup", "location", aor)
    except Failed:
        return []
    return [c.get("Contact", {}) for c in r.get("Contacts", [])]


def check_bindings(ctx: Ctx, edge: TandemEdge, n: int, sipp_port: int, what: str) -> None:
    """ul.stats holds n contacts for n AoRs, and a few users (first, last, a middle one) are
    bound to the SIPp instance that registered them."""
    ul = rpc(edge, "ul.stats")
    ctx.check(ul.get("contacts") == n and ul.get("aors") == n,
              "%s: ul.stats must show %d contacts for %d AoRs, shows %s" % (what, n, n, ul))
    for i in sorted({0, n // 2, n - 1}):
        aor = "user%04d@%s" % (i, DOMAIN)
        want = "sip:user%04d@127.0.0.1:%d" % (i, sipp_port)
        got = [c.get("Address", "") for c in lookup(edge, aor)]
        ctx.check(len(got) == 1 and got[0].startswith(want),
                  "%s: ul.lookup location %s must show its one contact %s..., shows %r"
                  % (what, aor, want, got))


def edge_callids(edge: TandemEdge) -> dict[str, list[str]]:
    """user@domain -> the Call-IDs of its contacts, from ul.dump."""
    out = {}
    dump = rpc(edge, "ul.dump")
    for d in dump.get("Domains", []):
        for a in d.get("Domain", {}).get("AoRs", []):
            info = a.get("Info", {})
            out[info.get("AoR")] = [c.get("Contact", {}).get("Call-ID")
                                    for c in info.get("Contacts", [])]
    return out


def db_location_rows(db: Database) -> list[tuple]:
    """The database's own location table: (username, domain, callid) per row."""
    return sql(db, "SELECT username, domain, callid FROM location ORDER BY username")


def check_db_bindings(ctx: Ctx, db: Database, n: int, what: str) -> list:
    rows = db_location_rows(db)
    aors = {"%s@%s" % (u, d) for u, d, _ in rows}
    ctx.check(len(rows) == n and len(aors) == n,
              "%s: the database's location table must hold %d bindings of %d AoRs, holds %d rows "
              "of %d AoRs" % (what, n, n, len(rows), len(aors)))
    return rows


def wait_stats(edge: TandemEdge, pred, timeout: float) -> tuple[bool, dict]:
    deadline = time.monotonic() + timeout
    while True:
        s = stats(edge)
        if pred(s):
            return True, s
        if time.monotonic() >= deadline:
            return False, s
        time.sleep(0.2)


def pick(s: dict, *keys: str) -> str:
    return ", ".join("%s=%s" % (k, s.get(k)) for k in keys)


STORE_KEYS = ("registrations", "register_rejected", "auth_challenges", "auth_ok", "auth_failed",
              "auth_stale", "contacts", "durable_writes", "durable_journaled", "durable_failed",
              "store_written", "store_retried", "store_journaled", "store_replayed",
              "store_outages", "store_depth")


# --------------------------------------------------------------------------- cases

def sipp_load(ctx: Ctx, pg: bool) -> None:
    """n users, each registered twice (the second a refresh) at 200/s: every one answered 200;
    n contacts in the edge and n rows in the database; nothing failed or journaled."""
    need_tandem(ctx)
    n = user_count(ctx)
    db = Database(ctx, pg)
    csv_path = provision(ctx, db, n)
    edge = start_edge(ctx, db, auth=SIPP_AUTH)
    uac, res, _ = register(ctx, edge, "register", csv_path, 2 * n, 200, 60)
    require_registered(ctx, uac, res, "%d registrations of %d users" % (2 * n, n))
    s = stats(edge)
    print("  edge: %s" % pick(s, *STORE_KEYS))
    check_bindings(ctx, edge, n, uac.port, "after the load")
    ctx.check(s.get("durable_failed") == 0, "no binding write may fail: durable_failed=%s"
              % s.get("durable_failed"))
    ctx.check(s.get("durable_journaled") == 0,
              "with the database up every binding goes to the database, none to the journal: "
              "durable_journaled=%s" % s.get("durable_journaled"))
    ctx.check(s.get("registrations") == 2 * n and s.get("register_rejected") == 0
              and s.get("auth_failed") == 0,
              "each of the %d REGISTERs with credentials must be accepted once: %s"
              % (2 * n, pick(s, "registrations", "register_rejected", "auth_failed")))
    # A 200 is sent only once its binding is durable: the database has them all at once.
    check_db_bindings(ctx, db, n, "right after the last 200")
    edge.stop()


def case_reg_sipp_load(ctx: Ctx) -> None:
    sipp_load(ctx, False)


def case_reg_sipp_load_pg(ctx: Ctx) -> None:
    sipp_load(ctx, True)


def case_reg_baresip(ctx: Ctx) -> None:
    """baresip registers alice@DOMAIN through the edge (outbound proxy, digest auth); a SIPp call
    to sip:alice@DOMAIN reaches it via the location table, is answered and ended with BYE; when
    baresip stops it unregisters."""
    need_tandem(ctx)
    if not os.path.exists(BARESIP):
        raise Skipped("baresip not installed (apt-get install baresip-core)")
    db = Database(ctx, False)
    db.cli("db", "migrate")
    db.cli("user", "add", "alice@%s" % DOMAIN, "--password", "wonderland")
    edge = start_edge(ctx, db, auth=BARESIP_AUTH)

    alice = Baresip(ctx, "alice", user="alice", domain=DOMAIN, password="wonderland",
                    proxy=edge.hostport, regint=600).start()
    ev = alice.wait_registered(10)
    s = stats(edge)
    ctx.check(s.get("auth_challenges", 0) >= 1 and s.get("auth_ok", 0) >= 1,
              "baresip's REGISTER must be challenged and then accepted: %s"
              % pick(s, "auth_challenges", "auth_ok", "auth_failed"))
    contacts = lookup(edge, "alice@%s" % DOMAIN)
    ctx.require(len(contacts) == 1 and alice.hostport in contacts[0].get("Address", ""),
                "ul.lookup location alice@%s must show baresip's one contact (at %s), shows %r"
                % (DOMAIN, alice.hostport, [c.get("Address") for c in contacts]))
    print("  baresip registered (%s): %s" % (ev.get("param"), contacts[0].get("Address")))

    mark = alice.mark()
    t0 = time.monotonic()
    uac = SippUAC(ctx, "caller", "uac_call_aor.xml", edge.hostport, 1, 1, 1, 20,
                  extra=["-s", "alice", "-key", "domain", DOMAIN])
    inc = alice.wait_incoming_call(10, since=mark, must=False)
    if inc is None:
        res = uac.run()
        check_caller(ctx, uac, res)
        raise Failed("the INVITE to sip:alice@%s did not reach baresip (the caller's account is "
                     "above); stats: %s" % (DOMAIN, pick(stats(edge), "location_hits",
                                                         "relay_denied", "no_destination")))
    cid = inc.get("id")
    alice.wait_call_established(5, since=mark, call_id=cid)
    closed = alice.wait_call_closed(10, since=mark, call_id=cid)
    res = uac.run()
    check_caller(ctx, uac, res)
    print("  call to sip:alice@%s: baresip answered (Call-ID %s), caller's BYE closed it (%r) "
          "in %.1f s" % (DOMAIN, cid, closed.get("param"), time.monotonic() - t0))
    s = stats(edge)
    ctx.check(s.get("location_hits", 0) >= 1, "the INVITE must be routed by the location "
              "stage: location_hits=%s" % s.get("location_hits"))

    rc = alice.stop(5)
    ctx.check(rc == 0, "baresip must exit 0 on SIGTERM (rc=%s)" % rc)
    left = lookup(edge, "alice@%s" % DOMAIN)
    ctx.check(not left and rpc(edge, "ul.stats").get("contacts") == 0,
              "baresip unregisters when it stops: alice must have no contact left, has %r"
              % [c.get("Address") for c in left])
    edge.stop()


def kill9(ctx: Ctx, pg: bool) -> None:
    """n registrations, the edge killed with SIGKILL right after the last 200; a new edge on
    the same config (store, journal) has every binding."""
    need_tandem(ctx)
    n = user_count(ctx)
    db = Database(ctx, pg)
    csv_path = provision(ctx, db, n)
    edge = start_edge(ctx, db, auth=SIPP_AUTH)
    uac, res, _ = register(ctx, edge, "register", csv_path, n, 200, 60)
    edge.proc.p.kill()  # SIGKILL, at once: no chance to flush anything
    edge.proc.wait(5)
    ctx.log("edge killed: rc=%s" % edge.proc.p.returncode)
    require_registered(ctx, uac, res, "%d registrations before the kill" % n)
    ctx.check(edge.proc.p.returncode == -9, "the edge must have died of SIGKILL (rc=%s)"
              % edge.proc.p.returncode)

    t0 = time.monotonic()
    restart_edge(ctx, edge, "edge2")
    print("  edge restarted on the same config in %.1f s" % (time.monotonic() - t0))
    s = stats(edge)
    print("  restarted edge: %s" % pick(s, "contacts", "aors", "store_replayed", "store_depth"))
    check_bindings(ctx, edge, n, uac.port, "after kill -9 and restart")
    check_db_bindings(ctx, db, n, "after kill -9")
    edge.stop()


def case_reg_kill9(ctx: Ctx) -> None:
    kill9(ctx, False)


def case_reg_kill9_pg(ctx: Ctx) -> None:
    kill9(ctx, True)


def case_reg_pg_outage(ctx: Ctx) -> None:
    """Registrations at 100/s for 40 s (users cycling: refreshes); PostgreSQL stopped from
    10 s to 30 s. SIPp sees no failure; the edge journals during the outage, replays the
    journal once the database is back, and then the database holds every binding, each in
    its latest version (the Call-ID the edge has)."""
    need_tandem(ctx)
    n = user_count(ctx)
    db = Database(ctx, True)
    csv_path = provision(ctx, db, n)
    edge = start_edge(ctx, db, auth=SIPP_AUTH)
    rate, seconds, down_at, up_at = 100, 40, 10.0, 30.0
    calls = rate * seconds
    timeline: list[tuple[float, str, dict]] = []
    problems: list[str] = []

    def outage(t0: float) -> None:
        try:
            time.sleep(max(0.0, t0 + down_at - time.monotonic()))
            timeline.append((time.monotonic() - t0, "before stop", stats(edge)))
            db.server_stop()
            timeline.append((time.monotonic() - t0, "PostgreSQL stopped", stats(edge)))
            while time.monotonic() < t0 + up_at:
                time.sleep(min(2.0, max(0.0, t0 + up_at - time.monotonic())))
                timeline.append((time.monotonic() - t0, "down", stats(edge)))
            db.server_start()
            timeline.append((time.monotonic() - t0, "PostgreSQL started", stats(edge)))
        except Exception as e:  # reported by the main thread
            problems.append("outage thread: %r" % e)

    drops0 = udp_rcvbuf_errors()
    t0 = time.monotonic()
    th = threading.Thread(target=outage, args=(t0,), daemon=True)
    th.start()
    uac, res, secs = register(ctx, edge, "register", csv_path, calls, rate, seconds + 30)
    th.join(60)
    for t, what, s in timeline:
        print("  %5.1f s %-18s %s" % (t, what, pick(s, "registrations", "durable_writes",
                                                     "durable_journaled", "store_depth",
                                                     "store_outages", "store_replayed")))
    ctx.require(not problems, "; ".join(problems))
    ctx.require(len(timeline) >= 3 and timeline[-1][1] == "PostgreSQL started",
                "the outage did not happen as planned: %s" % [w for _, w, _ in timeline])
    require_registered(ctx, uac, res, "%d registrations at %d/s across the outage"
                       % (calls, rate))
    during = [s for _, w, s in timeline if w == "down"]
    ctx.check(during and during[-1].get("durable_journaled", 0) > 0,
              "while PostgreSQL is down the bindings must go to the journal: durable_journaled "
              "at the end of the outage = %s" % (during[-1].get("durable_journaled") if during
                                                 else "no sample"))

    ok, s = wait_stats(edge, lambda s: s.get("store_depth") == 0 and s.get("store_replayed", 0) > 0,
                       30)
    print("  after the load: %s" % pick(s, *STORE_KEYS))
    ctx.check(ok, "after PostgreSQL is back the journal must be replayed and the queue drained "
              "within 30 s: %s" % pick(s, "store_depth", "store_replayed", "store_journaled"))
    ctx.check(s.get("durable_failed") == 0, "no binding write may fail: durable_failed=%s"
              % s.get("durable_failed"))
    ctx.check(s.get("store_replayed", 0) >= s.get("store_journaled", 0) > 0,
              "every journaled write must be replayed: store_journaled=%s store_replayed=%s"
              % (s.get("store_journaled"), s.get("store_replayed")))
    check_bindings(ctx, edge, n, uac.port, "after the outage")

    # None lost: the database holds every binding, each as the edge has it (its last refresh).
    rows = check_db_bindings(ctx, db, n, "after the replay")
    in_db = {"%s@%s" % (u, d): cid for u, d, cid in rows}
    in_edge = edge_callids(edge)
    stale = ["%s: edge %s, database %s" % (aor, in_edge.get(aor), in_db.get(aor))
             for aor in sorted(set(in_db) | set(in_edge)) if in_edge.get(aor) != [in_db.get(aor)]]
    ctx.check(not stale, "the database must hold the latest registration of each user (the "
              "edge's Call-ID): %d differ, e.g. %s" % (len(stale), "; ".join(stale[:3])))
    drops = udp_rcvbuf_errors() - drops0
    if drops:
        ctx.note("%d UDP datagrams dropped on full socket buffers during the load" % drops)
    edge.stop()


def case_reg_kill9_pg_outage(ctx: Ctx) -> None:
    """The journal across a crash: n registrations with PostgreSQL up; PostgreSQL stopped; every
    user registers again (same Contact, new Call-ID: answered from the journal); the edge
    killed with SIGKILL; a new edge started while PostgreSQL is still down serves those latest
    bindings (from the journal); PostgreSQL back: the journal reaches the database."""
    need_tandem(ctx)
    n = user_count(ctx)
    db = Database(ctx, True)
    csv_path = provision(ctx, db, n)
    edge = start_edge(ctx, db, auth=SIPP_AUTH)
    uac, res, _ = register(ctx, edge, "register", csv_path, n, 200, 60)
    require_registered(ctx, uac, res, "%d registrations with PostgreSQL up" % n)
    db.server_stop()
    # the same SIPp port: the same Contacts, refreshed (SIPp's Call-IDs are N-<pid>@<ip>)
    uac2, res2, _ = register(ctx, edge, "register_outage", csv_path, n, 200, 60,
                             extra=["-p", str(uac.port)])
    edge.proc.p.kill()
    edge.proc.wait(5)
    require_registered(ctx, uac2, res2, "%d registrations with PostgreSQL down" % n)
    latest = "-%d@127.0.0.1" % uac2.p.pid

    restart_edge(ctx, edge, "edge2")
    s = stats(edge)
    print("  restarted with PostgreSQL down: %s" % pick(s, "contacts", "aors", "store_depth"))
    check_bindings(ctx, edge, n, uac.port, "restarted while PostgreSQL is down")
    old = sorted(aor for aor, cids in edge_callids(edge).items()
                 if not all(c.endswith(latest) for c in cids))
    ctx.check(not old, "the restarted edge must serve the bindings acknowledged from the journal "
              "(Call-IDs *%s): %d users have an older one, e.g. %s" % (latest, len(old), old[:3]))

    db.server_start()
    ok, s = wait_stats(edge, lambda s: s.get("store_replayed", 0) > 0
                       and s.get("store_depth") == 0, 30)
    print("  PostgreSQL back: %s" % pick(s, "store_replayed", "store_written", "store_depth"))
    ctx.check(ok, "once PostgreSQL is back the journal must be replayed within 30 s: %s"
              % pick(s, "store_replayed", "store_depth"))
    rows = check_db_bindings(ctx, db, n, "PostgreSQL back after the crash")
    old = [u for u, _, cid in rows if not cid.endswith(latest)]
    ctx.check(not old, "the database must get the registrations made while it was down (the "
              "journal of the killed edge): %d of %d rows are older, e.g. %s"
              % (len(old), len(rows), old[:3]))
    edge.stop()


CASES = {
    "reg_sipp_load": case_reg_sipp_load,
    "reg_sipp_load_pg": case_reg_sipp_load_pg,
    "reg_baresip": case_reg_baresip,
    "reg_kill9": case_reg_kill9,
    "reg_kill9_pg": case_reg_kill9_pg,
    "reg_pg_outage": case_reg_pg_outage,
    "reg_kill9_pg_outage": case_reg_kill9_pg_outage,
}

if __name__ == "__main__":
    main(CASES, __doc__)
