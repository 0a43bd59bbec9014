#!/usr/bin/env python3
# `tandem migrate verify` end to end: a real edge with a SQLite store (users, a DID, a trunk), a
# SIPp far end (sipp/verify/far_end.xml) as the media node and as the trunk, and the verify run
# reading the [verify] table of a plan file. The verify run's own SIPp calls go through the edge.
"""    test_migrate_verify.py --tandem build/tandem --case migrate_verify [-v] [--keep]"""

import re
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import SIPP, Ctx, Failed, Skipped, SippUAS, finish_all, main, toml_keys  # noqa: E402
from test_registrar import (DOMAIN, Database, Phone, answer, need_tandem,  # noqa: E402
                            parse_challenge, rpc, store_edge)

ROOT = Path(__file__).resolve().parents[2]
FAR_END = str(ROOT / "sipp" / "verify" / "far_end.xml")
UAS_503 = "uas_503.xml"  # tests/integration/sipp: answers every INVITE 503
DID = "+442071234567"
OUTBOUND = "00442071234567"
# The carrier / media node address the edge trusts; the phones' address (127.0.0.1) is not.
CALLER_IP = "127.0.0.2"
ROWS = ["internal", "did", "outbound", "hold", "dtmf", "register"]


def register_at(ctx: Ctx, edge, user: str, password: str, hop: str) -> None:
    """Registers user@DOMAIN for a device behind hop (the far end), digest answered. The edge
    sends calls to where a REGISTER came from (NAT), so the far end is named in Path (RFC
    3327), which comes first."""
    phone = Phone(ctx, edge, user, password, name="%s_phone" % user)
    contact = "sip:%s@%s" % (user, hop)
    path = ["Path: <sip:%s;lr>" % hop, "Supported: path"]
    r = phone.register(contact="<%s>" % contact, extra=path)
    if r is None or r.status != 401:
        raise Failed("REGISTER %s: expected 401, got %s" % (user, r.first if r else None))
    ch = [parse_challenge(v) for v in r.all("www-authenticate")][0]
    r = phone.register(contact="<%s>" % contact, extra=path,
                       authorization=answer(ch, user, password, "REGISTER", "sip:%s" % DOMAIN))
    if r is None or r.status != 200:
        raise Failed("REGISTER %s with credentials: expected 200, got %s"
                     % (user, r.first if r else None))


def setup(ctx: Ctx, media_scenario: str):
    """Edge + store + far ends. Returns (edge, media, trunk)."""
    need_tandem(ctx)
    if not Path(SIPP).exists():
        raise Skipped("sipp not installed")
    db = Database(ctx, False)
    db.cli("db", "migrate")
    db.cli("user", "add", "alice@%s" % DOMAIN, "--password", "wonderland")
    db.cli("user", "add", "bob@%s" % DOMAIN, "--password", "builder")
    media = SippUAS(ctx, "media_node", media_scenario)
    trunk = SippUAS(ctx, "trunk", FAR_END)
    edge = store_edge(ctx, db, backends=[media.uri], trusted=["%s/32" % CALLER_IP],
                      migrate=False)
    db.cli("route", "did", "add", DID, "sip:ivr@127.0.0.1:%d" % media.port, "--dest-type", "ivr")
    db.cli("route", "trunk", "add", "00", "sip:127.0.0.1:%d" % trunk.port, "--strip", "2",
           "--prepend", "+")
    edge.start()
    # bob's phone is the media node: the internal call reaches it through the location table.
    register_at(ctx, edge, "bob", "builder", "127.0.0.1:%d" % media.port)
    return edge, media, trunk


def run_verify(ctx: Ctx, edge, extra: dict | None = None, args: list[str] = ()) -> tuple:
    """Writes plan.toml ([migration] to show the table lives in a real plan) and runs
    `tandem migrate verify`. Returns (rc, {row: line}, stdout)."""
    keys = {"edge_sip": edge.hostport, "transport": "udp", "domain": DOMAIN,
            "user_a": "alice", "password_a": "wonderland", "user_b": "bob", "did": DID,
            "outbound_number": OUTBOUND, "local_ip": "127.0.0.1", "caller_ip": CALLER_IP,
            "expires": 300, "sipp": SIPP, "timeout": "15s"}
    keys.update(extra or {})
    plan = ctx.dir / "plan.toml"
    plan.write_text('[migration]\nname = "fs1-to-fs2"\nold = "sip:10.0.1.30:5060"\n'
                    'new = "sip:10.0.1.31:5060"\n\n[gates]\nasr_min = 90\n\n[verify]\n'
                    + toml_keys(keys))
    argv = [ctx.args.tandem, "migrate", "verify", str(plan)] + list(args)
    out = subprocess.run(argv, capture_output=True, text=True, timeout=180,
                         env={"PATH": "/usr/bin:/bin", "TMPDIR": str(ctx.dir)})
    (ctx.dir / "verify.stdout").write_text(out.stdout)
    (ctx.dir / "verify.stderr").write_text(out.stderr)
    print("  $ tandem migrate verify plan.toml -> %d\n%s%s"
          % (out.returncode, indent(out.stdout), indent(out.stderr)))
    lines = {}
    for line in out.stdout.splitlines():
        m = re.match(r"(\w+)\s+(pass|FAIL|not configured|skipped)\s", line)
        if m and m.group(1) in ROWS:
            lines[m.group(1)] = line
    return out.returncode, lines, out.stdout


