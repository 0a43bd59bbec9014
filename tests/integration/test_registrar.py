#!/usr/bin/env python3
# Registrar, digest authentication and database-driven routing of `tandem edge`, on SQLite and on
# a real PostgreSQL server (cases ending in _pg start their own with tests/store/pg.sh).
"""Each --case provisions a fresh database with the tandem CLI (`tandem db migrate`,
`tandem user add`, `tandem route ...`), starts the edge with a [store], and drives it with
python peers or SIPp.

    test_registrar.py --tandem build/tandem --case reg_digest [-v] [--keep]
    test_registrar.py --tandem build/tandem --case reg_digest_pg
"""

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import (SDP, Ctx, Failed, SipMsg, SipPeer, Skipped, SippUAC, SippUAS,  # noqa: E402
                     TandemEdge, check_backend, check_caller, finish_all, free_port, is_req,
                     is_resp, main, new_branch, new_callid)

ROOT = Path(__file__).resolve().parents[2]
PG_SH = ROOT / "tests" / "store" / "pg.sh"
DOMAIN = "example.com"
NONCE_RE = r"[A-Za-z0-9+/]{32}"


def need_tandem(ctx: Ctx) -> None:
    if ctx.args.direct or ctx.args.impl != "tandem":
        raise Skipped("tandem's registrar and store")


# --------------------------------------------------------------------------- database

