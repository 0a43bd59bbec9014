#!/usr/bin/env python3
# Raw-socket integration tests of `tandem edge`: what it forwards, what it answers, what it drops.
"""Each --case starts the edge in front of a python UDP "backend" and sends hand-built SIP.

    test_sip.py --tandem build/tandem --case malformed [-v] [--keep]
    test_sip.py --impl kamailio --case record_route      # Kamailio as the edge, for comparison

Cases: malformed, max_forwards, open_relay, record_route, torture, failover_exhausted,
inv_timeout, retransmissions, hash_affinity, sighup_reload, bad_config, cancel_early, callee_bye,
nat_rport, reply_from_other_port, tcp_framing.
"""

import random
import re
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import (SDP, Ctx, Failed, SipMsg, SipPeer, Skipped, build_request,  # noqa: E402
                     build_response, is_req, is_resp, main, make_edge, new_branch, new_callid,
                     via_branch)

QUIET = 0.3  # seconds to wait before concluding that nothing comes back


def need_edge(ctx: Ctx) -> None:
    if ctx.args.direct:
        raise Skipped("--direct has no meaning here: these cases talk to the edge itself")


def uri_of(nameaddr: str) -> str:
    m = re.search(r"<([^>]*)>", nameaddr)
    return (m.group(1) if m else nameaddr.split(";")[0]).strip()


def uri_hostport(uri: str) -> tuple[str, int | None]:
    m = re.match(r"sips?:(?:[^@;]*@)?(\[[^\]]+\]|[^:;>]+)(?::(\d+))?", uri)
    if not m:
        return "", None
    return m.group(1).strip("[]"), int(m.group(2)) if m.group(2) else None


def points_at(uri: str, edge) -> bool:
    host, port = uri_hostport(uri)
    return host == edge.host and (port or 5060) == edge.port


def via_sent_by(via: str) -> tuple[str, int | None]:
    m = re.match(r"SIP\s*/\s*2\.0\s*/\s*\w+\s+(\[[^\]]+\]|[^:;\s]+)(?::(\d+))?", via, re.I)
    if not m:
        return "", None
    return m.group(1).strip("[]"), int(m.group(2)) if m.group(2) else None


def answer_backend(status: int, reason: str):
    """auto-responder for a python backend: answers INVITE/OPTIONS/BYE, absorbs ACK."""
    def auto(peer: SipPeer, m: SipMsg, addr) -> None:
        if m.is_response or m.method == "ACK":
            return
        if m.method == "INVITE":
            peer.send(build_response(m, status, reason), addr)
        elif m.method in ("OPTIONS", "BYE", "CANCEL"):
            peer.send(build_response(m, 200, "OK"), addr)
    return auto


def transaction(ctx: Ctx, caller: SipPeer, edge, req: bytes, timeout: float = 3.0) -> list[SipMsg]:
    """Send a request to the edge; collect its responses until a final one (or timeout).
    A non-2xx final to an INVITE is ACKed, as a UAC would."""
    m0 = SipMsg(req)
    cid, (num, method) = m0.get("call-id"), m0.cseq()
    mark = caller.mark()
    caller.send(req, edge.addr)
    out = []
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        m = caller.wait_for(is_resp(cid, method), left, mark)
        if m is None:
            break
        mark = m.index
        out.append(m)
        if (m.status or 0) >= 200:
            if method == "INVITE" and m.status >= 300:
                ack = ["ACK %s SIP/2.0" % m0.ruri, "Via: %s" % m0.vias()[0],
                       "From: %s" % m0.get("from"), "To: %s" % m.get("to"),
                       "Call-ID: %s" % cid, "CSeq: %d ACK" % num, "Max-Forwards: 70",
                       "Content-Length: 0"]
                caller.send(("\r\n".join(ack) + "\r\n\r\n").encode(), edge.addr)
            break
    return out


def final_of(resps: list[SipMsg]) -> SipMsg | None:
    finals = [r for r in resps if (r.status or 0) >= 200]
    return finals[0] if finals else None


def describe(resps: list[SipMsg]) -> str:
    return ", ".join(r.first for r in resps) if resps else "nothing"


def assert_not_forwarded(ctx: Ctx, backend: SipPeer, mark: int, what: str) -> None:
    time.sleep(QUIET)
    got = backend.messages(mark)
    ctx.check(not got, "%s must not reach the backend, but it got: %s"
              % (what, "; ".join(m.brief() for m in got[:3])))


# --------------------------------------------------------------------------- malformed

def good_headers(src: SipPeer, edge, call_id: str, cseq: str = "1 INVITE") -> list[str]:
    return ["Via: SIP/2.0/UDP %s;branch=%s;rport" % (src.hostport, new_branch()),
            "From: <sip:it@%s>;tag=bad1" % src.hostport,
            "To: <sip:svc@%s>" % edge.hostport,
            "Call-ID: %s" % call_id,
            "CSeq: %s" % cseq,
            "Max-Forwards: 70"]


def malformed_set(ctx: Ctx, edge, peers: dict) -> list[dict]:
    """The bad datagrams: name, bytes, expectation ("400", "none", "4xx|none"), counted
    (must be counted as a parse error in the final stats)."""
    rnd = random.Random(4475)
    items = []

    def add(name, expect, build, counted=True):
        p = SipPeer(ctx, name)
        peers[name] = p
        cid = new_callid()
        data = build(p, cid)
        items.append(dict(name=name, peer=p, data=data, expect=expect, cid=cid, counted=counted,
                          cseq=SipMsg(data).get("cseq") if expect != "none" else None))

    ruri = "INVITE sip:svc@%s SIP/2.0" % edge.hostport

    def req(lines, body=b""):
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + body

    add("garbage_text", "none", lambda p, c: b"hello, this is not SIP at all\r\n\r\n")
    add("binary_junk", "none", lambda p, c: b"\x00\xff" + bytes(rnd.getrandbits(8) for _ in range(700)))
    add("broken_via", "none", lambda p, c: req(
        [ruri, "Via: SIP/2.0/UDP ;;;branch", "From: <sip:it@%s>;tag=bad1" % p.hostport,
         "To: <sip:svc@%s>" % edge.hostport, "Call-ID: %s" % c, "CSeq: 1 INVITE",
         "Max-Forwards: 70", "Content-Length: 0"]))
    add("missing_call_id", "none", lambda p, c: req(
        [ruri] + [h for h in good_headers(p, edge, c) if not h.startswith("Call-ID")]
        + ["Content-Length: 0"]))
    # a CSeq without a number cannot be echoed faithfully: drop, or 400 echoing it as it came
    add("bad_cseq", "400|none", lambda p, c: req(
        [ruri] + good_headers(p, edge, c, cseq="abc INVITE") + ["Content-Length: 0"]))
    add("truncated_request_line", "none", lambda p, c: ("INVITE sip:svc@%s" % edge.host).encode())
    add("truncated_in_headers", "none", lambda p, c: req(
        [ruri] + good_headers(p, edge, c))[:-40])
    add("negative_content_length", "400", lambda p, c: req(
        [ruri] + good_headers(p, edge, c) + ["Content-Length: -5"]))
    add("non_numeric_content_length", "400", lambda p, c: req(
        [ruri] + good_headers(p, edge, c) + ["Content-Type: application/sdp",
                                              "Content-Length: twelve"], SDP))
    add("truncated_body", "400", lambda p, c: req(
        [ruri] + good_headers(p, edge, c) + ["Content-Type: application/sdp",
                                              "Content-Length: 500"], SDP[:40]))
    add("oversized_datagram", "4xx|none", lambda p, c: req(
        [ruri] + good_headers(p, edge, c) + ["this line has no colon " + "x" * 200] * 250
        + ["Content-Length: 0"]), counted=False)
    add("malformed_response_status", "none", lambda p, c: req(
        ["SIP/2.0 2OO OK", "Via: SIP/2.0/UDP %s;branch=z9hG4bK-nosuch" % edge.hostport,
         "From: <sip:a@%s>;tag=1" % p.hostport, "To: <sip:b@%s>;tag=2" % edge.hostport,
         "Call-ID: %s" % c, "CSeq: 1 INVITE", "Content-Length: 0"]))
    add("response_missing_cseq", "none", lambda p, c: req(
        ["SIP/2.0 200 OK", "Via: SIP/2.0/UDP %s;branch=z9hG4bK-nosuch2" % edge.hostport,
         "From: <sip:a@%s>;tag=1" % p.hostport, "To: <sip:b@%s>;tag=2" % edge.hostport,
         "Call-ID: %s" % c, "Content-Length: 0"]), counted=False)
    add("crlf_keepalive", "none", lambda p, c: b"\r\n\r\n", counted=False)
    return items


