#!/usr/bin/env python3
# Database-driven routing of `tandem edge`: DID (did_routing), tenant domain -> dispatcher set
# (tenant) and outbound trunks by longest prefix with priority failover (trunk_routing), driven
# with SIPp callers and backends, routes provisioned with the tandem CLI. _pg cases run the same
# on a PostgreSQL server of their own.
"""    test_routing.py --tandem build/tandem --case route_did [-v] [--keep]"""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import (SDP, Ctx, SipPeer, SippUAC, SippUAS, check_backend,  # noqa: E402
                     check_caller, finish_all, is_req, is_resp, main, new_branch, new_callid)
from test_registrar import Database, need_tandem, response, rpc, store_edge  # noqa: E402


def write_sets(edge, sets: dict[int, list[str]]) -> None:
    """Replaces the edge's dispatcher.list with these sets (before start)."""
    with open(edge.ds_list, "w") as f:
        for setid, uris in sets.items():
            for uri in uris:
                f.write("%d %s 0 0\n" % (setid, uri))


def invite(peer: SipPeer, edge, ruri: str, from_uri: str, extra: list[str] | None = None):
    """Sends one INVITE through the edge; returns its Call-ID."""
    cid = new_callid()
    h = ["INVITE %s SIP/2.0" % ruri,
         "Via: SIP/2.0/UDP %s;branch=%s;rport" % (peer.hostport, new_branch()),
         "From: <%s>;tag=rt1" % from_uri, "To: <%s>" % ruri, "Call-ID: %s" % cid,
         "CSeq: 1 INVITE", "Max-Forwards: 70", "Contact: <sip:rt@%s>" % peer.hostport,
         "Content-Type: application/sdp"] + (extra or []) + ["Content-Length: %d" % len(SDP)]
    peer.send(("\r\n".join(h) + "\r\n\r\n").encode() + SDP, edge.addr)
    return cid


def answering_peer(ctx: Ctx, name: str) -> SipPeer:
    """A python callee that answers INVITE 200 and BYE 200, and keeps what it received."""
    peer = SipPeer(ctx, name)

    def auto(p, m, addr):
        if m.is_response:
            return
        if m.method == "INVITE":
            p.send(response(m, 200, "OK", body=SDP, contact="sip:%s" % p.hostport), addr)
        elif m.method == "BYE":
            p.send(response(m, 200, "OK"), addr)
    peer.auto = auto
    return peer


def did_case(ctx: Ctx, pg: bool) -> None:
    """An inbound number is rewritten to its destination with X-Dest-Type; unknown numbers from a
    carrier get 404 DID Not Found; the default set gets nothing."""
    need_tandem(ctx)
    n = 100
    db = Database(ctx, pg)
    default = SippUAS(ctx, "default_set", "uas_answer.xml")
    ivr = SippUAS(ctx, "ivr", "uas_answer.xml")
    inspect = answering_peer(ctx, "queue")
    edge = store_edge(ctx, db, backends=[default.uri], routing={"did_not_found": True})
    db.cli("route", "did", "add", "+442071234567", "sip:ivr-main@127.0.0.1:%d" % ivr.port,
           "--dest-type", "ivr", "--description", "main number")
    db.cli("route", "did", "add", "+442071230000", "sip:sales@%s" % inspect.hostport,
           "--dest-type", "queue")
    edge.start()

    uac = SippUAC(ctx, "carrier", "uac_call.xml", edge.hostport, n, 100, 100, 40,
                  extra=["-s", "+442071234567"])
    check_caller(ctx, uac, uac.run())
    c_default, c_ivr = finish_all([default, ivr])
    check_backend(ctx, ivr, c_ivr)
    ctx.check(c_ivr["incoming"] == n, "every call to the DID must reach its destination: %d of %d"
              % (c_ivr["incoming"], n))
    ctx.check(c_default["incoming"] == 0, "the default set must get no DID call, got %d"
              % c_default["incoming"])

    # The rewrite and the header, seen by the destination.
    caller = SipPeer(ctx, "carrier_py")
    cid = invite(caller, edge, "sip:+442071230000@%s" % edge.hostport,
                 "sip:+15551234@carrier.example")
    got = inspect.wait_for(is_req("INVITE", cid), 3.0)
    ctx.require(got is not None, "the INVITE to +442071230000 must reach the queue")
    ctx.check(got.ruri == "sip:sales@%s" % inspect.hostport,
              "Request-URI rewritten to the DID's destination, got %s" % got.ruri)
    ctx.check(got.get("x-dest-type") == "queue", "X-Dest-Type: queue, got %r"
              % got.get("x-dest-type"))
    r = caller.wait_for(is_resp(cid, "INVITE", final=True), 3.0)
    ctx.check(r is not None and r.status == 200, "the caller gets the 200, got %s"
              % (r.first if r else None))

    # An unknown number from outside is answered here.
    cid = invite(caller, edge, "sip:+449999999999@%s" % edge.hostport,
                 "sip:+15551234@carrier.example")
    r = caller.wait_for(is_resp(cid, "INVITE", final=True), 3.0)
    ctx.check(r is not None and r.first == "SIP/2.0 404 DID Not Found",
              "an unknown DID must get 404 DID Not Found, got %s" % (r.first if r else None))
    stats = rpc(edge, "stats.get")
    ctx.check(stats["did_hits"] == n + 1, "did_hits %d, expected %d" % (stats["did_hits"], n + 1))
    edge.stop()


def case_route_did(ctx: Ctx) -> None:
    did_case(ctx, False)


def case_route_did_pg(ctx: Ctx) -> None:
    did_case(ctx, True)


