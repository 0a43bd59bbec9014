#!/usr/bin/env python3
# SIPp-driven integration tests of `tandem edge`: calls, transports, CANCEL, failover, ordering.
"""Each --case starts SIPp backends, the edge (dispatching to them) and a SIPp caller.

    test_calls.py --tandem build/tandem --case calls_udp [-v] [--keep]
    test_calls.py --direct --case cancel          # caller straight to a backend: checks the scenarios
    test_calls.py --impl kamailio --case all      # Kamailio as the edge: checks the tests themselves
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import (Ctx, Failed, SipPeer, Skipped, SippUAC, SippUAS, check_backend,  # noqa: E402
                     check_caller, finish_all, hostport, ipv6_available, main, make_edge)


def scaled(ctx: Ctx, n: int) -> int:
    return max(10, int(n * ctx.args.scale))


def start_edge(ctx: Ctx, backends: list[str], direct_to, host: str = "127.0.0.1", **kw):
    """Start the edge in front of backends; returns (edge or None, caller's remote host:port)."""
    if ctx.args.direct:
        return None, hostport(host, direct_to.port)
    edge = make_edge(ctx, host=host, backends=backends, **kw).start()
    return edge, edge.hostport


def check_acks(ctx: Ctx, b: SippUAS, c: dict) -> None:
    """Every answered call's ACK reached the backend (the ACK goes caller -> edge -> backend).
    An ACK that arrives after the BYE ended the call is counted by SIPp as a dead-call message."""
    acks = b.msg_count("ACK_Recv")
    ctx.check(acks + c["dead"] >= c["incoming"], "backend %s must get the ACK of every answered "
              "call: %d ACKs (+%d late messages) for %d calls" % (b.name, acks, c["dead"],
                                                                 c["incoming"]))


def check_share(ctx: Ctx, name: str, got: int, total: int, lo: float, hi: float) -> None:
    ctx.check(lo * total <= got <= hi * total,
              "round-robin: %s must get %d%%-%d%% of %d calls, got %d"
              % (name, lo * 100, hi * 100, total, got))


def run_answer_calls(ctx: Ctx, n: int, rate: int, limit: int, timeout_s: int, host: str = "127.0.0.1",
                     caller_transport: str = "u1", b1_transport: str = "u1",
                     b2_transport: str = "u1", tcp: bool = False) -> None:
    b1 = SippUAS(ctx, "backend1", "uas_answer.xml", host, b1_transport)
    b2 = SippUAS(ctx, "backend2", "uas_answer.xml", host, b2_transport)
    edge, remote = start_edge(ctx, [b1.uri, b2.uri], b1, host=host, tcp=tcp)
    uac = SippUAC(ctx, "caller", "uac_call.xml", remote, n, rate, limit, timeout_s, host,
                  caller_transport)
    res = uac.run()
    check_caller(ctx, uac, res)
    c1, c2 = finish_all([b1, b2])
    print("  backend1 (%s) got %d calls, backend2 (%s) got %d" % (b1.uri, c1["incoming"], b2.uri,
                                                                  c2["incoming"]))
    for b, c in ((b1, c1), (b2, c2)):
        check_backend(ctx, b, c)
        check_acks(ctx, b, c)
    if edge:
        ctx.check(c1["incoming"] + c2["incoming"] == n,
                  "backends together must get each call once: %d + %d != %d"
                  % (c1["incoming"], c2["incoming"], n))
        check_share(ctx, "backend1", c1["incoming"], n, 0.4, 0.6)
        check_share(ctx, "backend2", c2["incoming"], n, 0.4, 0.6)
        edge.stop()


def case_calls_udp(ctx: Ctx) -> None:
    """5,000 record-routed calls at 300/s over UDP, round-robin over two backends."""
    run_answer_calls(ctx, scaled(ctx, 5000), 300, 3000, 60)


def case_calls_tcp(ctx: Ctx) -> None:
    """Caller over TCP; backend1 over TCP (;transport=tcp), backend2 over UDP."""
    run_answer_calls(ctx, scaled(ctx, 500), 100, 500, 40, caller_transport="t1",
                     b1_transport="t1", b2_transport="u1", tcp=True)


def case_calls_ipv6(ctx: Ctx) -> None:
    """Calls over UDP on [::1] end to end."""
    if not ipv6_available():
        raise Skipped("no IPv6 loopback (::1) on this machine")
    run_answer_calls(ctx, scaled(ctx, 300), 100, 300, 40, host="::1")


def case_cancel(ctx: Ctx) -> None:
    """Caller cancels while the backend rings: 200 to the CANCEL, 487 to the INVITE."""
    n = scaled(ctx, 500)
    b1 = SippUAS(ctx, "ring1", "uas_ring.xml")
    b2 = SippUAS(ctx, "ring2", "uas_ring.xml")
    edge, remote = start_edge(ctx, [b1.uri, b2.uri], b1)
    uac = SippUAC(ctx, "caller", "uac_cancel.xml", remote, n, 100, 500, 40)
    res = uac.run()
    check_caller(ctx, uac, res)
    c1, c2 = finish_all([b1, b2])
    print("  ring1 got %d calls, ring2 got %d" % (c1["incoming"], c2["incoming"]))
    for b, c in ((b1, c1), (b2, c2)):
        check_backend(ctx, b, c, " (CANCEL forwarded, 487 ACKed)")
        cancels = b.msg_count("CANCEL_Recv")
        ctx.check(cancels >= c["incoming"], "backend %s must get a CANCEL for each ringing call: "
                  "%d CANCELs for %d calls" % (b.name, cancels, c["incoming"]))
    if edge:
        ctx.check(c1["incoming"] + c2["incoming"] == n, "backends together must get each call once: "
                  "%d + %d != %d" % (c1["incoming"], c2["incoming"], n))
        edge.stop()


def case_failover_503(ctx: Ctx) -> None:
    """Backend A answers 503, B answers: every call completes and the caller never sees the 503."""
    n = scaled(ctx, 1000)
    a = SippUAS(ctx, "backendA_503", "uas_503.xml")
    b = SippUAS(ctx, "backendB", "uas_answer.xml")
    edge, remote = start_edge(ctx, [a.uri, b.uri], b)
    uac = SippUAC(ctx, "caller", "uac_call.xml", remote, n, 200, 1000, 40)
    res = uac.run()
    check_caller(ctx, uac, res)  # a relayed 503 is an unexpected message: the call fails
    ca, cb = finish_all([a, b])
    print("  backend A (503) got %d INVITEs, backend B got %d calls" % (ca["incoming"], cb["incoming"]))
    check_backend(ctx, b, cb)
    check_acks(ctx, b, cb)
    if edge:
        check_backend(ctx, a, ca, " (its 503 must be ACKed by the edge)")
        ctx.check(ca["incoming"] > 0, "round-robin must try backend A first for some calls, it got none")
        ctx.check(cb["incoming"] == n, "backend B must get every call (failover): got %d of %d"
                  % (cb["incoming"], n))
        edge.stop()


def case_failover_silent(ctx: Ctx) -> None:
    """Backend A never answers: after fr_timer (1 s) the edge fails over to B."""
    n = scaled(ctx, 200)
    silent = SipPeer(ctx, "backendA_silent")  # receives, never answers
    b = SippUAS(ctx, "backendB", "uas_answer.xml")
    edge, remote = start_edge(ctx, ["sip:%s" % silent.hostport, b.uri], b, fr_timer=1000)
    uac = SippUAC(ctx, "caller", "uac_call.xml", remote, n, 50, 400, 40)
    res = uac.run()
    check_caller(ctx, uac, res)
    cb = b.finish()
    invites = {m.get("call-id") for m in silent.messages() if m.method == "INVITE"}
    print("  silent backend A got INVITEs of %d calls, backend B got %d calls"
          % (len(invites), cb["incoming"]))
    check_backend(ctx, b, cb)
    check_acks(ctx, b, cb)
    if edge:
        ctx.check(len(invites) > 0, "round-robin must try the silent backend A for some calls")
        ctx.check(cb["incoming"] == n, "backend B must get every call (failover after fr_timer): "
                  "got %d of %d" % (cb["incoming"], n))
        edge.stop()


def case_response_order(ctx: Ctx) -> None:
    """180, 183 and 200 sent back to back by the backend reach the caller in that order."""
    n = scaled(ctx, 1000)
    b1 = SippUAS(ctx, "backend1", "uas_order.xml")
    b2 = SippUAS(ctx, "backend2", "uas_order.xml")
    edge, remote = start_edge(ctx, [b1.uri, b2.uri], b1)
    uac = SippUAC(ctx, "caller", "uac_order.xml", remote, n, 200, 1000, 40)
    res = uac.run()
    check_caller(ctx, uac, res)
    c1, c2 = finish_all([b1, b2])
    for bk, c in ((b1, c1), (b2, c2)):
        check_backend(ctx, bk, c)
    if edge:
        edge.stop()


def case_callee_hangup(ctx: Ctx) -> None:
    """The backend ends every call: its BYE must find the caller through the edge. Caller over
    TCP, backend1 over UDP, backend2 over TCP (the BYE crosses transports)."""
    n = scaled(ctx, 300)
    b1 = SippUAS(ctx, "backend1", "uas_bye.xml", transport="u1")
    b2 = SippUAS(ctx, "backend2", "uas_bye.xml", transport="t1")
    edge, remote = start_edge(ctx, [b1.uri, b2.uri], b2, tcp=True)
    uac = SippUAC(ctx, "caller", "uac_callee_bye.xml", remote, n, 100, 300, 40, transport="t1")
    res = uac.run()
    check_caller(ctx, uac, res)
    c1, c2 = finish_all([b1, b2])
    print("  backend1 (udp) ended %d calls, backend2 (tcp) ended %d" % (c1["successful"],
                                                                      c2["successful"]))
    for b, c in ((b1, c1), (b2, c2)):
        check_backend(ctx, b, c, " (its BYE answered by the caller)")
    if edge:
        ctx.check(c1["incoming"] > 0 and c2["incoming"] > 0,
                  "both backends must get calls: %d, %d" % (c1["incoming"], c2["incoming"]))
        edge.stop()


CASES = {
    "callee_hangup": case_callee_hangup,
    "calls_udp": case_calls_udp,
    "calls_tcp": case_calls_tcp,
    "calls_ipv6": case_calls_ipv6,
    "cancel": case_cancel,
    "failover_503": case_failover_503,
    "failover_silent": case_failover_silent,
    "response_order": case_response_order,
}

if __name__ == "__main__":
    main(CASES, __doc__)