def case_malformed(ctx: Ctx) -> None:
    """Bad datagrams get a 400 when one can be built, are dropped otherwise; the edge lives on."""
    need_edge(ctx)
    backend = SipPeer(ctx, "backend")
    backend.auto = answer_backend(486, "Busy Here")
    edge = make_edge(ctx, backends=["sip:%s" % backend.hostport]).start()
    peers: dict = {}
    items = malformed_set(ctx, edge, peers)
    bmark = backend.mark()
    for it in items:
        it["peer"].send(it["data"], edge.addr)
        time.sleep(0.01)
    time.sleep(max(QUIET, 0.5))
    got_400 = 0
    for it in items:
        resps = it["peer"].messages()
        name, exp = it["name"], it["expect"]
        sent = it["data"][:70]
        if exp == "none":
            ctx.check(not resps, "%s (%d bytes, starts %r): nothing must come back, got: %s"
                      % (name, len(it["data"]), sent, describe(resps)))
            continue
        finals = [r for r in resps if (r.status or 0) >= 200]
        if exp.endswith("|none") and not resps:
            print("  %s: dropped silently (accepted)" % name)
            continue
        want = (400,) if exp.startswith("400") else tuple(range(400, 600))
        ok = len(finals) >= 1 and finals[0].status in want
        ctx.check(ok, "%s: expected %s, got: %s" % (name, exp.replace("|", " or "), describe(resps)))
        if ok:
            f = finals[0]
            got_400 += f.status == 400
            ctx.check(f.get("call-id") == it["cid"] and f.get("cseq") == it["cseq"],
                      "%s: the %d must echo Call-ID %r and CSeq %r, has %r / %r"
                      % (name, f.status, it["cid"], it["cseq"], f.get("call-id"), f.get("cseq")))
            if exp != "400":
                print("  %s: answered %s (accepted)" % (name, f.first))
            # ACK the final response so a stateful edge stops retransmitting it
            m0 = SipMsg(it["data"])
            ack = ["ACK sip:svc@%s SIP/2.0" % edge.hostport, "Via: %s" % m0.vias()[0],
                   "From: %s" % m0.get("from"), "To: %s" % f.get("to"), "Call-ID: %s" % it["cid"],
                   "CSeq: 1 ACK", "Max-Forwards: 70", "Content-Length: 0"]
            it["peer"].send(("\r\n".join(ack) + "\r\n\r\n").encode(), edge.addr)
    got = backend.messages(bmark)
    ctx.check(not got, "no malformed request may reach the backend, it got: %s"
              % "; ".join(m.brief() for m in got[:3]))
    # still alive and still working
    edge.wait_ready(timeout=3.0)
    caller = SipPeer(ctx, "caller")
    cid = new_callid()
    resps = transaction(ctx, caller, edge, build_request(
        "INVITE", "sip:svc@%s" % edge.hostport, caller, call_id=cid, body=SDP))
    f = final_of(resps)
    ctx.check(f is not None and f.status == 486,
              "after the bad datagrams a good INVITE must still be forwarded (backend answers 486), "
              "caller got: %s" % describe(resps))

    # malformed responses inside a live transaction are dropped; the good one after them relayed
    backend.auto = None
    cid = new_callid()
    req = build_request("INVITE", "sip:svc@%s" % edge.hostport, caller, call_id=cid)
    caller.send(req, edge.addr)
    fwd = backend.wait_for(is_req("INVITE", cid), 3.0)
    ctx.require(fwd is not None, "INVITE must reach the backend")
    good180 = build_response(fwd, 180, "Ringing")
    bad = [("status 18O", good180.replace(b"SIP/2.0 180 Ringing", b"SIP/2.0 18O Ringing", 1)),
           ("CSeq without number", good180.replace(b"CSeq: 1 INVITE", b"CSeq: one INVITE", 1)),
           ("negative Content-Length", good180.replace(b"Content-Length: 0", b"Content-Length: -3")),
           ("truncated in headers", good180[:len(good180) // 2])]
    cmark = caller.mark()
    for _, data in bad:
        backend.send(data, fwd.src)
    time.sleep(QUIET)
    leaked = [m.first for m in caller.messages(cmark) if m.get("call-id") == cid
              and (m.status or 0) > 100]
    ctx.check(not leaked, "malformed responses from the backend (%s) must be dropped, the caller "
              "got %s" % (", ".join(n for n, _ in bad), leaked))
    backend.send(build_response(fwd, 486, "Busy Here"), fwd.src)
    f = caller.wait_for(is_resp(cid, "INVITE", final=True), 3.0, cmark)
    ctx.check(f is not None and f.status == 486, "after malformed responses the backend's good 486 "
              "must still reach the caller, got %s" % (f.first if f else "nothing"))
    counted = sum(1 for it in items if it["counted"])
    edge.stop()
    if edge.stats is not None:
        pe, r400 = edge.stats.get("parse_errors"), edge.stats.get("replied_400")
        ctx.check(pe is not None and pe >= counted,
                  "final stats: parse_errors must be >= %d (the malformed datagrams sent: %s), is %s"
                  % (counted, ", ".join(it["name"] for it in items if it["counted"]), pe))
        ctx.check(r400 is not None and r400 >= got_400,
                  "final stats: replied_400 must be >= %d (400s received), is %s" % (got_400, r400))
    elif ctx.args.impl == "tandem":
        pass  # stop() already failed the test for the missing stats line


# --------------------------------------------------------------------------- max_forwards

def check_forwarded_invite(ctx: Ctx, edge, fwd: SipMsg, sent: SipMsg, mf: int) -> None:
    """What a backend must see of a forwarded INVITE (RFC 3261 16.6)."""
    name = "forwarded INVITE"
    ctx.check(fwd.ruri == sent.ruri, "%s: Request-URI must be unchanged (%s), is %s"
              % (name, sent.ruri, fwd.ruri))
    ctx.check(fwd.get("max-forwards") == str(mf), "%s: Max-Forwards must be %d, is %r"
              % (name, mf, fwd.get("max-forwards")))
    vias = fwd.vias()
    ctx.require(len(vias) >= 2, "%s: must carry the edge's Via on top of the caller's, has %r"
                % (name, vias))
    host, port = via_sent_by(vias[0])
    ctx.check(host == edge.host and (port or 5060) == edge.port,
              "%s: top Via must be the edge's (%s), is %r" % (name, edge.hostport, vias[0]))
    br = via_branch(vias[0]) or ""
    ctx.check(br.startswith("z9hG4bK") and len(br) > 7,
              "%s: the edge's Via branch must start with z9hG4bK, is %r" % (name, br))
    ctx.check(via_branch(vias[1]) == via_branch(sent.vias()[0]),
              "%s: second Via must be the caller's (branch %s), is %r"
              % (name, via_branch(sent.vias()[0]), vias[1]))
    rr = fwd.all("record-route")
    ctx.check(bool(rr), "%s: must carry a Record-Route (record_route = true)" % name)
    if rr:
        top = uri_of(rr[0].split(",")[0])
        ctx.check(points_at(top, edge) and re.search(r";\s*lr\b", top) is not None,
                  "%s: Record-Route must point at the edge (%s) with ;lr, is %r"
                  % (name, edge.hostport, rr[0]))
    for h in ("call-id", "cseq", "from", "to"):
        ctx.check(fwd.get(h) == sent.get(h), "%s: %s must be unchanged (%r), is %r"
                  % (name, h, sent.get(h), fwd.get(h)))
    ctx.check(fwd.body == sent.body and fwd.get("content-length") == str(len(sent.body)),
              "%s: body and Content-Length must be unchanged (%d bytes), got %d bytes with "
              "Content-Length %r" % (name, len(sent.body), len(fwd.body), fwd.get("content-length")))


def case_max_forwards(ctx: Ctx) -> None:
    """Max-Forwards 0 -> 483 (but OPTIONS to the edge itself -> 200); 1 -> forwarded with 0."""
    need_edge(ctx)
    backend = SipPeer(ctx, "backend")
    edge = make_edge(ctx, backends=["sip:%s" % backend.hostport]).start()
    caller = SipPeer(ctx, "caller")
    ruri = "sip:svc@%s" % edge.hostport

    bmark = backend.mark()
    resps = transaction(ctx, caller, edge, build_request("INVITE", ruri, caller, max_forwards=0))
    f = final_of(resps)
    ctx.check(f is not None and f.status == 483,
              "INVITE with Max-Forwards: 0 must get 483, got: %s" % describe(resps))
    assert_not_forwarded(ctx, backend, bmark, "INVITE with Max-Forwards: 0")

    resps = transaction(ctx, caller, edge, build_request(
        "OPTIONS", "sip:%s" % edge.hostport, caller, max_forwards=0))
    f = final_of(resps)
    ctx.check(f is not None and f.status == 200,
              "OPTIONS to the edge itself with Max-Forwards: 0 must get 200, got: %s" % describe(resps))

    bmark = backend.mark()
    cid = new_callid()
    req = build_request("INVITE", ruri, caller, call_id=cid, max_forwards=1, body=SDP)
    caller.send(req, edge.addr)
    fwd = backend.wait_for(is_req("INVITE", cid), 3.0, bmark)
    ctx.require(fwd is not None, "INVITE with Max-Forwards: 1 must be forwarded to the backend "
                "(nothing arrived in 3 s; caller got: %s)" % describe(caller.messages()[-3:]))
    check_forwarded_invite(ctx, edge, fwd, SipMsg(req), 0)

    # the backend declines: the edge relays the 486, ACKs it hop by hop, absorbs the caller's ACK
    backend.send(build_response(fwd, 486, "Busy Here"), fwd.src)
    f = caller.wait_for(is_resp(cid, "INVITE", final=True), 3.0)
    ctx.check(f is not None and f.status == 486, "caller must get the backend's 486, got: %s"
              % (f.first if f else "nothing"))
    ack = backend.wait_for(is_req("ACK", cid), 3.0, bmark)
    ctx.check(ack is not None, "the edge must ACK the backend's 486 (hop-by-hop ACK): none in 3 s")
    if ack is not None:
        ctx.check(via_branch(ack.vias()[0]) == via_branch(fwd.vias()[0]) and len(ack.vias()) == 1,
                  "the edge's ACK for the 486 must have one Via with the INVITE's branch %s, has %r"
                  % (via_branch(fwd.vias()[0]), ack.vias()))
        ctx.check(ack.cseq() == (fwd.cseq()[0], "ACK") and ack.ruri == fwd.ruri,
                  "the edge's ACK for the 486 must have CSeq '%d ACK' and the INVITE's R-URI, has "
                  "%r %r" % (fwd.cseq()[0], ack.get("cseq"), ack.ruri))
    if f is not None:
        a = ["ACK %s SIP/2.0" % ruri, "Via: %s" % SipMsg(req).vias()[0],
             "From: %s" % SipMsg(req).get("from"), "To: %s" % f.get("to"), "Call-ID: %s" % cid,
             "CSeq: 1 ACK", "Max-Forwards: 70", "Content-Length: 0"]
        caller.send(("\r\n".join(a) + "\r\n\r\n").encode(), edge.addr)
        time.sleep(QUIET)
        acks = [m for m in backend.messages(bmark) if m.method == "ACK"]
        ctx.check(len(acks) <= 1, "the caller's ACK for a non-2xx is hop by hop: the edge must "
                  "absorb it, but the backend got %d ACKs" % len(acks))
    edge.stop()


# --------------------------------------------------------------------------- open_relay

def case_open_relay(ctx: Ctx) -> None:
    """Foreign domains from an untrusted source are refused; own addresses and domains served."""
    need_edge(ctx)
    backend = SipPeer(ctx, "backend")
    backend.auto = answer_backend(486, "Busy Here")
    edge = make_edge(ctx, backends=["sip:%s" % backend.hostport], trusted=[],
                     domains=["tandem.test"]).start()
    caller = SipPeer(ctx, "caller")

    for method in ("INVITE", "OPTIONS", "MESSAGE"):
        bmark = backend.mark()
        resps = transaction(ctx, caller, edge, build_request(method, "sip:bob@example.org", caller))
        f = final_of(resps)
        ctx.check(f is not None and 400 <= f.status < 500,
                  "%s sip:bob@example.org from an untrusted source must be refused with a 4xx "
                  "(403), got: %s" % (method, describe(resps)))
        assert_not_forwarded(ctx, backend, bmark, "%s to a foreign domain" % method)

    # an in-dialog-looking request (To tag) with no Route towards a foreign domain: no relay
    bmark = backend.mark()
    resps = transaction(ctx, caller, edge, build_request(
        "BYE", "sip:bob@example.org", caller, to_tag="spoofed", cseq=2))
    f = final_of(resps)
    ctx.check(f is not None and 400 <= f.status < 500,
              "BYE with a To tag but no Route, for sip:bob@example.org, must be refused with a 4xx, "
              "got: %s" % describe(resps))
    assert_not_forwarded(ctx, backend, bmark, "in-dialog BYE without Route to a foreign domain")

    for ruri in ("sip:svc@%s" % edge.hostport, "sip:alice@tandem.test"):
        bmark = backend.mark()
        cid = new_callid()
        resps = transaction(ctx, caller, edge, build_request("INVITE", ruri, caller, call_id=cid))
        fwd = backend.wait_for(is_req("INVITE", cid), 1.0, bmark)
        ctx.check(fwd is not None and fwd.ruri == ruri,
                  "INVITE %s (ours) must be dispatched to the backend with its R-URI unchanged; "
                  "backend got %s, caller got: %s"
                  % (ruri, fwd.first if fwd else "nothing", describe(resps)))
    edge.stop()


# --------------------------------------------------------------------------- record_route

def case_record_route(ctx: Ctx) -> None:
    """A call end to end by hand: Record-Route, Via handling, ACK/BYE loose-routed to the backend."""
    need_edge(ctx)
    backend = SipPeer(ctx, "backend")
    edge = make_edge(ctx, backends=["sip:%s" % backend.hostport]).start()
    caller = SipPeer(ctx, "caller")
    cid = new_callid()
    ruri = "sip:svc@%s" % edge.hostport
    req = build_request("INVITE", ruri, caller, call_id=cid, body=SDP)
    sent = SipMsg(req)
    caller.send(req, edge.addr)
    fwd = backend.wait_for(is_req("INVITE", cid), 3.0)
    ctx.require(fwd is not None, "INVITE must reach the backend within 3 s")
    check_forwarded_invite(ctx, edge, fwd, sent, 69)

    contact = "sip:b@%s" % backend.hostport
    backend.send(build_response(fwd, 180, "Ringing", copy_rr=True), fwd.src)
    backend.send(build_response(fwd, 200, "OK", copy_rr=True, body=SDP,
                                extra=["Contact: <%s>" % contact]), fwd.src)
    ok = caller.wait_for(is_resp(cid, "INVITE", final=True), 3.0)
    ctx.require(ok is not None and ok.status == 200, "caller must get the 200 OK, got: %s"
                % (ok.first if ok else "nothing"))
    got = [m.status for m in caller.messages() if m.is_response and m.get("call-id") == cid]
    ctx.check(180 in got and got.index(180) < got.index(200),
              "caller must get 180 before 200, got %s" % got)
    ctx.check([via_branch(v) for v in ok.vias()] == [via_branch(sent.vias()[0])],
              "the 200 relayed to the caller must carry only the caller's Via, has %r" % ok.vias())
    rr = [x.strip() for v in ok.all("record-route") for x in v.split(",")]
    ctx.check(bool(rr) and points_at(uri_of(rr[0]), edge),
              "the 200 must carry the edge's Record-Route, has %r" % rr)
    ctx.check(ok.body == SDP, "the 200's SDP must reach the caller unchanged")
    # the caller's route set is the Record-Route list reversed (RFC 3261 12.1.2)
    route = ["Route: %s" % r for r in reversed(rr)]
    to = ok.get("to")

    def in_dialog(method: str, cseq: int) -> bytes:
        h = ["%s %s SIP/2.0" % (method, contact),
             "Via: SIP/2.0/UDP %s;branch=%s;rport" % (caller.hostport, new_branch())] + route + [
             "From: %s" % sent.get("from"), "To: %s" % to, "Call-ID: %s" % cid,
             "CSeq: %d %s" % (cseq, method), "Max-Forwards: 70", "Content-Length: 0"]
        return ("\r\n".join(h) + "\r\n\r\n").encode()

    for method, cseq in (("ACK", 1), ("BYE", 2)):
        bmark = backend.mark()
        caller.send(in_dialog(method, cseq), edge.addr)
        m = backend.wait_for(is_req(method, cid), 3.0, bmark)
        ctx.require(m is not None, "%s (Route: %s) must be loose-routed to the backend within 3 s"
                    % (method, rr))
        ctx.check(m.ruri == contact, "%s at the backend must keep R-URI %s, has %s"
                  % (method, contact, m.ruri))
        left = [r for v in m.all("route") for r in v.split(",") if points_at(uri_of(r), edge)]
        ctx.check(not left, "%s at the backend: the edge must remove its own Route, left %r"
                  % (method, m.all("route")))
        ctx.check(m.get("max-forwards") == "69", "%s at the backend: Max-Forwards must be 69, is %r"
                  % (method, m.get("max-forwards")))
        vias = m.vias()
        ctx.check(len(vias) == 2 and via_sent_by(vias[0])[1] == edge.port,
                  "%s at the backend: Via must be the edge's over the caller's, is %r" % (method, vias))
        if method == "BYE":
            backend.send(build_response(m, 200, "OK", to_tag=None), m.src)
            r = caller.wait_for(is_resp(cid, "BYE", final=True), 3.0)
            ctx.check(r is not None and r.status == 200, "caller must get the 200 for its BYE, got %s"
                      % (r.first if r else "nothing"))
    time.sleep(QUIET)
    strays = [m.first for m in caller.messages() if m.is_response and m.cseq()[1] == "ACK"]
    ctx.check(not strays, "nobody answers an ACK, but the caller got %r" % strays)
    edge.stop()


# --------------------------------------------------------------------------- torture

TORTURE_DIR = Path(__file__).resolve().parents[3] / "shared" / "testdata" / "rfc4475"


def case_torture(ctx: Ctx) -> None:
    """The RFC 4475 torture messages, byte-exact, one by one: after each the edge must still
    answer an OPTIONS within 2 s (no crash, no hang, no blocking lookup of the example.com
    hosts in their Vias), and none of them may reach the backend (all are addressed to foreign
    domains from an untrusted source, or invalid)."""
    need_edge(ctx)
    files = sorted(TORTURE_DIR.glob("*.dat"))
    if not files:
        raise Skipped("no RFC 4475 messages in %s" % TORTURE_DIR)
    backend = SipPeer(ctx, "backend")
    edge = make_edge(ctx, backends=["sip:%s" % backend.hostport], trusted=[]).start()
    sender = SipPeer(ctx, "torture")
    for f in files:
        data = f.read_bytes()
        sender.send(data, edge.addr)
        try:
            edge.wait_ready(timeout=2.0)
        except Failed as e:
            ctx.require(False, "after %s (%d bytes, first line %r) the edge stopped answering: %s"
                        % (f.name, len(data), data.split(b"\r\n", 1)[0][:80], e))
    time.sleep(QUIET)
    got = backend.messages()
    ctx.check(not got, "no torture message may reach the backend, it got: %s"
              % "; ".join(m.brief() for m in got[:5]))
    print("  %d torture messages sent; edge still answering" % len(files))
    edge.stop()



# --------------------------------------------------------------------------- failover_exhausted

def count_invites(peer: SipPeer, cid: str) -> int:
    """INVITE transactions (distinct top-Via branches) a backend saw for a call."""
    return len({via_branch(m.vias()[0]) for m in peer.messages() if m.method == "INVITE"
                and m.get("call-id") == cid})


def case_failover_exhausted(ctx: Ctx) -> None:
    """Every backend fails: the caller gets a final error, each backend is tried once."""
    need_edge(ctx)
    a, b = SipPeer(ctx, "backendA"), SipPeer(ctx, "backendB")
    a.auto = b.auto = answer_backend(503, "Service Unavailable")
    edge = make_edge(ctx, backends=["sip:%s" % a.hostport, "sip:%s" % b.hostport],
                     fr_timer=1000).start()
    caller = SipPeer(ctx, "caller")

    cid = new_callid()
    resps = transaction(ctx, caller, edge, build_request("INVITE", "sip:svc@%s" % edge.hostport,
                                                         caller, call_id=cid), timeout=5.0)
    f = final_of(resps)
    ctx.check(f is not None and f.status in (500, 503),
              "both backends answer 503: caller must get 503 (or 500), got: %s" % describe(resps))
    ctx.check(count_invites(a, cid) == 1 and count_invites(b, cid) == 1,
              "each backend must be tried exactly once, A got %d INVITE transactions, B %d"
              % (count_invites(a, cid), count_invites(b, cid)))
    time.sleep(QUIET)
    for peer in (a, b):
        acks = [m for m in peer.messages() if m.method == "ACK" and m.get("call-id") == cid]
        ctx.check(len(acks) >= 1, "backend %s's 503 must be ACKed by the edge" % peer.name)

    a.auto = b.auto = None  # now both stay silent
    cid = new_callid()
    t0 = time.monotonic()
    resps = transaction(ctx, caller, edge, build_request("INVITE", "sip:svc@%s" % edge.hostport,
                                                         caller, call_id=cid), timeout=8.0)
    took = time.monotonic() - t0
    f = final_of(resps)
    ctx.check(f is not None and f.status in (408, 500, 503),
              "both backends silent: caller must get 408 (or 503/500), got: %s" % describe(resps))
    if f is not None:
        ctx.check(1.5 <= took <= 5.0, "both backends silent with fr_timer = 1 s: the final "
                  "response must come after about 2 s (one fr_timer per backend), came after %.1f s"
                  % took)
    ctx.check(count_invites(a, cid) == 1 and count_invites(b, cid) == 1,
              "each silent backend must be tried once, A got %d INVITE transactions, B %d"
              % (count_invites(a, cid), count_invites(b, cid)))
    edge.stop()


# --------------------------------------------------------------------------- inv_timeout

def case_inv_timeout(ctx: Ctx) -> None:
    """A backend rings for ever: after fr_inv_timer the edge CANCELs it and the caller gets 408."""
    need_edge(ctx)
    backend = SipPeer(ctx, "backend")
    edge = make_edge(ctx, backends=["sip:%s" % backend.hostport], fr_inv_timer=1500).start()
    caller = SipPeer(ctx, "caller")
    cid = new_callid()
    req = build_request("INVITE", "sip:svc@%s" % edge.hostport, caller, call_id=cid)
    caller.send(req, edge.addr)
    fwd = backend.wait_for(is_req("INVITE", cid), 3.0)
    ctx.require(fwd is not None, "INVITE must reach the backend")
    backend.send(build_response(fwd, 180, "Ringing"), fwd.src)
    t_ring = time.monotonic()
    ring = caller.wait_for(lambda m: is_resp(cid, "INVITE")(m) and m.status == 180, 2.0)
    ctx.check(ring is not None, "caller must get the 180")
    cancel = backend.wait_for(is_req("CANCEL", cid), 5.0)
    if cancel is None:
        f = caller.wait_for(is_resp(cid, "INVITE", final=True), 0.1)
        ctx.require(False, "fr_inv_timer = 1.5 s: the edge must CANCEL the ringing backend, no "
                    "CANCEL within 5 s (the caller got %s): the backend leg is left ringing"
                    % (f.first if f else "no final response"))
    after = time.monotonic() - t_ring
    ctx.check(1.0 <= after <= 3.0, "the CANCEL must come fr_inv_timer (1.5 s) after the 180, came "
              "after %.1f s" % after)
    ctx.check(via_branch(cancel.vias()[0]) == via_branch(fwd.vias()[0])
              and cancel.cseq() == (fwd.cseq()[0], "CANCEL") and cancel.ruri == fwd.ruri,
              "the CANCEL must match the INVITE (branch %s, CSeq '%d CANCEL', R-URI), is %s / %r / %r"
              % (via_branch(fwd.vias()[0]), fwd.cseq()[0], cancel.ruri, cancel.vias(),
                 cancel.get("cseq")))
    backend.send(build_response(cancel, 200, "OK"), cancel.src)
    backend.send(build_response(fwd, 487, "Request Terminated"), fwd.src)
    f = caller.wait_for(is_resp(cid, "INVITE", final=True), 3.0)
    ctx.check(f is not None and f.status in (408, 480),
              "the caller (who did not cancel) must get 408 (or 480), got: %s"
              % (f.first if f else "nothing"))
    if f is not None:
        m0 = SipMsg(req)
        ack = ["ACK %s SIP/2.0" % m0.ruri, "Via: %s" % m0.vias()[0], "From: %s" % m0.get("from"),
               "To: %s" % f.get("to"), "Call-ID: %s" % cid, "CSeq: 1 ACK", "Max-Forwards: 70",
               "Content-Length: 0"]
        caller.send(("\r\n".join(ack) + "\r\n\r\n").encode(), edge.addr)
    time.sleep(QUIET)
    acks = [m for m in backend.messages() if m.method == "ACK" and m.get("call-id") == cid]
    ctx.check(len(acks) >= 1, "the edge must ACK the backend's 487")
    edge.stop()


# --------------------------------------------------------------------------- retransmissions

def case_retransmissions(ctx: Ctx) -> None:
    """A retransmitted INVITE is absorbed (the latest provisional is re-sent, nothing is
    forwarded twice); a retransmitted 200 OK reaches the caller (its ACK may have been lost)."""
    need_edge(ctx)
    backend = SipPeer(ctx, "backend")
    edge = make_edge(ctx, backends=["sip:%s" % backend.hostport]).start()
    caller = SipPeer(ctx, "caller")
    cid = new_callid()
    req = build_request("INVITE", "sip:svc@%s" % edge.hostport, caller, call_id=cid, body=SDP)
    caller.send(req, edge.addr)
    fwd = backend.wait_for(is_req("INVITE", cid), 3.0)
    ctx.require(fwd is not None, "INVITE must reach the backend")
    backend.send(build_response(fwd, 180, "Ringing", copy_rr=True), fwd.src)
    ring = caller.wait_for(lambda m: is_resp(cid, "INVITE")(m) and m.status == 180, 2.0)
    ctx.require(ring is not None, "caller must get the 180")

    bmark, cmark = backend.mark(), caller.mark()
    caller.send(req, edge.addr)  # same branch: a retransmission
    again = caller.wait_for(is_resp(cid, "INVITE"), 1.0, cmark)
    ctx.check(again is not None and again.status == 180,
              "a retransmitted INVITE must get the latest provisional (180) again, got: %s"
              % (again.first if again else "nothing"))
    time.sleep(QUIET)
    dup = [m for m in backend.messages(bmark) if m.method == "INVITE"]
    ctx.check(not dup, "a retransmitted INVITE must not be forwarded again once the backend "
              "answered 180 (backend got %d INVITEs)" % len(dup))

    contact = "sip:b@%s" % backend.hostport
    ok = build_response(fwd, 200, "OK", copy_rr=True, body=SDP, extra=["Contact: <%s>" % contact])
    cmark = caller.mark()
    backend.send(ok, fwd.src)
    first = caller.wait_for(is_resp(cid, "INVITE", final=True), 2.0, cmark)
    ctx.require(first is not None and first.status == 200, "caller must get the 200")
    backend.send(ok, fwd.src)  # the 200 again, as a UAS does until it sees the ACK
    second = caller.wait_for(is_resp(cid, "INVITE", final=True), 2.0, first.index)
    ctx.check(second is not None and second.status == 200,
              "a retransmitted 200 OK must be forwarded to the caller (else a lost ACK kills the "
              "call), got: %s" % (second.first if second else "nothing"))
    edge.stop()


# --------------------------------------------------------------------------- hash_affinity

def case_hash_affinity(ctx: Ctx) -> None:
    """algorithm = 0 (hash Call-ID): calls spread over both backends; same Call-ID, same one."""
    need_edge(ctx)
    a, b = SipPeer(ctx, "backendA"), SipPeer(ctx, "backendB")
    a.auto = b.auto = answer_backend(486, "Busy Here")
    edge = make_edge(ctx, backends=["sip:%s" % a.hostport, "sip:%s" % b.hostport],
                     algorithm=0).start()
    caller = SipPeer(ctx, "caller")
    ruri = "sip:svc@%s" % edge.hostport
    cids = [new_callid() for _ in range(40)]
    for cid in cids:
        transaction(ctx, caller, edge, build_request("INVITE", ruri, caller, call_id=cid), 2.0)
    time.sleep(QUIET)
    where = {}
    for peer in (a, b):
        for m in peer.messages():
            if m.method == "INVITE":
                where.setdefault(m.get("call-id"), set()).add(peer.name)
    na = sum(1 for c in cids if where.get(c) == {"backendA"})
    nb = sum(1 for c in cids if where.get(c) == {"backendB"})
    ctx.check(na + nb == len(cids), "each of %d calls must reach exactly one backend: A %d, B %d"
              % (len(cids), na, nb))
    ctx.check(na > 0 and nb > 0, "hashing 40 Call-IDs must use both backends: A %d, B %d"
              % (na, nb))
    moved = []
    for i, cid in enumerate(cids[:10]):
        before = where.get(cid)
        ma, mb = a.mark(), b.mark()
        transaction(ctx, caller, edge, build_request("INVITE", ruri, caller, call_id=cid, cseq=2,
                                                     from_tag="itfrom%d" % i), 2.0)
        now = {p.name for p, mk in ((a, ma), (b, mb))
               if any(m.method == "INVITE" for m in p.messages(mk))}
        if now != before:
            moved.append((cid, before, now))
    ctx.check(not moved, "a new INVITE with the same Call-ID must go to the same backend: %r"
              % moved[:3])
    edge.stop()


# --------------------------------------------------------------------------- sighup_reload

def case_sighup_reload(ctx: Ctx) -> None:
    """SIGHUP reloads the dispatcher list: new calls go to the new backends."""
    need_edge(ctx)
    if ctx.args.impl != "tandem":
        raise Skipped("Kamailio reloads through RPC, not SIGHUP")
    a, b = SipPeer(ctx, "backendA"), SipPeer(ctx, "backendB")
    a.auto = b.auto = answer_backend(486, "Busy Here")
    edge = make_edge(ctx, backends=["sip:%s" % a.hostport]).start()
    caller = SipPeer(ctx, "caller")
    ruri = "sip:svc@%s" % edge.hostport

    def call() -> set:
        ma, mb = a.mark(), b.mark()
        cid = new_callid()
        resps = transaction(ctx, caller, edge, build_request("INVITE", ruri, caller, call_id=cid))
        return {p.name for p, mk in ((a, ma), (b, mb))
                if any(m.method == "INVITE" for m in p.messages(mk))} or {describe(resps)}

    got = call()
    ctx.check(got == {"backendA"}, "before the reload calls go to backend A, went to %s" % got)
    edge.ds_list.write_text("# reloaded\n1 sip:%s 0 0\n" % b.hostport)
    edge.proc.p.send_signal(signal.SIGHUP)
    time.sleep(0.5)
    ctx.require(edge.proc.alive(), "the edge must survive SIGHUP")
    got = [call() for _ in range(4)]
    ctx.check(all(g == {"backendB"} for g in got),
              "after the list names only B and SIGHUP, calls must go to B, went to %s" % got)
    edge.stop()


# --------------------------------------------------------------------------- bad_config

def case_bad_config(ctx: Ctx) -> None:
    """A bad config file stops the edge at once with FILE:LINE; a busy port stops it too."""
    need_edge(ctx)
    if ctx.args.impl != "tandem":
        raise Skipped("tandem's own config format")
    from harness import Proc, free_port
    import socket
    port = free_port()
    ds = ctx.dir / "dispatcher.list"
    ds.write_text("1 sip:127.0.0.1:9 0 0\n")

    def config(lines: list[str]) -> str:
        return "\n".join(lines) + "\n"

    good = ['[edge]', 'listen = ["udp:127.0.0.1:%d"]' % port, 'trusted = ["127.0.0.0/8"]',
            '[dispatcher]', 'list_file = "%s"' % ds, 'set = 1', 'algorithm = 4']
    cases = [
        ("toml_syntax", good[:3] + ['record_route = tru e'] + good[3:], 4),
        ("wrong_type", good[:6] + ['algorithm = "four"'], 7),
        ("bad_listen", ['[edge]', 'listen = ["udp:999.1.2.3:%d"]' % port] + good[2:], 2),
    ]
    for name, lines, line in cases:
        path = ctx.dir / ("%s.toml" % name)
        path.write_text(config(lines))
        p = Proc(ctx, name, [ctx.args.tandem, "edge", "-c", str(path)])
        rc = p.wait(5.0)
        err = p.stderr_path.read_text(errors="replace") if p.stderr_path.exists() else ""
        ctx.check(rc is not None and rc != 0, "%s: the edge must exit non-zero within 5 s, rc=%s"
                  % (name, rc if rc is not None else "still running"))
        ctx.check("%s:%d" % (path, line) in err or "%s:%d" % (path.name, line) in err,
                  "%s: stderr must name %s:%d, it says: %r" % (name, path.name, line, err[-300:]))
        p.stop(signal.SIGKILL, 1.0)

    # the port is taken: the edge must say so and exit, not run deaf
    blocker = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    blocker.bind(("127.0.0.1", port))
    ctx.closers.append(blocker.close)
    path = ctx.dir / "busy.toml"
    path.write_text(config(good))
    p = Proc(ctx, "busy_port", [ctx.args.tandem, "edge", "-c", str(path)])
    rc = p.wait(5.0)
    ctx.check(rc is not None and rc != 0, "listen port already in use: the edge must exit non-zero "
              "within 5 s, rc=%s" % (rc if rc is not None else "still running"))
    p.stop(signal.SIGKILL, 1.0)


# --------------------------------------------------------------------------- cancel_early

def case_cancel_early(ctx: Ctx) -> None:
    """The caller hangs up before the backend sent anything: 200 to the CANCEL at once, no CANCEL
    to the backend before its first provisional (RFC 3261 9.1), then the leg is CANCELled and
    the caller gets 487."""
    need_edge(ctx)
    backend = SipPeer(ctx, "backend")
    edge = make_edge(ctx, backends=["sip:%s" % backend.hostport]).start()
    caller = SipPeer(ctx, "caller")
    cid = new_callid()
    ruri = "sip:svc@%s" % edge.hostport
    req = build_request("INVITE", ruri, caller, call_id=cid)
    m0 = SipMsg(req)
    caller.send(req, edge.addr)
    fwd = backend.wait_for(is_req("INVITE", cid), 3.0)
    ctx.require(fwd is not None, "INVITE must reach the backend")
    cancel = ["CANCEL %s SIP/2.0" % ruri, "Via: %s" % m0.vias()[0], "From: %s" % m0.get("from"),
              "To: %s" % m0.get("to"), "Call-ID: %s" % cid, "CSeq: 1 CANCEL", "Max-Forwards: 70",
              "Content-Length: 0"]
    caller.send(("\r\n".join(cancel) + "\r\n\r\n").encode(), edge.addr)
    r = caller.wait_for(is_resp(cid, "CANCEL", final=True), 1.0)
    ctx.check(r is not None and r.status == 200, "the CANCEL must be answered 200 at once, got %s"
              % (r.first if r else "nothing in 1 s"))
    early = backend.wait_for(is_req("CANCEL", cid), 0.4)
    ctx.check(early is None, "no CANCEL may reach the backend before it sent a provisional "
              "response (RFC 3261 9.1)")
    backend.send(build_response(fwd, 180, "Ringing"), fwd.src)
    bc = early or backend.wait_for(is_req("CANCEL", cid), 3.0)
    ctx.require(bc is not None, "once the backend rings, the edge must CANCEL it (none in 3 s)")
    backend.send(build_response(bc, 200, "OK"), bc.src)
    backend.send(build_response(fwd, 487, "Request Terminated"), fwd.src)
    f = caller.wait_for(is_resp(cid, "INVITE", final=True), 3.0)
    ctx.check(f is not None and f.status == 487, "the caller must get 487 for its INVITE, got %s"
              % (f.first if f else "nothing"))
    time.sleep(QUIET)
    acks = [m for m in backend.messages() if m.method == "ACK" and m.get("call-id") == cid]
    ctx.check(len(acks) >= 1, "the edge must ACK the backend's 487")
    edge.stop()


# --------------------------------------------------------------------------- callee_bye

def case_callee_bye(ctx: Ctx) -> None:
    """The backend hangs up: its BYE follows the Record-Route back through the edge to the
    caller's Contact, and the caller's 200 goes back to the backend."""
    need_edge(ctx)
    backend = SipPeer(ctx, "backend")
    edge = make_edge(ctx, backends=["sip:%s" % backend.hostport]).start()
    caller = SipPeer(ctx, "caller")
    cid = new_callid()
    req = build_request("INVITE", "sip:svc@%s" % edge.hostport, caller, call_id=cid, body=SDP)
    sent = SipMsg(req)
    caller.send(req, edge.addr)
    fwd = backend.wait_for(is_req("INVITE", cid), 3.0)
    ctx.require(fwd is not None, "INVITE must reach the backend")
    contact = "sip:b@%s" % backend.hostport
    backend.send(build_response(fwd, 200, "OK", copy_rr=True, body=SDP, to_tag="cb1",
                                extra=["Contact: <%s>" % contact]), fwd.src)
    ok = caller.wait_for(is_resp(cid, "INVITE", final=True), 3.0)
    ctx.require(ok is not None and ok.status == 200, "caller must get the 200")
    rr = [x.strip() for v in ok.all("record-route") for x in v.split(",")]
    ack = ["ACK %s SIP/2.0" % contact,
           "Via: SIP/2.0/UDP %s;branch=%s;rport" % (caller.hostport, new_branch())]
    ack += ["Route: %s" % r for r in reversed(rr)]
    ack += ["From: %s" % sent.get("from"), "To: %s" % ok.get("to"), "Call-ID: %s" % cid,
            "CSeq: 1 ACK", "Max-Forwards: 70", "Content-Length: 0"]
    caller.send(("\r\n".join(ack) + "\r\n\r\n").encode(), edge.addr)
    ctx.require(backend.wait_for(is_req("ACK", cid), 3.0) is not None, "ACK must reach the backend")

    # the callee's route set is the Record-Route of the INVITE as it arrived, in order
    brr = [x.strip() for v in fwd.all("record-route") for x in v.split(",")]
    ctx.require(bool(brr), "the forwarded INVITE must carry a Record-Route")
    caller_contact = uri_of(sent.get("contact"))
    bye = ["BYE %s SIP/2.0" % caller_contact,
           "Via: SIP/2.0/UDP %s;branch=%s;rport" % (backend.hostport, new_branch())]
    bye += ["Route: %s" % r for r in brr]
    bye += ["From: %s" % ok.get("to"), "To: %s" % sent.get("from"), "Call-ID: %s" % cid,
            "CSeq: 1 BYE", "Max-Forwards: 70", "Content-Length: 0"]
    bmark = backend.mark()
    backend.send(("\r\n".join(bye) + "\r\n\r\n").encode(), edge.addr)
    got = caller.wait_for(is_req("BYE", cid), 3.0)
    ctx.require(got is not None, "the backend's BYE (Route: %s) must reach the caller within 3 s"
                % brr)
    ctx.check(got.ruri == caller_contact, "BYE at the caller: R-URI must be its Contact %s, is %s"
              % (caller_contact, got.ruri))
    left = [r for v in got.all("route") for r in v.split(",") if points_at(uri_of(r), edge)]
    ctx.check(not left, "BYE at the caller: the edge must remove its own Route, left %r"
              % got.all("route"))
    vias = got.vias()
    ctx.check(len(vias) == 2 and via_sent_by(vias[0])[1] == edge.port,
              "BYE at the caller: Via must be the edge's over the backend's, is %r" % vias)
    caller.send(build_response(got, 200, "OK", to_tag=None), got.src)
    r = backend.wait_for(is_resp(cid, "BYE", final=True), 3.0, bmark)
    ctx.check(r is not None and r.status == 200, "the backend must get the 200 for its BYE, got %s"
              % (r.first if r else "nothing"))
    edge.stop()


# --------------------------------------------------------------------------- nat_rport

def case_nat_rport(ctx: Ctx) -> None:
    """A phone behind NAT: its Via names a private address with ;rport. Responses (the edge's own
    and relayed ones) must go back to where the packet came from (RFC 3581), and the backend
    sees received/rport on that Via."""
    need_edge(ctx)
    backend = SipPeer(ctx, "backend")
    edge = make_edge(ctx, backends=["sip:%s" % backend.hostport]).start()
    caller = SipPeer(ctx, "caller")
    cid = new_callid()
    br = new_branch()
    req = ("INVITE sip:svc@%s SIP/2.0\r\n"
           "Via: SIP/2.0/UDP 10.0.0.5:5060;branch=%s;rport\r\n"
           "From: <sip:phone@10.0.0.5>;tag=nat1\r\nTo: <sip:svc@%s>\r\nCall-ID: %s\r\n"
           "CSeq: 1 INVITE\r\nContact: <sip:phone@10.0.0.5:5060>\r\nMax-Forwards: 70\r\n"
           "Content-Length: 0\r\n\r\n" % (edge.hostport, br, edge.hostport, cid)).encode()
    caller.send(req, edge.addr)
    fwd = backend.wait_for(is_req("INVITE", cid), 3.0)
    ctx.require(fwd is not None, "INVITE must reach the backend")
    v = fwd.vias()[1] if len(fwd.vias()) > 1 else ""
    ctx.check(re.search(r";\s*received=127\.0\.0\.1", v) is not None
              and re.search(r";\s*rport=%d\b" % caller.port, v) is not None,
              "the phone's Via at the backend must carry received=127.0.0.1;rport=%d, is %r"
              % (caller.port, v))
    backend.send(build_response(fwd, 486, "Busy Here"), fwd.src)
    f = caller.wait_for(is_resp(cid, "INVITE", final=True), 3.0)
    got = [m.first for m in caller.messages()]
    ctx.check(f is not None and f.status == 486, "responses must come back to the packet's source "
              "port %d (rport), the caller got: %s" % (caller.port, got or "nothing"))
    edge.stop()


# --------------------------------------------------------------------------- reply_from_other_port

def case_reply_from_other_port(ctx: Ctx) -> None:
    """A backend that answers from another socket than the one the INVITE reached (several
    media servers do): responses match by Via branch, not by source address."""
    need_edge(ctx)
    backend = SipPeer(ctx, "backend")
    other = SipPeer(ctx, "backend_other_socket")
    edge = make_edge(ctx, backends=["sip:%s" % backend.hostport]).start()
    caller = SipPeer(ctx, "caller")
    cid = new_callid()
    caller.send(build_request("INVITE", "sip:svc@%s" % edge.hostport, caller, call_id=cid),
                edge.addr)
    fwd = backend.wait_for(is_req("INVITE", cid), 3.0)
    ctx.require(fwd is not None, "INVITE must reach the backend")
    other.send(build_response(fwd, 486, "Busy Here"), fwd.src)
    f = caller.wait_for(is_resp(cid, "INVITE", final=True), 3.0)
    ctx.check(f is not None and f.status == 486, "a 486 sent from another port of the backend must "
              "reach the caller, got %s" % (f.first if f else "nothing"))
    edge.stop()


# --------------------------------------------------------------------------- tcp_framing

class TcpConn:
    """A TCP client that splits the byte stream into SIP messages by Content-Length."""

    def __init__(self, ctx: Ctx, edge):
        import socket
        self.s = socket.create_connection(edge.addr, timeout=3.0)
        ctx.closers.append(self.s.close)
        self.buf = b""
        self.closed = False
        h, p = self.s.getsockname()[:2]
        self.hostport = "%s:%d" % (h, p)

    def send(self, data: bytes) -> None:
        self.s.sendall(data)

    def recv_msg(self, timeout: float) -> SipMsg | None:
        import socket
        deadline = time.monotonic() + timeout
        while True:
            while self.buf.startswith(b"\r\n"):
                self.buf = self.buf[2:]  # keep-alive pongs
            end = self.buf.find(b"\r\n\r\n")
            if end >= 0:
                head = SipMsg(self.buf[:end + 4])
                n = int(head.get("content-length") or 0)
                if len(self.buf) >= end + 4 + n:
                    raw, self.buf = self.buf[:end + 4 + n], self.buf[end + 4 + n:]
                    return SipMsg(raw)
            left = deadline - time.monotonic()
            if left <= 0 or self.closed:
                return None
            self.s.settimeout(left)
            try:
                d = self.s.recv(65536)
            except socket.timeout:
                return None
            except OSError:
                d = b""
            if not d:
                self.closed = True
                return None
            self.buf += d


def tcp_options(edge, conn: TcpConn, cid: str) -> bytes:
    return ("OPTIONS sip:%s;transport=tcp SIP/2.0\r\n"
            "Via: SIP/2.0/TCP %s;branch=%s;rport\r\nFrom: <sip:it@%s>;tag=t1\r\n"
            "To: <sip:%s>\r\nCall-ID: %s\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n"
            "Content-Length: 0\r\n\r\n" % (edge.hostport, conn.hostport, new_branch(),
                                           conn.hostport, edge.hostport, cid)).encode()


def case_tcp_framing(ctx: Ctx) -> None:
    """SIP over TCP is a byte stream: a message in pieces, two in one segment, a keep-alive,
    and a message without Content-Length (400 or closed connection, never a hang)."""
    need_edge(ctx)
    backend = SipPeer(ctx, "backend")
    edge = make_edge(ctx, backends=["sip:%s" % backend.hostport], tcp=True).start()
    c = TcpConn(ctx, edge)

    cid = new_callid()
    data = tcp_options(edge, c, cid)
    for i in range(0, len(data), 37):
        c.send(data[i:i + 37])
        time.sleep(0.02)
    r = c.recv_msg(2.0)
    ctx.check(r is not None and r.status == 200 and r.get("call-id") == cid,
              "an OPTIONS sent in 37-byte pieces must be answered 200, got %s"
              % (r.first if r else "nothing"))

    c.send(b"\r\n\r\n")  # RFC 5626 keep-alive: at most a CRLF back, never an error
    cids = [new_callid(), new_callid()]
    c.send(tcp_options(edge, c, cids[0]) + tcp_options(edge, c, cids[1]))
    got = [c.recv_msg(2.0) for _ in range(2)]
    ctx.check([g.get("call-id") if g else None for g in got] == cids
              and all(g.status == 200 for g in got),
              "two OPTIONS in one TCP segment (after a CRLF keep-alive) must both be answered 200, "
              "in order, got %s" % [g.first if g else None for g in got])

    c2 = TcpConn(ctx, edge)
    cid = new_callid()
    nocl = tcp_options(edge, c2, cid).replace(b"Content-Length: 0\r\n", b"")
    c2.send(nocl)
    r = c2.recv_msg(2.0)
    ctx.check((r is not None and r.status == 400) or (r is None and c2.closed) or r is None,
              "a TCP request without Content-Length must get 400 or nothing (or a closed "
              "connection), got %s" % (r.first if r else "nothing"))
    print("  TCP request without Content-Length: %s" % (
        r.first if r else "connection closed" if c2.closed else "no answer in 2 s"))

    c3 = TcpConn(ctx, edge)
    c3.send(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(range(256)) * 4)
    c3.recv_msg(1.0)
    cid = new_callid()
    c4 = TcpConn(ctx, edge)
    c4.send(tcp_options(edge, c4, cid))
    r = c4.recv_msg(2.0)
    ctx.check(r is not None and r.status == 200, "after junk on another TCP connection, a new "
              "connection must still be served, got %s" % (r.first if r else "nothing"))
    edge.wait_ready(timeout=2.0)
    edge.stop()


CASES = {
    "nat_rport": case_nat_rport,
    "reply_from_other_port": case_reply_from_other_port,
    "tcp_framing": case_tcp_framing,
    "cancel_early": case_cancel_early,
    "callee_bye": case_callee_bye,
    "torture": case_torture,
    "failover_exhausted": case_failover_exhausted,
    "inv_timeout": case_inv_timeout,
    "retransmissions": case_retransmissions,
    "hash_affinity": case_hash_affinity,
    "sighup_reload": case_sighup_reload,
    "bad_config": case_bad_config,
    "malformed": case_malformed,
    "max_forwards": case_max_forwards,
    "open_relay": case_open_relay,
    "record_route": case_record_route,
}

if __name__ == "__main__":
    main(CASES, __doc__)
