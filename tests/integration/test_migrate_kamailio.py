#!/usr/bin/env python3
# `tandem migrate apply` against a real Kamailio (Debian package kamailio): the list file is backed
# up and rewritten, Kamailio reloads it over jsonrpcs, Kamailio's own dispatcher.list shows the
# profile, and a failed verification puts the previous list back in the file and in Kamailio.
"""End-to-end test of the Kamailio side of `tandem migrate apply`.

    test_migrate_kamailio.py --tandem build/tandem --case migrate_kamailio [-v] [--keep]

Each case starts Kamailio from tests/integration/kamailio/migrate.cfg (dispatcher with a list
file in the temp dir, xhttp + jsonrpcs on a free TCP port, SIP on a free UDP port, no database),
as the current user in the foreground, in its own process group, killed at the end whatever
happens. The test reads Kamailio's state with its own JSON-RPC (urllib), never through tandem.

Exit 0 pass, 1 fail, 77 skip: only when Kamailio is not installed, and not even then when the
environment variable CI is set (CI installs it, so a missing Kamailio there is a failure).
TANDEM_IT_KAMAILIO=PATH names the kamailio binary (default: PATH, then /usr/sbin/kamailio).
"""

import datetime
import json
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import Ctx, Failed, Proc, Skipped, free_port, indent, main, wait_bound  # noqa: E402

HERE = Path(__file__).resolve().parent
CFG_TEMPLATE = HERE / "kamailio" / "migrate.cfg"
MODULES = ("sl.so", "pv.so", "xhttp.so", "jsonrpcs.so", "dispatcher.so")
DEFAULT_MPATH = "/usr/lib/x86_64-linux-gnu/kamailio/modules"
SET = 1
# An apply may wait out Kamailio's reload_delta (5 s) and retry for up to 12 s; its restore may
# do the same once more.
APPLY_TIMEOUT = 90.0


# --------------------------------------------------------------------------- Kamailio

def find_kamailio() -> str:
    """The kamailio binary: $TANDEM_IT_KAMAILIO when set (only there), else PATH, /usr/sbin."""
    given = os.environ.get("TANDEM_IT_KAMAILIO")
    places = [given] if given else [shutil.which("kamailio"), "/usr/sbin/kamailio",
                                    "/usr/local/sbin/kamailio"]
    for exe in places:
        if exe and os.access(exe, os.X_OK):
            return exe
    why = "kamailio is not installed (Debian package: kamailio)"
    if os.environ.get("CI"):
        raise Failed(why + "; CI is set and CI installs it, so this is a failure, not a skip")
    raise Skipped(why)