def indent(s: str) -> str:
    return "".join("    %s\n" % line for line in s.splitlines())


def outcome(line: str | None) -> str | None:
    if line is None:
        return None
    return re.match(r"\w+\s+(pass|FAIL|not configured|skipped)", line).group(1)


def case_migrate_verify(ctx: Ctx) -> None:
    """Every row passes against a working edge; the far ends saw the calls; alice's test
    binding is gone again; --row runs one row; a missing key is 'not configured' (exit 1)
    unless that row is in skip."""
    edge, media, trunk = setup(ctx, FAR_END)
    rc, lines, _ = run_verify(ctx, edge)
    for row in ROWS:
        ctx.check(outcome(lines.get(row)) == "pass", "row %s must pass: %s" % (row, lines.get(row)))
    ctx.check(rc == 0, "exit 0 when every row passes, got %d" % rc)
    dtmf = lines.get("dtmf", "")
    ctx.check("RFC 4733" in dtmf and "RTP" in dtmf and "INFO" in dtmf,
              "the dtmf line says INFO was answered and RFC 4733 travels in RTP: %r" % dtmf)
    ctx.check(re.search(r"call_auth\.xml", lines.get("internal", "")) is not None,
              "each line names its scenario: %r" % lines.get("internal"))
    # The register row unregisters its own contact: only bob's binding is left.
    stats = rpc(edge, "stats.get")
    ctx.check(stats.get("contacts") == 1, "after verify only bob's binding is left, contacts=%s"
              % stats.get("contacts"))

    # One row; a row without its key; that row skipped.
    rc, lines, _ = run_verify(ctx, edge, args=["--row", "did"])
    ctx.check(rc == 0 and list(lines) == ["did"] and outcome(lines["did"]) == "pass",
              "--row did runs the did row only: rc=%d %s" % (rc, lines))
    rc, lines, _ = run_verify(ctx, edge, extra={"did": ""})
    ctx.check(rc == 1 and outcome(lines.get("did")) == "not configured",
              "an unset did is 'not configured' and exits 1: rc=%d %s" % (rc, lines.get("did")))
    rc, lines, _ = run_verify(ctx, edge, extra={"did": "", "skip": ["did"]})
    ctx.check(rc == 0 and outcome(lines.get("did")) == "skipped",
              "listed in skip: 'skipped', exit 0: rc=%d %s" % (rc, lines.get("did")))
    # A bad table: exit 2 with the file and line.
    rc, lines, _ = run_verify(ctx, edge, extra={"usr_a": "x"})
    err = (ctx.dir / "verify.stderr").read_text()
    ctx.check(rc == 2 and re.search(r"plan\.toml:\d+: \[verify\] unknown key \"usr_a\"", err),
              "an unknown key: exit 2 and plan.toml:LINE in the error: rc=%d %r" % (rc, err))

    c_media, c_trunk = finish_all([media, trunk])
    # The first run alone sent 4 calls to the media node (internal, did, hold, dtmf) and 1 to the
    # trunk; the later runs add more. Each must have been completed, none failed.
    ctx.check(c_media["incoming"] >= 4 and c_media["failed"] == 0,
              "the media node answered every call it got: %s" % c_media)
    ctx.check(c_trunk["incoming"] >= 1 and c_trunk["failed"] == 0,
              "the trunk answered the outbound calls: %s" % c_trunk)
    edge.stop()


def case_migrate_verify_fail(ctx: Ctx) -> None:
    """The media node answers 503: internal, did, hold and dtmf fail naming the 503, outbound
    (the trunk still answers) and register pass, exit 1, SIPp's files kept."""
    edge, media, trunk = setup(ctx, UAS_503)
    rc, lines, stdout = run_verify(ctx, edge)
    for row in ("internal", "did", "hold", "dtmf"):
        line = lines.get(row) or ""
        ctx.check(outcome(line) == "FAIL" and "503" in line and "sipp exit 1" in line,
                  "row %s must FAIL with SIPp's exit status and the 503: %r" % (row, line))
    for row in ("outbound", "register"):
        ctx.check(outcome(lines.get(row)) == "pass", "row %s must still pass: %s"
                  % (row, lines.get(row)))
    ctx.check(rc == 1, "exit 1 when a row fails, got %d" % rc)
    m = re.search(r"are in (\S+)", stdout)
    ctx.check(m is not None and Path(m.group(1), "internal_errors.log").exists(),
              "SIPp's files of a failed run are kept and named: %r" % (m.group(0) if m else None))
    finish_all([media, trunk])
    edge.stop()


CASES = {
    "migrate_verify": case_migrate_verify,
    "migrate_verify_fail": case_migrate_verify_fail,
}

if __name__ == "__main__":
    main(CASES, __doc__)
