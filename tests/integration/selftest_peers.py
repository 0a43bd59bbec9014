#!/usr/bin/env python3
# Self-test of the registrar test peers (baresip.py and sipp/register_*.xml) against a small
# python registrar written here, until the edge's own registrar can be tested with them.
"""Checks that the peers of the registrar integration tests work, without tandem:

- baresip (baresip.py) registers with digest auth (401 then 200) at a python registrar, is
  called straight at the Contact it registered (SIPp's built-in uac), answers, the caller's BYE
  ends the call; a second call is ended by baresip (hangup()); a call it places goes to its
  outbound proxy; answermode="manual" + accept() and audio="file" (the call ends with the WAV)
  work; a wrong password gives REGISTER_FAIL; stop() unregisters.
- sipp/register_auth.xml registers 1,000 users from an injection file at 200/s with no failure,
  register_unregister.xml removes them; register_noauth.xml / register_unregister_noauth.xml do
  the same for a registrar that trusts the source; each scenario fails on the answer it does not
  expect (a wrong password, a challenge where none is expected).

    python3 tests/integration/selftest_peers.py [--keep] [--timeline] [unittest options/names]
    (--timeline: the harness's timestamped log of each step; --keep: keep the temp dirs)

The python registrar (UDP): a REGISTER without valid credentials gets 401 with
WWW-Authenticate: Digest realm="test", nonce="...", algorithm=MD5, qop="auth"; one whose MD5
digest checks out (RFC 2617 with qop=auth, or RFC 2069 without qop) gets 200 with every
Contact bound to the AOR (;expires=N). It records the bindings, counts what it did and keeps
the first problems it saw (bad digest, unknown nonce, wrong digest uri) for the failure report.
An INVITE gets 486 Busy Here, an OPTIONS 200, anything else 405 (or nothing, for an ACK).
"""

from __future__ import annotations

import argparse
import hashlib
import re
import secrets
import socket
import subprocess
import sys
import threading
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from baresip import Baresip  # noqa: E402
from harness import (SIPP, SKIP, Ctx, Failed, SipMsg, Skipped, SippUAC,  # noqa: E402
                     build_response, check_caller, hostport, run_case, udp_rcvbuf_errors)

REALM = "test"
DOMAIN = "tandem.test"


def md5(s: str) -> str:
    return hashlib.md5(s.encode()).hexdigest()


def parse_params(text: str) -> dict[str, str]:
    """name=value pairs, values quoted or not, separated by ',' (digest) or ';' (contact)."""
    out = {}
    pair = r'([A-Za-z0-9_.+!%*~`\'-]+)\s*(?:=\s*("((?:[^"\\]|\\.)*)"|[^\s,;]+))?'
    for m in re.finditer(pair, text):
        name = m.group(1).lower()
        out[name] = m.group(3) if m.group(3) is not None else (m.group(2) or "")
    return out


def split_outside(text: str, sep: str) -> list[str]:
    """Split at sep outside <...> and "...": a Contact header may hold several addresses."""
    out, cur, depth, quoted = [], [], 0, False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch == "<":
            depth += 1
        elif not quoted and ch == ">":
            depth -= 1
        if ch == sep and not quoted and depth == 0:
            out.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    out.append("".join(cur))
    return [x.strip() for x in out if x.strip()]


def parse_contact(item: str) -> tuple[str, dict[str, str]]:
    """(uri, header parameters) of one Contact address."""
    m = re.match(r'\s*(?:"[^"]*"\s*|[^<"]*?)?<([^>]*)>(.*)$', item)
    if m:
        return m.group(1).strip(), parse_params(m.group(2))
    uri, _, params = item.partition(";")
    return uri.strip(), parse_params(params)


def uri_user(uri: str) -> str:
    m = re.match(r"<?sips?:([^@;>]+)@", uri.strip().split()[-1] if uri.strip() else "")
    return m.group(1) if m else ""