def tenant_case(ctx: Ctx, pg: bool) -> None:
    """Each tenant domain is served by its own dispatcher set; moving a tenant to another set
    (one row) steers its new calls there at once; a DID can point into a tenant."""
    need_tandem(ctx)
    n = 60
    db = Database(ctx, pg)
    a = SippUAS(ctx, "set1_default", "uas_answer.xml")
    b = SippUAS(ctx, "set2_tenant1", "uas_answer.xml")
    c = SippUAS(ctx, "set3_tenant2", "uas_answer.xml")
    edge = store_edge(ctx, db, backends=[a.uri], domains=["t1.example", "t2.example"])
    write_sets(edge, {1: [a.uri], 2: [b.uri], 3: [c.uri]})
    db.cli("tenant", "add", "t1.example", "2")
    db.cli("tenant", "add", "t2.example", "3")
    db.cli("route", "did", "add", "+442071110000", "sip:200@t2.example", "--dest-type", "ext")
    edge.start()

    def calls(name: str, domain: str, service: str = "100") -> None:
        uac = SippUAC(ctx, name, "uac_domain.xml", edge.hostport, n, 60, 60, 40,
                      extra=["-s", service, "-key", "domain", domain])
        check_caller(ctx, uac, uac.run())

    calls("to_t1", "t1.example")
    calls("to_t2", "t2.example")
    calls("did_into_t2", edge.hostport, service="+442071110000")
    # Move tenant 1 to set 3: one row; the edge sees it within its poll interval (100 ms).
    db.cli("tenant", "set", "t1.example", "3")
    time.sleep(1.0)
    calls("to_t1_moved", "t1.example")
    ca, cb, cc = finish_all([a, b, c])
    for uas, cnt in ((a, ca), (b, cb), (c, cc)):
        check_backend(ctx, uas, cnt)
    ctx.check(cb["incoming"] == n, "tenant 1 (set 2) gets its %d calls before the move, got %d"
              % (n, cb["incoming"]))
    ctx.check(cc["incoming"] == 3 * n, "set 3 gets tenant 2's calls, the DID's and tenant 1's "
              "after the move: %d expected, got %d" % (3 * n, cc["incoming"]))
    ctx.check(ca["incoming"] == 0, "the default set gets no tenant call, got %d" % ca["incoming"])
    edge.stop()


def case_route_tenant(ctx: Ctx) -> None:
    tenant_case(ctx, False)


def case_route_tenant_pg(ctx: Ctx) -> None:
    tenant_case(ctx, True)


def trunk_case(ctx: Ctx, pg: bool) -> None:
    """Outbound numbers from a trusted node go to the trunk of the longest matching prefix, with
    strip/prepend; the first trunk answering 503 fails over to the second (priority 1)."""
    need_tandem(ctx)
    n = 100
    db = Database(ctx, pg)
    default = SippUAS(ctx, "default_set", "uas_answer.xml")
    t1 = SippUAS(ctx, "trunk1_503", "uas_503.xml")
    t2 = SippUAS(ctx, "trunk2", "uas_answer.xml")
    t3 = answering_peer(ctx, "trunk3")
    # The media nodes (here: every loopback sender) are trusted.
    edge = store_edge(ctx, db, backends=[default.uri], trusted=["127.0.0.0/8"])
    db.cli("route", "trunk", "add", "0044", "sip:127.0.0.1:%d" % t1.port, "--priority", "0",
           "--strip", "2", "--prepend", "+")
    db.cli("route", "trunk", "add", "0044", "sip:127.0.0.1:%d" % t2.port, "--priority", "1",
           "--strip", "2", "--prepend", "+")
    db.cli("route", "trunk", "add", "00", "sip:%s" % t3.hostport, "--strip", "2",
           "--prepend", "+")
    edge.start()

    uac = SippUAC(ctx, "media_node", "uac_call.xml", edge.hostport, n, 100, 100, 40,
                  extra=["-s", "00442071234567"])
    check_caller(ctx, uac, uac.run())  # a relayed 503 would fail the call
    c_default, c1, c2 = finish_all([default, t1, t2])
    check_backend(ctx, t1, c1, " (its 503 must be ACKed by the edge)")
    check_backend(ctx, t2, c2)
    ctx.check(c1["incoming"] == n, "trunk 1 (priority 0) is tried first for every call: %d of %d"
              % (c1["incoming"], n))
    ctx.check(c2["incoming"] == n, "trunk 2 takes every call after trunk 1's 503: %d of %d"
              % (c2["incoming"], n))
    ctx.check(c_default["incoming"] == 0, "the default set gets no outbound call")

    # A shorter prefix: another country goes to trunk 3, number rewritten.
    caller = SipPeer(ctx, "media_py")
    cid = invite(caller, edge, "sip:0033123456789@%s" % edge.hostport, "sip:100@127.0.0.1")
    got = t3.wait_for(is_req("INVITE", cid), 3.0)
    ctx.require(got is not None, "00 33... must reach trunk 3 (prefix 00)")
    ctx.check(got.ruri == "sip:+33123456789@%s" % t3.hostport,
              "strip 2 + prepend '+': got %s" % got.ruri)
    # An untrusted source may not reach the carriers.
    stats = rpc(edge, "stats.get")
    ctx.check(stats["trunk_routed"] == n + 1, "trunk_routed %d" % stats["trunk_routed"])
    edge.stop()


def case_route_trunk(ctx: Ctx) -> None:
    trunk_case(ctx, False)


def case_route_trunk_pg(ctx: Ctx) -> None:
    trunk_case(ctx, True)


CASES = {
    "route_did": case_route_did,
    "route_did_pg": case_route_did_pg,
    "route_tenant": case_route_tenant,
    "route_tenant_pg": case_route_tenant_pg,
    "route_trunk": case_route_trunk,
    "route_trunk_pg": case_route_trunk_pg,
}

if __name__ == "__main__":
    main(CASES, __doc__)