class Database:
    """A fresh database for one case: a SQLite file in the case's temp dir, or a PostgreSQL
    server of its own (started as the postgres user by tests/store/pg.sh)."""

    def __init__(self, ctx: Ctx, pg: bool):
        self.ctx, self.pg = ctx, pg
        self.journal = str(ctx.dir / "bindings.journal")
        if pg:
            if not any(Path("/usr/lib/postgresql").glob("*/bin/initdb")):
                raise Skipped("PostgreSQL server binaries not installed (apt-get install postgresql)")
            out = subprocess.run([str(PG_SH), "start"], capture_output=True, text=True, timeout=120)
            if out.returncode != 0:
                raise Failed("tests/store/pg.sh start failed:\n%s" % out.stderr)
            self.url = out.stdout.strip().splitlines()[-1]
            ctx.closers.append(self.close)
            ctx.log("PostgreSQL at %s" % self.url)
        else:
            self.url = "sqlite://%s" % (ctx.dir / "tandem.db")

    def close(self) -> None:
        subprocess.run([str(PG_SH), "stop", self.url], capture_output=True, timeout=120)

    def server_stop(self) -> None:
        subprocess.run([str(PG_SH), "server-stop", self.url], check=True, capture_output=True,
                       timeout=120)

    def server_start(self) -> None:
        subprocess.run([str(PG_SH), "server-start", self.url], check=True, capture_output=True,
                       timeout=120)

    def cli(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess:
        """Runs `tandem ARGS --store URL`; with ok, a non-zero exit fails the case."""
        argv = [self.ctx.args.tandem] + list(args) + ["--store", self.url]
        out = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        self.ctx.log("$ %s -> %d\n%s%s" % (" ".join(argv), out.returncode, out.stdout, out.stderr))
        if ok and out.returncode != 0:
            raise Failed("`%s` failed (%d): %s" % (" ".join(args), out.returncode,
                                                   out.stderr.strip()))
        return out

    def cli_json(self, *args: str):
        return json.loads(self.cli(*(list(args) + ["--json"])).stdout)


def store_edge(ctx: Ctx, db: Database, backends: list[str] = (), auth: dict | None = None,
               registrar: dict | None = None, routing: dict | None = None,
               trusted: list[str] | None = None, migrate: bool = True,
               domains: list[str] | None = None, sections: dict | None = None) -> TandemEdge:
    """An edge serving DOMAIN (or domains) with a store, auth and registrar; not started.
    sections: more TOML sections or keys, merged over these."""
    if migrate:
        db.cli("db", "migrate")
    merged = {"store": {"url": db.url, "journal": db.journal, "poll_interval": 100},
                "control": {"listen": "127.0.0.1:%d" % free_port()},
                "auth": dict(auth or {"secret": "integration-test-secret"}),
                "registrar": dict(registrar or {}),
                "routing": dict(routing or {})}
    for name, keys in (sections or {}).items():
        merged[name] = {**merged.get(name, {}), **keys}

    # Nothing is trusted by default here: every phone must authenticate.
    # The edge needs a default set; a silent one is enough when the case routes elsewhere.
    backends = list(backends) or ["sip:127.0.0.1:%d" % free_port()]
    return TandemEdge(ctx, backends=backends, domains=list(domains or [DOMAIN]),
                      trusted=[] if trusted is None else trusted, sections=merged)


def rpc(edge: TandemEdge, method: str, *params):
    url = "http://%s/rpc" % edge.sections["control"]["listen"]
    body = json.dumps({"jsonrpc": "2.0", "method": method, "params": list(params), "id": 1})
    req = urllib.request.Request(url, body.encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=5) as r:
        answer = json.loads(r.read())
    if "error" in answer:
        raise Failed("%s: %s" % (method, answer["error"]))
    return answer["result"]


def contact_count(edge: TandemEdge) -> int:
    stats = rpc(edge, "stats.get")
    return int(stats.get("contacts", -1)) if isinstance(stats, dict) else -1


# --------------------------------------------------------------------------- a digest client

def H(alg: str, s: str) -> str:
    return (hashlib.sha256 if alg == "SHA-256" else hashlib.md5)(s.encode()).hexdigest()


def parse_challenge(value: str) -> dict:
    scheme, _, rest = value.partition(" ")
    params = dict((k.lower(), v.strip('"'))
                  for k, v in re.findall(r'(\w+)=("[^"]*"|[^,\s]+)', rest))
    params["scheme"] = scheme
    return params


def answer(challenge: dict, user: str, password: str, method: str, uri: str, nc: int = 1,
           cnonce: str = "0a4f113b", qop: bool = True) -> str:
    alg = challenge.get("algorithm", "MD5")
    realm, nonce = challenge["realm"], challenge["nonce"]
    ha1 = H(alg, "%s:%s:%s" % (user, realm, password))
    ha2 = H(alg, "%s:%s" % (method, uri))
    if qop:
        ncs = "%08x" % nc
        resp = H(alg, "%s:%s:%s:%s:auth:%s" % (ha1, nonce, ncs, cnonce, ha2))
        return ('Digest username="%s", realm="%s", nonce="%s", uri="%s", response="%s", '
                'algorithm=%s, qop=auth, nc=%s, cnonce="%s"'
                % (user, realm, nonce, uri, resp, alg, ncs, cnonce))
    resp = H(alg, "%s:%s:%s" % (ha1, nonce, ha2))
    return ('Digest username="%s", realm="%s", nonce="%s", uri="%s", response="%s", algorithm=%s'
            % (user, realm, nonce, uri, resp, alg))


class Phone:
    """A python UA over UDP that registers user@DOMAIN to the edge and answers calls."""

    def __init__(self, ctx: Ctx, edge: TandemEdge, user: str, password: str, name: str = ""):
        self.ctx, self.edge, self.user, self.password = ctx, edge, user, password
        self.peer = SipPeer(ctx, name or user)
        self.call_id = new_callid()
        self.cseq = 0
        self.from_tag = "ph%x" % (hash(user) & 0xffffff)

    @property
    def contact(self) -> str:
        return "sip:%s@%s" % (self.user, self.peer.hostport)

    def register(self, extra: list[str] | None = None, contact: str | None = None,
                 authorization: str | None = None, expires: int | None = None) -> SipMsg | None:
        """One REGISTER transaction; the final response (or None)."""
        self.cseq += 1
        ruri = "sip:%s" % DOMAIN
        h = ["REGISTER %s SIP/2.0" % ruri,
             "Via: SIP/2.0/UDP %s;branch=%s;rport" % (self.peer.hostport, new_branch()),
             "From: <sip:%s@%s>;tag=%s" % (self.user, DOMAIN, self.from_tag),
             "To: <sip:%s@%s>" % (self.user, DOMAIN),
             "Call-ID: %s" % self.call_id,
             "CSeq: %d REGISTER" % self.cseq,
             "Max-Forwards: 70",
             "Contact: %s" % (contact if contact is not None else "<%s>" % self.contact)]
        if expires is not None:
            h.append("Expires: %d" % expires)
        if authorization:
            h.append("Authorization: %s" % authorization)
        h += extra or []
        h.append("Content-Length: 0")
        mark = self.peer.mark()
        self.peer.send(("\r\n".join(h) + "\r\n\r\n").encode(), self.edge.addr)
        return self.peer.wait_for(is_resp(self.call_id, "REGISTER", final=True), 3.0, mark)

    def login(self, alg: str = "MD5", expires: int | None = None) -> SipMsg:
        """REGISTER, answer the challenge of algorithm alg, expect 200."""
        r = self.register(expires=expires)
        if r is None or r.status != 401:
            raise Failed("REGISTER of %s: expected 401, got %s" % (self.user, r.first if r else None))
        ch = [parse_challenge(v) for v in r.all("www-authenticate")]
        ch = [c for c in ch if c.get("algorithm") == alg][0]
        r = self.register(expires=expires, authorization=answer(ch, self.user, self.password,
                                                                "REGISTER", "sip:%s" % DOMAIN))
        if r is None or r.status != 200:
            raise Failed("REGISTER of %s with credentials: expected 200, got %s"
                         % (self.user, r.first if r else None))
        return r

    def answer_calls(self) -> None:
        """Auto-answer INVITE with 200 (SDP), BYE with 200; ACK is silent."""
        def auto(peer, m, addr):
            if m.is_response:
                return
            if m.method == "INVITE":
                peer.send(response(m, 200, "OK", body=SDP, contact=self.contact), addr)
            elif m.method in ("BYE", "CANCEL", "OPTIONS"):
                peer.send(response(m, 200, "OK"), addr)
        self.peer.auto = auto


def response(req: SipMsg, status: int, reason: str, body: bytes = b"",
             contact: str | None = None) -> bytes:
    """A response to req (Via, Record-Route, From, To with a tag, Call-ID, CSeq copied)."""
    h = ["SIP/2.0 %d %s" % (status, reason)]
    h += ["Via: %s" % v for v in req.all("via")]
    h += ["Record-Route: %s" % v for v in req.all("record-route")]
    h.append("From: %s" % req.get("from"))
    to = req.get("to") or ""
    if ";tag=" not in to:
        to += ";tag=ph1"
    h += ["To: %s" % to, "Call-ID: %s" % req.get("call-id"), "CSeq: %s" % req.get("cseq")]
    if contact:
        h.append("Contact: <%s>" % contact)
    if body:
        h.append("Content-Type: application/sdp")
    h.append("Content-Length: %d" % len(body))
    return ("\r\n".join(h) + "\r\n\r\n").encode() + body


def challenge_re(alg: str, stale: bool = False) -> str:
    return (r'Digest realm="%s", nonce="%s", algorithm=%s, qop="auth"%s'
            % (re.escape(DOMAIN), NONCE_RE, re.escape(alg), ", stale=true" if stale else ""))


# --------------------------------------------------------------------------- cases

def digest_cases(ctx: Ctx, pg: bool) -> None:
    """Each digest case with the exact headers a phone sees."""
    need_tandem(ctx)
    db = Database(ctx, pg)
    db.cli("db", "migrate")
    db.cli("user", "add", "alice@%s" % DOMAIN, "--password", "wonderland")
    db.cli("user", "add", "bob@%s" % DOMAIN, "--password", "builder")
    edge = store_edge(ctx, db, migrate=False,
                      auth={"secret": "integration-test-secret", "nonce_lifetime": 5,
                            "algorithms": ["SHA-256", "MD5"]}).start()
    alice = Phone(ctx, edge, "alice", "wonderland")

    # No credentials: 401 with one challenge per algorithm, SHA-256 first (RFC 8760).
    r = alice.register()
    ctx.require(r is not None and r.status == 401, "REGISTER without credentials must get 401, "
                "got %s" % (r.first if r else None))
    ctx.check(r.first == "SIP/2.0 401 Unauthorized", "status line %r" % r.first)
    ch = r.all("www-authenticate")
    ctx.check(len(ch) == 2 and re.fullmatch(challenge_re("SHA-256"), ch[0]) is not None
              and re.fullmatch(challenge_re("MD5"), ch[1]) is not None,
              "two challenges, SHA-256 then MD5, exactly formatted: %r" % ch)
    md5 = [parse_challenge(v) for v in ch if "MD5" in v][0]
    sha = [parse_challenge(v) for v in ch if "SHA-256" in v][0]

    # Good password (MD5): 200 with the binding.
    r = alice.register(authorization=answer(md5, "alice", "wonderland", "REGISTER",
                                            "sip:%s" % DOMAIN, nc=1))
    ctx.check(r is not None and r.status == 200, "good MD5 credentials: 200, got %s"
              % (r.first if r else None))
    if r is not None and r.status == 200:
        ctx.check(any(alice.peer.hostport in c and "expires=" in c for c in r.all("contact")),
                  "the 200 lists the binding with its expires: %r" % r.all("contact"))

    # Replayed nonce-count: the same nc again is refused with a fresh challenge.
    r = alice.register(authorization=answer(md5, "alice", "wonderland", "REGISTER",
                                            "sip:%s" % DOMAIN, nc=1))
    ctx.check(r is not None and r.status == 401, "a replayed nc must be challenged again, got %s"
              % (r.first if r else None))
    # The next nc on the same nonce is fine.
    r = alice.register(authorization=answer(md5, "alice", "wonderland", "REGISTER",
                                            "sip:%s" % DOMAIN, nc=2))
    ctx.check(r is not None and r.status == 200, "nc 2 on the same nonce: 200, got %s"
              % (r.first if r else None))

    # SHA-256 (the same nonce serves both algorithms: its next nc).
    r = alice.register(authorization=answer(sha, "alice", "wonderland", "REGISTER",
                                            "sip:%s" % DOMAIN, nc=3))
    ctx.check(r is not None and r.status == 200, "good SHA-256 credentials: 200, got %s"
              % (r.first if r else None))

    # Wrong password: a new challenge, not stale.
    r = alice.register(authorization=answer(md5, "alice", "queen-of-hearts", "REGISTER",
                                            "sip:%s" % DOMAIN, nc=4))
    ctx.check(r is not None and r.status == 401 and all(
        re.fullmatch(challenge_re(a), v) for a, v in zip(("SHA-256", "MD5"),
                                                          r.all("www-authenticate"))),
        "wrong password: 401 with fresh challenges, got %s %r"
        % (r.first if r else None, r.all("www-authenticate") if r else None))

    # Unknown user.
    mallory = Phone(ctx, edge, "mallory", "x")
    r = mallory.register(authorization=answer(md5, "mallory", "x", "REGISTER", "sip:%s" % DOMAIN))
    ctx.check(r is not None and r.status == 401, "unknown user: 401, got %s"
              % (r.first if r else None))

    # Unknown scheme (RFC 4475 regaut01): ignored, challenged.
    r = alice.register(authorization="NoOneKnowsThisScheme opaque-data=here")
    ctx.check(r is not None and r.status == 401 and len(r.all("www-authenticate")) == 2,
              "unknown scheme: ignored and challenged, got %s" % (r.first if r else None))

    # Stale nonce: right password, nonce older than nonce_lifetime (5 s).
    time.sleep(6.2)
    r = alice.register(authorization=answer(md5, "alice", "wonderland", "REGISTER",
                                            "sip:%s" % DOMAIN, nc=9))
    ctx.check(r is not None and r.status == 401 and all(
        re.fullmatch(challenge_re(a, stale=True), v)
        for a, v in zip(("SHA-256", "MD5"), r.all("www-authenticate"))),
        "stale nonce: 401 with stale=true, got %s %r"
        % (r.first if r else None, r.all("www-authenticate") if r else None))
    # A phone registering as someone else is refused even with good credentials of its own.
    bob = Phone(ctx, edge, "bob", "builder")
    r = bob.register()
    bch = [parse_challenge(v) for v in r.all("www-authenticate") if "MD5" in v][0]
    r = bob.register(authorization=answer(bch, "alice", "wonderland", "REGISTER",
                                          "sip:%s" % DOMAIN))
    ctx.check(r is not None and r.status == 403, "alice's credentials for bob's AoR: 403, got %s"
              % (r.first if r else None))
    stats = rpc(edge, "stats.get")
    ctx.check(stats.get("auth_failed", 0) >= 3, "failed attempts are counted: %s"
              % stats.get("auth_failed"))
    edge.stop()


def case_reg_digest(ctx: Ctx) -> None:
    digest_cases(ctx, False)


def case_reg_digest_pg(ctx: Ctx) -> None:
    digest_cases(ctx, True)


CASES = {
    "reg_digest": case_reg_digest,
    "reg_digest_pg": case_reg_digest_pg,
}

if __name__ == "__main__":
    main(CASES, __doc__)