class PyRegistrar:
    """A UDP registrar with digest authentication (or none, auth=False) and a binding table.

    users       {user: password}; the AOR is user@<domain of the To URI>
    bindings    {aor: {contact uri: {"expires": absolute monotonic time, "source": (ip, port),
                "params": Contact header parameters}}}
    counts      registers, challenges (401 sent for lack of credentials), auth_failed (401 sent
                for bad credentials), forbidden (403), ok (200), removed (bindings removed),
                invites
    """

    def __init__(self, ctx: Ctx, users: dict[str, str], auth: bool = True, realm: str = REALM,
                 host: str = "127.0.0.1"):
        self.ctx, self.users, self.auth, self.realm, self.host = ctx, dict(users), auth, realm, host
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(fam, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        self.sock.bind((host, 0))  # ephemeral port, chosen by the kernel
        self.port = self.sock.getsockname()[1]
        self.hostport = hostport(host, self.port)
        self.bindings: dict[str, dict[str, dict]] = {}
        self.counts = dict(registers=0, challenges=0, auth_failed=0, forbidden=0, ok=0, removed=0,
                           invites=0, other=0)
        self.problems: list[str] = []
        self.nonces: set[str] = set()
        self.busy_s = 0.0       # time spent handling messages (to tell whether it keeps up)
        self.lock = threading.Lock()
        self.closed = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        ctx.closers.append(self.close)

    def close(self) -> None:
        self.closed = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()

    def _run(self) -> None:
        while not self.closed:
            try:
                data, addr = self.sock.recvfrom(65535)
            except OSError:
                return
            if self.closed or not addr:
                return
            t0 = time.perf_counter()
            try:
                self._handle(SipMsg(data), addr)
            except Exception as e:  # a test peer must not die on a message it does not like
                self._problem("error handling %r from %s: %r" % (data[:60], addr, e))
            self.busy_s += time.perf_counter() - t0

    def _problem(self, msg: str) -> None:
        with self.lock:
            if len(self.problems) < 20:
                self.problems.append(msg)
        self.ctx.log("registrar: " + msg)

    def _send(self, data: bytes, addr) -> None:
        try:
            self.sock.sendto(data, addr)
        except OSError as e:
            self._problem("sendto %s: %s" % (addr, e))

    def _reply(self, req: SipMsg, addr, status: int, reason: str, extra=None) -> None:
        self._send(build_response(req, status, reason, to_tag="reg%x" % (hash(req.get("call-id"))
                                                                        & 0xffffff),
                                  extra=extra), addr)

    def _handle(self, m: SipMsg, addr) -> None:
        if m.is_response:
            return
        if m.method == "REGISTER":
            self._register(m, addr)
        elif m.method == "INVITE":
            self.counts["invites"] += 1
            self._reply(m, addr, 486, "Busy Here")
        elif m.method == "ACK":
            pass
        elif m.method == "OPTIONS":
            self._reply(m, addr, 200, "OK")
        else:
            self.counts["other"] += 1
            self._reply(m, addr, 405, "Method Not Allowed", ["Allow: REGISTER, OPTIONS, INVITE"])

    def _challenge(self, m: SipMsg, addr, stale: bool = False) -> None:
        nonce = secrets.token_hex(16)
        with self.lock:
            self.nonces.add(nonce)
        self._reply(m, addr, 401, "Unauthorized", [
            'WWW-Authenticate: Digest realm="%s", nonce="%s", algorithm=MD5, qop="auth"%s'
            % (self.realm, nonce, ", stale=true" if stale else "")])

    def _check_digest(self, m: SipMsg, to_user: str) -> str | None:
        """None if the Authorization header is right, else why not."""
        auth = m.get("authorization")
        if not auth:
            return "no credentials"
        scheme, _, rest = auth.strip().partition(" ")
        if scheme.lower() != "digest":
            return "scheme %s" % scheme
        p = parse_params(rest)
        user = p.get("username", "")
        if user not in self.users:
            return "unknown user %r" % user
        if p.get("realm") != self.realm:
            return "realm %r, not %r" % (p.get("realm"), self.realm)
        if p.get("nonce") not in self.nonces:
            return "nonce %r was never issued" % p.get("nonce")
        if p.get("uri") != m.ruri:
            return "digest uri %r is not the Request-URI %r" % (p.get("uri"), m.ruri)
        if p.get("algorithm", "MD5").upper() != "MD5":
            return "algorithm %s" % p.get("algorithm")
        ha1 = md5("%s:%s:%s" % (user, self.realm, self.users[user]))
        ha2 = md5("%s:%s" % (m.method, p.get("uri")))
        if "qop" in p:
            if p["qop"] != "auth" or not p.get("nc") or not p.get("cnonce"):
                return "qop=%r nc=%r cnonce=%r" % (p.get("qop"), p.get("nc"), p.get("cnonce"))
            want = md5("%s:%s:%s:%s:%s:%s" % (ha1, p["nonce"], p["nc"], p["cnonce"], "auth", ha2))
        else:
            want = md5("%s:%s:%s" % (ha1, p["nonce"], ha2))
        if p.get("response", "").lower() != want:
            return "wrong digest response for %s (wrong password?)" % user
        if user != to_user:
            return "FORBIDDEN: user %s may not register %s" % (user, to_user)
        return None

    def _register(self, m: SipMsg, addr) -> None:
        self.counts["registers"] += 1
        to_uri = (m.get("to") or "")
        mt = re.search(r"sips?:([^@;>\s]+)@([^;>\s]+)", to_uri)
        if not mt:
            self._problem("REGISTER without a user in To: %r" % to_uri)
            self._reply(m, addr, 400, "Bad To")
            return
        aor = "%s@%s" % (mt.group(1), mt.group(2))
        if self.auth:
            why = self._check_digest(m, mt.group(1))
            if why == "no credentials":
                self.counts["challenges"] += 1
                self._challenge(m, addr)
                return
            if why and why.startswith("FORBIDDEN"):
                self.counts["forbidden"] += 1
                self._problem("REGISTER %s: %s" % (aor, why))
                self._reply(m, addr, 403, "Forbidden")
                return
            if why:
                self.counts["auth_failed"] += 1
                self._problem("REGISTER %s (Call-ID %s): %s" % (aor, m.get("call-id"), why))
                self._challenge(m, addr, stale=why.startswith("nonce"))
                return
        try:
            default_exp = int(m.get("expires") or 3600)
        except ValueError:
            default_exp = 3600
        now = time.monotonic()
        contacts = [c for v in m.all("contact") for c in split_outside(v, ",")]
        with self.lock:
            table = self.bindings.setdefault(aor, {})
            if contacts == ["*"]:
                if default_exp != 0:
                    self._problem("REGISTER %s: Contact: * with Expires %d" % (aor, default_exp))
                    self._reply(m, addr, 400, "Bad Contact")
                    return
                self.counts["removed"] += len(table)
                table.clear()
            else:
                for c in contacts:
                    uri, params = parse_contact(c)
                    try:
                        exp = int(params.get("expires", default_exp))
                    except ValueError:
                        exp = default_exp
                    if exp <= 0:
                        if table.pop(uri, None) is not None:
                            self.counts["removed"] += 1
                    else:
                        table[uri] = {"expires": now + exp, "source": addr, "params": params}
            for uri in [u for u, b in table.items() if b["expires"] <= now]:
                del table[uri]
            listed = ["Contact: <%s>;expires=%d" % (u, max(0, int(b["expires"] - now)))
                      for u, b in table.items()]
            if not table:
                del self.bindings[aor]
        self.counts["ok"] += 1
        self._reply(m, addr, 200, "OK", listed)

    def binding_count(self) -> int:
        with self.lock:
            return sum(len(t) for t in self.bindings.values())

    def contacts_of(self, aor: str) -> dict[str, dict]:
        with self.lock:
            return dict(self.bindings.get(aor, {}))

    def summary(self) -> str:
        return "registrar %s: %s, %d bindings%s" % (
            self.hostport, ", ".join("%s=%d" % kv for kv in self.counts.items()),
            self.binding_count(),
            "; problems: " + " | ".join(self.problems[:5]) if self.problems else "")


# --------------------------------------------------------------------------- helpers

def builtin_scenario(ctx: Ctx, name: str) -> str:
    """Write one of SIPp's built-in scenarios (sipp -sd NAME) into the temp dir: the harness
    runs scenario files (with its stats and error traces), not -sn."""
    if not Path(SIPP).exists():
        raise Skipped("sipp not installed")
    path = ctx.dir / ("builtin_%s.xml" % name)
    out = subprocess.run([SIPP, "-sd", name], capture_output=True, timeout=10)
    if b"<scenario" not in out.stdout:  # (SIPp 3.6.1 exits 99 after -sd, even when it worked)
        raise Failed("sipp -sd %s failed (rc=%d): %s" % (name, out.returncode, out.stderr[-300:]))
    path.write_bytes(out.stdout)
    return str(path)


# A caller that lets the callee hang up: INVITE, 200, ACK, then waits for the callee's BYE.
UAC_WAIT_BYE = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="selftest caller, callee hangs up">
  <send retrans="500">
    <![CDATA[
      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:caller@[local_ip]:[local_port]>;tag=[pid]ST[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:caller@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=caller 1 1 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0 8
      a=rtpmap:0 PCMU/8000
      a=rtpmap:8 PCMA/8000
    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="200" rtd="true"/>
  <send>
    <![CDATA[
      ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:caller@[local_ip]:[local_port]>;tag=[pid]ST[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0
    ]]>
  </send>
  <recv request="BYE"/>
  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0
    ]]>
  </send>
  <timewait milliseconds="500"/>
</scenario>
"""


def write_users_csv(ctx: Ctx, name: str, users: list[tuple[str, str, str]]) -> str:
    path = ctx.dir / name
    with open(path, "w") as f:
        f.write("SEQUENTIAL\n")
        for u in users:
            f.write("%s;%s;%s\n" % u)
    return str(path)


def run_sipp(ctx: Ctx, name: str, scenario: str, remote: str, calls: int, rate: float,
             extra: list[str], timeout_s: int = 30):
    """One SIPp caller run to the end; returns (SippUAC, result dict, seconds). A "-p PORT" in
    extra binds SIPp to that port (the later -p wins), so that its Contact is the one an
    earlier run registered."""
    t0 = time.monotonic()
    uac = SippUAC(ctx, name, scenario, remote, calls, rate, calls, timeout_s, extra=extra)
    res = uac.run()
    return uac, res, time.monotonic() - t0


def require_sipp_ok(ctx: Ctx, uac: SippUAC, res: dict, what: str) -> None:
    check_caller(ctx, uac, res)
    if res["ok"] != uac.calls or res["rc"] != 0:
        raise Failed("%s: SIPp %s did not complete every call (see above)" % (what, uac.name))


# --------------------------------------------------------------------------- cases

def case_baresip(ctx: Ctx) -> None:
    """baresip registers with digest auth, answers a call to its Contact, hangs up a second,
    places a third through its outbound proxy; a manual-answer phone with a WAV source takes a
    fourth and ends it when the file ends; a wrong password fails; stop() unregisters."""
    reg = PyRegistrar(ctx, {"alice": "s3cret", "bob": "pw-bob"})
    alice = Baresip(ctx, "alice", user="alice", domain=DOMAIN, password="s3cret",
                    proxy=reg.hostport, regint=120).start()
    ev = alice.wait_registered(5)
    ctx.log("alice registered: %s" % ev)
    ctx.check(reg.counts["challenges"] >= 1 and reg.counts["auth_failed"] == 0,
              "baresip must answer the 401 with valid credentials: %s" % reg.summary())
    bindings = reg.contacts_of("alice@%s" % DOMAIN)
    ctx.require(len(bindings) == 1, "registrar must hold one binding for alice@%s, has %r (%s)"
                % (DOMAIN, bindings, reg.summary()))
    contact, b = next(iter(bindings.items()))
    ctx.check(contact.startswith("sip:alice") and contact.endswith("@%s" % alice.hostport),
              "alice's Contact must be sip:alice...@%s, is %s" % (alice.hostport, contact))
    ctx.check(b["source"][1] == alice.sip_port,
              "alice's REGISTER must come from her SIP port %d, came from %s"
              % (alice.sip_port, hostport(*b["source"][:2])))
    print("  alice registered %s (REGISTER_OK %r, +sip.instance %s)"
          % (contact, ev.get("param"), b["params"].get("+sip.instance", "-")))

    # call 1: SIPp's built-in uac straight to the registered Contact; caller hangs up after 1 s
    cuser = uri_user(contact)
    uac_builtin = builtin_scenario(ctx, "uac")
    mark = alice.mark()
    uac, res, secs = run_sipp(ctx, "call_builtin_uac", uac_builtin, alice.hostport, 1, 1,
                              ["-s", cuser, "-d", "1000"])
    require_sipp_ok(ctx, uac, res, "call to baresip's Contact")
    inc = alice.wait_incoming_call(2, since=mark)
    est = alice.wait_call_established(2, since=mark, call_id=inc.get("id"))
    closed = alice.wait_call_closed(3, since=mark, call_id=inc.get("id"))
    print("  call 1 (sipp -sd uac, caller hangs up): answered, Call-ID %s, closed: %r (%.1f s)"
          % (est.get("id"), closed.get("param"), secs))

    # call 2: baresip hangs up (BYE from baresip), caller waits for it
    scen = ctx.dir / "uac_wait_bye.xml"
    scen.write_text(UAC_WAIT_BYE)
    mark = alice.mark()
    t0 = time.monotonic()
    uac2 = SippUAC(ctx, "call_callee_hangs_up", str(scen), alice.hostport, 1, 1, 1, 20,
                   extra=["-s", "alice"])  # R-URI user = account user: accepted too
    est2 = alice.wait_call_established(5, since=mark)
    alice.hangup()
    closed2 = alice.wait_call_closed(5, since=mark, call_id=est2.get("id"))
    res2 = uac2.run()
    require_sipp_ok(ctx, uac2, res2, "call ended by baresip")
    print("  call 2 (baresip hangs up): closed %r, caller got the BYE (%.1f s)"
          % (closed2.get("param"), time.monotonic() - t0))

    # call 3: baresip dials; the request goes to its outbound proxy (the registrar: 486)
    mark = alice.mark()
    alice.dial("sip:bob@%s" % DOMAIN)
    closed3 = alice.wait_call_closed(5, since=mark)
    ctx.check(reg.counts["invites"] == 1 and "486" in (closed3.get("param") or ""),
              "baresip's INVITE must go to its outbound proxy and end on its 486: invites=%d, "
              "closed %r" % (reg.counts["invites"], closed3.get("param")))
    print("  call 3 (baresip dials sip:bob@%s): INVITE went to the outbound proxy, closed %r"
          % (DOMAIN, closed3.get("param")))

    # answermode=manual and a WAV source: CALL_INCOMING, accept(), and baresip hangs up by
    # itself when the 1.5 s file ends (aufile's end of file closes the call)
    carol = Baresip(ctx, "carol", user="carol", domain=DOMAIN, password="pw-carol",
                    proxy=reg.hostport, register=False, answermode="manual", audio="file",
                    wav_seconds=1.5).start()
    t0 = time.monotonic()
    uac4 = SippUAC(ctx, "call_manual_wav", str(scen), carol.hostport, 1, 1, 1, 20,
                   extra=["-s", "carol"])
    inc4 = carol.wait_event(lambda e: e.get("type") == "CALL_INCOMING", 5)
    ctx.require(inc4 is not None, "answermode=manual must raise CALL_INCOMING; events: %s\n%s"
                % (carol.event_summary(), carol.report()))
    carol.accept()
    est4 = carol.wait_call_established(5, call_id=inc4.get("id"))
    closed4 = carol.wait_call_closed(6, call_id=inc4.get("id"))
    held = closed4["t"] - est4["t"]
    res4 = uac4.run()
    require_sipp_ok(ctx, uac4, res4, "call to a manual-answer phone with a WAV source")
    ctx.check(1.0 <= held <= 4.0, "carol's call must end when her 1.5 s WAV ends, lasted %.1f s"
              % held)
    print("  call 4 (manual answer, 1.5 s WAV): CALL_INCOMING, accept(), closed %r after %.1f s "
          "(%.1f s in all)" % (closed4.get("param"), held, time.monotonic() - t0))
    ctx.check(carol.stop() == 0, "carol must exit 0 on SIGTERM")

    # wrong password: REGISTER_FAIL, no binding
    bad = Baresip(ctx, "bob_badpw", user="bob", domain=DOMAIN, password="wrong",
                  proxy=reg.hostport).start()
    fail = bad.wait_register_failed(5)
    ctx.check(not reg.contacts_of("bob@%s" % DOMAIN),
              "a wrong password must not bind bob: %r" % reg.contacts_of("bob@%s" % DOMAIN))
    print("  bob with a wrong password: REGISTER_FAIL %r (registrar: auth_failed=%d)"
          % (fail.get("param"), reg.counts["auth_failed"]))
    bad.stop()
    reg.problems = [p for p in reg.problems if "bob" not in p]  # expected ones

    # stop: baresip unregisters, then exits 0
    t0 = time.monotonic()
    rc = alice.stop(5)
    ctx.check(rc == 0, "baresip must exit 0 on SIGTERM (rc=%s)" % rc)
    ctx.check(not reg.contacts_of("alice@%s" % DOMAIN),
              "baresip must unregister on stop: alice still bound to %r"
              % reg.contacts_of("alice@%s" % DOMAIN))
    print("  alice stopped in %.1f s, rc=%s, binding removed; %s"
          % (time.monotonic() - t0, rc, reg.summary()))
    ctx.check(not reg.problems, "registrar problems: %s" % reg.problems)


def case_sipp_register_auth(ctx: Ctx) -> None:
    """register_auth.xml: 1,000 users at 200/s; register_unregister.xml removes them."""
    n, rate = 1000, 200
    users = [("user%04d" % i, DOMAIN, "pw%04d" % i) for i in range(n)]
    reg = PyRegistrar(ctx, {u: p for u, _, p in users})
    csv_path = write_users_csv(ctx, "users.csv", users)
    drops0 = udp_rcvbuf_errors()
    uac, res, secs = run_sipp(ctx, "register_auth", "register_auth.xml", reg.hostport, n, rate,
                              ["-inf", csv_path])
    print("  register_auth.xml: %d of %d in %.1f s (%d retransmissions); registrar busy %.2f s "
          "(%.0f us a message)" % (res["ok"] or 0, n, secs, res["retrans"], reg.busy_s,
                                   1e6 * reg.busy_s / max(1, reg.counts["registers"])))
    require_sipp_ok(ctx, uac, res, "register_auth.xml at %d/s" % rate)
    ctx.check(reg.binding_count() == n and reg.counts["challenges"] >= n
              and reg.counts["auth_failed"] == 0 and reg.counts["ok"] == n,
              "every user must be challenged once and bound once: %s" % reg.summary())
    ctx.check(all(reg.contacts_of("%s@%s" % (u, DOMAIN)) for u, _, _ in users[:: n // 10]),
              "bindings must be keyed by user@domain from the CSV: %s" % reg.summary())
    ctx.check(res["retrans"] == 0, "the python registrar must keep up at %d/s: %d SIPp "
              "retransmissions, %d UDP drops" % (rate, res["retrans"],
                                                 udp_rcvbuf_errors() - drops0))

    before = dict(reg.counts)
    uac2, res2, secs2 = run_sipp(ctx, "register_unregister", "register_unregister.xml",
                                 reg.hostport, n, rate, ["-inf", csv_path, "-p", str(uac.port)])
    print("  register_unregister.xml: %d of %d in %.1f s; %d bindings left"
          % (res2["ok"] or 0, n, secs2, reg.binding_count()))
    require_sipp_ok(ctx, uac2, res2, "register_unregister.xml")
    ctx.check(reg.binding_count() == 0 and reg.counts["removed"] - before["removed"] == n,
              "unregistering must remove every binding: %s" % reg.summary())

    # a wrong password: the registrar re-challenges, the scenario must count a failure
    bad = write_users_csv(ctx, "bad.csv", [("user0001", DOMAIN, "nope")])
    uac3, res3, _ = run_sipp(ctx, "register_auth_badpw", "register_auth.xml", reg.hostport, 1, 1,
                             ["-inf", bad], timeout_s=10)
    ctx.check(res3["ok"] == 0 and res3["bad"] == 1 and res3["rc"] != 0,
              "register_auth.xml with a wrong password must fail (ok=%s failed=%s rc=%s)"
              % (res3["ok"], res3["bad"], res3["rc"]))
    print("  register_auth.xml with a wrong password: failed as it should (rc=%s)" % res3["rc"])
    reg.problems = [p for p in reg.problems if "wrong digest" not in p]
    ctx.check(not reg.problems, "registrar problems: %s" % reg.problems)


def case_sipp_register_noauth(ctx: Ctx) -> None:
    """register_noauth.xml / register_unregister_noauth.xml against a trusting registrar;
    register_noauth.xml must fail where a challenge comes."""
    n, rate = 200, 200
    users = [("user%04d" % i, DOMAIN, "pw%04d" % i) for i in range(n)]
    csv_path = write_users_csv(ctx, "users.csv", users)
    trusting = PyRegistrar(ctx, {}, auth=False)
    uac, res, secs = run_sipp(ctx, "register_noauth", "register_noauth.xml", trusting.hostport,
                              n, rate, ["-inf", csv_path])
    require_sipp_ok(ctx, uac, res, "register_noauth.xml")
    ctx.check(trusting.binding_count() == n, "every user must be bound: %s" % trusting.summary())
    uac2, res2, secs2 = run_sipp(ctx, "register_unregister_noauth",
                                 "register_unregister_noauth.xml", trusting.hostport, n, rate,
                                 ["-inf", csv_path, "-p", str(uac.port)])
    require_sipp_ok(ctx, uac2, res2, "register_unregister_noauth.xml")
    ctx.check(trusting.binding_count() == 0, "every binding must be removed: %s"
              % trusting.summary())
    print("  register_noauth.xml: %d in %.1f s; register_unregister_noauth.xml: %d in %.1f s; "
          "%s" % (res["ok"], secs, res2["ok"], secs2, trusting.summary()))

    challenging = PyRegistrar(ctx, {u: p for u, _, p in users})
    uac3, res3, _ = run_sipp(ctx, "register_noauth_challenged", "register_noauth.xml",
                             challenging.hostport, 1, 1, ["-inf", csv_path], timeout_s=10)
    ctx.check(res3["ok"] == 0 and res3["bad"] == 1 and res3["rc"] != 0,
              "register_noauth.xml must fail on a 401 (ok=%s failed=%s rc=%s)"
              % (res3["ok"], res3["bad"], res3["rc"]))
    print("  register_noauth.xml against a challenging registrar: failed as it should")


CASES = {
    "baresip": case_baresip,
    "sipp_register_auth": case_sipp_register_auth,
    "sipp_register_noauth": case_sipp_register_noauth,
}

ARGS = argparse.Namespace(verbose=False, keep=False, scale=1.0, impl="tandem", direct=True,
                          tandem=None)


class SelftestPeers(unittest.TestCase):
    """One test per case; each runs in harness.run_case (temp dir, clean-up, log tails)."""

    def run_named(self, name: str) -> None:
        rc = run_case(ARGS, name, CASES[name])
        if rc == SKIP:
            self.skipTest("%s: environment lacks a tool (see above)" % name)
        self.assertEqual(rc, 0, "case %s failed (details above)" % name)

    def test_baresip(self):
        self.run_named("baresip")

    def test_sipp_register_auth(self):
        self.run_named("sipp_register_auth")

    def test_sipp_register_noauth(self):
        self.run_named("sipp_register_noauth")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(add_help=False)
    ap.add_argument("--keep", action="store_true", help="keep the temp dirs")
    ap.add_argument("--timeline", action="store_true", help="print the harness timeline")
    ns, rest = ap.parse_known_args()
    ARGS.keep, ARGS.verbose = ns.keep, ns.timeline
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