def module_dir(exe: str) -> str:
    """Kamailio's module directory, from `kamailio -I` ("Default paths to modules: ...")."""
    try:
        out = subprocess.run([exe, "-I"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        out = ""
    dirs = []
    m = re.search(r"Default paths to modules:\s*(\S+)", out)
    if m:
        dirs += m.group(1).split(":")
    dirs.append(DEFAULT_MPATH)
    for d in dirs:
        if all(os.path.exists(os.path.join(d, mod)) for mod in MODULES):
            return d
    raise Failed("kamailio is installed (%s) but its modules %s are not in %s"
                 % (exe, ", ".join(MODULES), " or ".join(dirs)))


# Kamailio's main process dies with the driver (harness.Proc sets PR_SET_PDEATHSIG) but its
# children do not: they stay, reparented, in the process group. This watchdog, started beside
# Kamailio, SIGKILLs the group when its stdin reaches EOF without "done", i.e. when the driver
# died without stopping Kamailio (e.g. SIGKILL). The pipe's write end is only in the driver.
WATCHDOG = r"""
import os, signal, sys
pgid, data = int(sys.argv[1]), b""
while True:
    try:
        chunk = os.read(0, 64)
    except InterruptedError:
        continue
    if not chunk:
        break
    data += chunk
if b"done" not in data:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except OSError:
        pass
"""


class Kamailio:
    """Kamailio with tests/integration/kamailio/migrate.cfg, reading list_file."""

    def __init__(self, ctx: Ctx, list_file: Path):
        self.ctx, self.list_file = ctx, list_file
        self.exe = find_kamailio()
        self.mpath = module_dir(self.exe)
        self.sip_port = free_port()
        self.http_port = free_port()
        while self.http_port == self.sip_port:
            self.http_port = free_port()
        self.url = "http://127.0.0.1:%d/RPC" % self.http_port
        self.run_dir = ctx.dir / "kamailio-run"
        self.run_dir.mkdir()
        self.cfg = ctx.dir / "kamailio.cfg"
        text = CFG_TEMPLATE.read_text()
        for k, v in (("MPATH", self.mpath), ("SIP_PORT", self.sip_port),
                     ("HTTP_PORT", self.http_port), ("LIST_FILE", list_file)):
            text = text.replace("@%s@" % k, str(v))
        left = re.findall(r"@[A-Z_]+@", "\n".join(
            l for l in text.splitlines() if not l.lstrip().startswith("#")))
        if left:
            raise Failed("%s: placeholders left unreplaced: %s" % (CFG_TEMPLATE, left))
        self.cfg.write_text(text)
        self.proc: Proc | None = None
        self.watchdog: subprocess.Popen | None = None
        self.next_id = 0

    def start(self) -> "Kamailio":
        self.proc = Proc(self.ctx, "kamailio",
                         [self.exe, "-DD", "-E", "-m", "32", "-M", "8", "-f", str(self.cfg),
                          "-w", str(self.run_dir), "-Y", str(self.run_dir),
                          "-P", str(self.run_dir / "kamailio.pid")])
        # Kamailio's children are in the same process group (Proc starts a new session): the
        # cleanup of ctx SIGKILLs the group even when this test stops half-way, and the watchdog
        # does when the driver itself is killed.
        self.watchdog = subprocess.Popen([sys.executable, "-c", WATCHDOG, str(self.proc.p.pid)],
                                         stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 20
        last = None
        while time.monotonic() < deadline:
            if not self.proc.alive():
                raise Failed("kamailio exited during startup with rc=%s (its log is below)"
                             % self.proc.p.returncode)
            if wait_bound(self.http_port, "tcp", 0.2):
                try:
                    self.dispatcher_list()
                    if not wait_bound(self.sip_port, "udp", 2.0):
                        raise Failed("kamailio answers JSON-RPC but does not listen on udp:%d"
                                     % self.sip_port)
                    self.ctx.log("kamailio ready: SIP udp:%d, JSON-RPC %s"
                                 % (self.sip_port, self.url))
                    return self
                except Failed as e:
                    last = e
            time.sleep(0.2)
        raise Failed("kamailio did not answer dispatcher.list at %s within 20 s (last: %s)"
                     % (self.url, last))

    def stop(self) -> None:
        """SIGTERM, then SIGKILL to the whole group (harness.Proc.stop); then the watchdog goes."""
        if self.proc:
            self.proc.stop(signal.SIGTERM, 5.0)
        if self.watchdog:
            try:
                self.watchdog.stdin.write(b"done")
                self.watchdog.stdin.close()
            except OSError:
                pass
            try:
                self.watchdog.wait(10)
            except subprocess.TimeoutExpired:
                self.watchdog.kill()
                self.watchdog.wait()
            self.watchdog = None

    def log_text(self) -> str:
        if not self.proc:
            return ""
        return self.proc.stderr_path.read_text(errors="replace")

    def rpc(self, method: str, *params) -> dict:
        """The whole JSON-RPC answer (result or error); no JSON answer is fatal."""
        self.next_id += 1
        body = json.dumps({"jsonrpc": "2.0", "method": method, "params": list(params),
                           "id": self.next_id}).encode()
        req = urllib.request.Request(self.url, data=body,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return json.loads(r.read())
        except urllib.error.HTTPError as e:
            raise Failed("kamailio RPC %s: HTTP %d %s" % (method, e.code, e.read()[:200]))
        except (OSError, ValueError) as e:
            raise Failed("kamailio RPC %s: no JSON answer from %s: %s" % (method, self.url, e))

    def dispatcher_list(self) -> dict[str, dict]:
        """Set SET as Kamailio lists it: URI -> DEST object."""
        ans = self.rpc("dispatcher.list")
        if "error" in ans:
            raise Failed("kamailio dispatcher.list answered error %s" % ans["error"])
        out: dict[str, dict] = {}
        for rec in ans.get("result", {}).get("RECORDS", []) or []:
            s = rec.get("SET", {})
            if s.get("ID") != SET:
                continue
            targets = s.get("TARGETS", [])
            if isinstance(targets, dict):  # a lone target may come unwrapped
                targets = [targets]
            for t in targets:
                d = t.get("DEST", {})
                out[d.get("URI")] = d
        return out


def summary(dests: dict[str, dict]) -> dict[str, tuple]:
    """URI -> (state letter, priority, attrs body, weight): what a profile decides."""
    out = {}
    for uri, d in dests.items():
        attrs = d.get("ATTRS") or {}
        out[uri] = ((d.get("FLAGS") or "?")[0], d.get("PRIORITY"), attrs.get("BODY"),
                    attrs.get("WEIGHT", 0))
    return out


def show(dests: dict[str, dict]) -> str:
    return ", ".join("%s %s prio=%s %s" % (u, d.get("FLAGS"), d.get("PRIORITY"),
                                            (d.get("ATTRS") or {}).get("BODY") or "-")
                     for u, d in sorted(dests.items())) or "(empty)"


# --------------------------------------------------------------------------- tandem

class Tandem:
    def __init__(self, ctx: Ctx):
        if not ctx.args.tandem:
            raise Failed("this test drives tandem: give --tandem PATH "
                         "(--impl and --direct do not apply)")
        self.ctx, self.n = ctx, 0

    def run(self, *args: str, env: dict | None = None,
            timeout: float = 30.0) -> tuple[int, str, str]:
        self.n += 1
        argv = [self.ctx.args.tandem] + list(args)
        self.ctx.log("run: %s" % " ".join(argv))
        e = dict(os.environ)
        e.update(env or {})
        t0 = time.monotonic()
        try:
            p = subprocess.run(argv, cwd=str(self.ctx.dir), env=e, capture_output=True,
                               text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise Failed("`%s` did not finish within %.0f s" % (" ".join(argv), timeout))
        took = time.monotonic() - t0
        log = self.ctx.dir / ("tandem-%d.log" % self.n)
        log.write_text("$ %s\nrc=%d after %.1fs\n-- stdout\n%s-- stderr\n%s"
                       % (" ".join(argv), p.returncode, took, p.stdout, p.stderr))
        self.ctx.log("rc=%d after %.1fs\n%s%s" % (p.returncode, took, p.stdout, p.stderr))
        return p.returncode, p.stdout, p.stderr

    def profile(self, mode: str, old: str, new: str, out: Path) -> str:
        rc, so, se = self.run("migrate", "profile", "--mode", mode, "--old", old, "--new", new,
                              "--format", "kamailio", "-o", str(out))
        self.ctx.require(rc == 0, "tandem migrate profile --mode %s must exit 0 (rc=%d): %s"
                         % (mode, rc, (se or so).strip()))
        return out.read_text()

    def apply(self, kam: Kamailio, profile: Path, audit: Path, *extra: str,
              env: dict | None = None) -> tuple[int, str, str, float]:
        t0 = time.monotonic()
        rc, so, se = self.run("migrate", "apply", "--profile", str(profile),
                              "--kamailio-list", str(kam.list_file), "--kamailio-url", kam.url,
                              "--audit", str(audit), "--timeout", "30", *extra,
                              env=env, timeout=APPLY_TIMEOUT)
        return rc, so, se, time.monotonic() - t0


def utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


def parse_when(s: str) -> datetime.datetime | None:
    try:
        return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=datetime.timezone.utc)
    except (TypeError, ValueError):
        return None


def audit_lines(ctx: Ctx, path: Path) -> list[dict]:
    if not path.exists():
        return []
    out = []
    for n, line in enumerate(path.read_text().splitlines(), 1):
        try:
            out.append(json.loads(line))
        except ValueError:
            ctx.check(False, "audit log %s line %d is not JSON: %r" % (path, n, line[:200]))
    return out


def entries(text: str) -> list[str]:
    """The list lines of a dispatcher.list text (no comments, no blank lines), blanks normalized."""
    return [" ".join(l.split()) for l in text.splitlines()
            if l.strip() and not l.lstrip().startswith("#")]


def backups(list_file: Path) -> list[Path]:
    return sorted(list_file.parent.glob(list_file.name + ".bak.*"))


def check_audit(ctx: Ctx, rec: dict, *, who: str, t0: datetime.datetime, t1: datetime.datetime,
                kam: Kamailio, mode: str, profile: Path, before: dict[str, dict],
                to: dict[str, tuple], result: str, backup: Path | None) -> None:
    """One audit line: who, when, where, the set before (Kamailio's DEST objects) and the
    profile applied (the 'to'), the backup and the result."""
    what = "audit line of the %s apply" % mode
    ctx.check(rec.get("who") == who, "%s: who must be %r, got %r" % (what, who, rec.get("who")))
    when = parse_when(rec.get("when"))
    ctx.check(when is not None and t0 - datetime.timedelta(seconds=1) <= when
              <= t1 + datetime.timedelta(seconds=1),
              "%s: when must be the UTC time of the apply (between %s and %s), got %r"
              % (what, t0.isoformat(), t1.isoformat(), rec.get("when")))
    for k, v in (("kind", "kamailio"), ("edge", kam.url), ("list_file", str(kam.list_file)),
                 ("set", SET), ("mode", mode), ("profile", str(profile)), ("result", result)):
        ctx.check(rec.get(k) == v, "%s: %s must be %r, got %r" % (what, k, v, rec.get(k)))
    if backup is not None:
        ctx.check(rec.get("backup") == str(backup), "%s: backup must be %s, got %r"
                  % (what, backup, rec.get("backup")))
    # from: the set as Kamailio listed it before the apply, its DEST objects as they were.
    frm = rec.get("from")
    if ctx.check(isinstance(frm, list), "%s: from must be the set's DEST list, got %r"
                 % (what, frm)):
        got = {d.get("URI"): d for d in frm if isinstance(d, dict)}
        ctx.check(summary(got) == summary(before),
                  "%s: from must be Kamailio's set before the apply (%s), got %s"
                  % (what, show(before), show(got)))
    # to: the profile, with each destination's state and weight.
    dests = (rec.get("to") or {}).get("destinations")
    if ctx.check(isinstance(dests, list),
                 "%s: to.destinations missing: %r" % (what, rec.get("to"))):
        got_to = {d.get("uri"): (d.get("state"), d.get("weight", 0)) for d in dests}
        ctx.check(got_to == to, "%s: to must be the profile %s, got %s" % (what, to, got_to))
    if result == "ok":
        ctx.check("error" not in rec, "%s: an ok apply has no error: %r" % (what, rec.get("error")))
    else:
        ctx.check(bool(rec.get("error")), "%s: a failed apply says why (error)" % what)


# --------------------------------------------------------------------------- cases

def case_migrate_kamailio(ctx: Ctx) -> None:
    """old -> both -> new on a live Kamailio: file, backups, Kamailio's view, audit."""
    tandem = Tandem(ctx)
    old = "sip:127.0.0.1:%d" % free_port()
    new = "sip:127.0.0.1:%d" % free_port()
    listf = ctx.dir / "dispatcher.list"
    audit = ctx.dir / "audit.jsonl"
    original = tandem.profile("old", old, new, listf)
    kam = Kamailio(ctx, listf)
    try:
        kam.start()
        start = kam.dispatcher_list()
        ctx.require(summary(start) == {old: ("A", 0, "weight=100", 100), new: ("D", 0, None, 0)},
                    "Kamailio must start with the mode-old list: %s A weight=100, %s D; it lists %s"
                    % (old, new, show(start)))

        # ---- old -> both
        p_both = ctx.dir / "p-both.list"
        prof = tandem.profile("both", old, new, p_both)
        want_lines = ["1 %s 0 0 weight=50" % old, "1 %s 0 0 weight=50" % new]
        ctx.require(entries(prof) == want_lines, "profile both must be %s, got %s"
                    % (want_lines, entries(prof)))
        # A mode other than the default, which the backup and the rewritten file must keep.
        listf.chmod(0o640)
        original_mode = stat.S_IMODE(listf.stat().st_mode)
        t0 = utcnow()
        rc, so, se, took = tandem.apply(kam, p_both, audit, "--operator", "it-alice")
        t1 = utcnow()
        ctx.require(rc == 0, "apply both must exit 0 (rc=%d after %.1fs):\n%s"
                    % (rc, took, indent((so + se).strip())))
        now = kam.dispatcher_list()
        want = {old: ("A", 0, "weight=50", 50), new: ("A", 0, "weight=50", 50)}
        ctx.check(summary(now) == want,
                  "after apply both, Kamailio's dispatcher.list must show both active (A) with "
                  "weight=50 and priority 0; it lists %s" % show(now))
        for uri, d in now.items():
            ctx.check(re.fullmatch(r"A[XP]", d.get("FLAGS", "")) is not None,
                      "%s flags must be AX/AP (active), got %r" % (uri, d.get("FLAGS")))
        baks = backups(listf)
        ctx.require(len(baks) == 1, "apply both must leave one backup %s.bak.*, found %s"
                    % (listf.name, [b.name for b in baks]))
        bak1 = baks[0]
        ctx.check(re.fullmatch(re.escape(listf.name) + r"\.bak\.\d{8}T\d{6}Z(-\d+)?", bak1.name)
                  is not None, "backup name must be FILE.bak.<UTC time>, got %s" % bak1.name)
        ctx.check(bak1.read_text() == original,
                  "the backup must hold the list as it was before the apply")
        for f in (bak1, listf):
            ctx.check(stat.S_IMODE(f.stat().st_mode) == original_mode,
                      "%s must have the list file's mode %o, got %o"
                      % (f.name, original_mode, stat.S_IMODE(f.stat().st_mode)))
        text_both = listf.read_text()
        ctx.check(entries(text_both) == want_lines,
                  "the list file must hold the profile's lines %s, got %s"
                  % (want_lines, entries(text_both)))
        ctx.check(re.search(r"^# tandem migrate mode=both set=1 applied \S+ by it-alice$",
                            text_both, re.M) is not None,
                  "the list file must carry the marker '# tandem migrate mode=both set=1 applied "
                  "WHEN by it-alice':\n%s" % indent(text_both))
        for line in original.splitlines():
            if line.startswith("# Kamailio") or line.startswith("# flags"):
                ctx.check(line in text_both.splitlines(),
                          "a comment of the list file must be kept byte for byte: %r" % line)
        recs = audit_lines(ctx, audit)
        ctx.require(len(recs) == 1, "one audit line after one apply, found %d" % len(recs))
        check_audit(ctx, recs[0], who="it-alice", t0=t0, t1=t1, kam=kam, mode="both",
                    profile=p_both, before=start,
                    to={old: ("active", 50), new: ("active", 50)}, result="ok", backup=bak1)

        # ---- both -> new, at once: Kamailio refuses this reload for reload_delta (5 s) after
        # the previous one and tandem has to retry. who comes from $USER this time.
        p_new = ctx.dir / "p-new.list"
        tandem.profile("new", old, new, p_new)
        t0 = utcnow()
        rc, so, se, took = tandem.apply(kam, p_new, audit, env={"USER": "it-bob"})
        t1 = utcnow()
        ctx.require(rc == 0, "apply new (right after apply both: Kamailio refuses reloads for "
                    "5 s, tandem must retry) must exit 0 (rc=%d after %.1fs):\n%s"
                    % (rc, took, indent((so + se).strip())))
        ctx.log("apply new took %.1fs" % took)
        after = kam.dispatcher_list()
        ctx.check(summary(after) == {old: ("D", 0, None, 0), new: ("A", 0, "weight=100", 100)},
                  "after apply new, Kamailio must show %s disabled (D, no weight) and %s active "
                  "(A) with weight=100; it lists %s" % (old, new, show(after)))
        baks = backups(listf)
        ctx.require(len(baks) == 2, "two applies, two backups: found %s" % [b.name for b in baks])
        bak2 = [b for b in baks if b != bak1][0]
        ctx.check(bak2.read_text() == text_both,
                  "the second backup must hold the list of mode both")
        ctx.check(bak1.read_text() == original, "the first backup must be left alone")
        text_new = listf.read_text()
        ctx.check(entries(text_new) == ["1 %s 4 0" % old, "1 %s 0 0 weight=100" % new],
                  "the list file must hold the mode-new lines, got %s" % entries(text_new))
        ctx.check(len(re.findall(r"^# tandem migrate ", text_new, re.M)) == 1,
                  "one marker comment (the earlier one replaced):\n%s" % indent(text_new))
        recs = audit_lines(ctx, audit)
        ctx.require(len(recs) == 2, "two audit lines after two applies, found %d" % len(recs))
        check_audit(ctx, recs[1], who="it-bob", t0=t0, t1=t1, kam=kam, mode="new",
                    profile=p_new, before=now, to={old: ("drain", 0), new: ("active", 100)},
                    result="ok", backup=bak2)
        ctx.check(kam.proc.alive(), "kamailio must still be running")
    finally:
        kam.stop()


# The failure made for the restore case. A profile whose new node is named by a host that does not
# resolve, the kind of typo an operator makes: Kamailio loads such a list without complaint to the
# caller (dispatcher.reload answers "Ok. Dispatcher successfully reloaded."), only logging
# "could not resolve ..." and "unable to add destination ... -- skipping", so the set it serves is
# NOT the profile: the typo'd node is missing and, in mode new, the old node is disabled, which
# leaves no usable destination. Nothing of tandem is faked: Kamailio really loads the list, and
# only the dispatcher.list check can see the difference. .invalid never resolves (RFC 6761), and
# the config bounds Kamailio's DNS retries so a machine without a name server stays quick.
TYPO_HOST = "new-node.invalid"


def case_migrate_kamailio_restore(ctx: Ctx) -> None:
    """A verification that fails on a real Kamailio: the list file and Kamailio's set are back."""
    tandem = Tandem(ctx)
    try:
        socket.getaddrinfo(TYPO_HOST, 5060)
        raise Failed("%s resolves on this machine (a DNS that answers for .invalid?): this case "
                     "needs a host name that does not resolve" % TYPO_HOST)
    except socket.gaierror:
        pass
    old = "sip:127.0.0.1:%d" % free_port()
    new_port = free_port()
    new = "sip:127.0.0.1:%d" % new_port
    typo = "sip:%s:%d" % (TYPO_HOST, new_port)
    listf = ctx.dir / "dispatcher.list"
    audit = ctx.dir / "audit.jsonl"
    tandem.profile("old", old, new, listf)
    original_bytes = listf.read_bytes()
    kam = Kamailio(ctx, listf)
    try:
        kam.start()
        start = kam.dispatcher_list()
        ctx.require(summary(start) == {old: ("A", 0, "weight=100", 100), new: ("D", 0, None, 0)},
                    "Kamailio must start with the mode-old list; it lists %s" % show(start))

        p_typo = ctx.dir / "p-new-typo.list"
        prof = tandem.profile("new", old, typo, p_typo)
        ctx.require(entries(prof) == ["1 %s 4 0" % old, "1 %s 0 0 weight=100" % typo],
                    "profile new with the typo'd node: unexpected lines %s" % entries(prof))
        t0 = utcnow()
        rc, so, se, took = tandem.apply(kam, p_typo, audit, "--operator", "it-carol",
                                        "--no-resolve-check")
        t1 = utcnow()
        out = (so + se).strip()
        ctx.check(rc == 1, "apply of a list Kamailio does not serve as written must exit 1 "
                  "(rc=%d after %.1fs):\n%s" % (rc, took, indent(out)))
        ctx.check("verification failed" in se and TYPO_HOST in se,
                  "tandem must say the verification failed and name %s:\n%s"
                  % (TYPO_HOST, indent(out)))
        ctx.check("restored" in se, "tandem must say the backup was restored:\n%s" % indent(out))

        # The premise: Kamailio did load the profile's list (and dropped the typo'd node), so
        # what follows shows a real restore, not a list that never reached Kamailio.
        log = kam.log_text()
        ctx.check(re.search(r"unable to add destination %s" % re.escape(typo), log) is not None,
                  "Kamailio's log must show it loaded the profile's list and skipped %s" % typo)

        # The file: byte for byte what it was; the backup too.
        ctx.check(listf.read_bytes() == original_bytes,
                  "after the failed apply the list file must be the original again; it is:\n%s"
                  % indent(listf.read_text()))
        baks = backups(listf)
        ctx.check(len(baks) == 1 and baks[0].read_bytes() == original_bytes,
                  "the backup must exist and hold the original list: %s" % [b.name for b in baks])
        # Kamailio: reloaded from the restored file (that reload fell within reload_delta of the
        # apply's reload, so tandem had to retry it). The state it lists is the original one.
        now = kam.dispatcher_list()
        ctx.check(summary(now) == summary(start),
                  "after the restore Kamailio must list the original set (%s); it lists %s"
                  % (show(start), show(now)))
        recs = audit_lines(ctx, audit)
        if ctx.check(len(recs) == 1, "one audit line for the failed apply, found %d" % len(recs)):
            check_audit(ctx, recs[0], who="it-carol", t0=t0, t1=t1, kam=kam, mode="new",
                        profile=p_typo, before=start,
                        to={old: ("drain", 0), typo: ("active", 100)}, result="restored",
                        backup=baks[0] if len(baks) == 1 else None)
            ctx.check(TYPO_HOST in str(recs[0].get("error")),
                      "the audit error must name the missing %s: %r"
                      % (TYPO_HOST, recs[0].get("error")))
        ctx.check(kam.proc.alive(), "kamailio must still be running")
    finally:
        kam.stop()


CASES = {
    "migrate_kamailio": case_migrate_kamailio,
    "migrate_kamailio_restore": case_migrate_kamailio_restore,
}

if __name__ == "__main__":
    main(CASES, __doc__.splitlines()[0])
