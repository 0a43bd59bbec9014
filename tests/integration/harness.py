# Integration harness: runs build/tandem edge, SIPp peers and raw-socket peers in a
# temp dir per test, always cleans up its children, and reports failures with log tails.
"""Shared pieces of the integration tests (python3 stdlib only).

A test builds a Ctx (temp dir, child processes, collected failures), starts an edge
(tandem, or Kamailio as a reference with --impl kamailio), SIPp backends or python
peers, drives traffic, and calls ctx.check(...) for each user-visible expectation.
Every child runs in its own process group and dies with the driver (PR_SET_PDEATHSIG),
so a test that times out or crashes leaves nothing behind.
"""

from __future__ import annotations

import argparse
import csv
import ctypes
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
SIPP_DIR = HERE / "sipp"
SKIP = 77  # ctest SKIP_RETURN_CODE

try:
    _libc = ctypes.CDLL("libc.so.6", use_errno=True)
except OSError:
    _libc = None


def _child_setup():
    # Runs in the child before exec (start_new_session gives it its own process group):
    # SIGKILL on parent death, so nothing survives a killed driver (e.g. a ctest timeout).
    if _libc is not None:
        _libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


class Failed(Exception):
    """A fatal expectation failed; the test stops here."""


class Skipped(Exception):
    """The environment cannot run this test (e.g. no IPv6 loopback, no sipp)."""


# --------------------------------------------------------------------------- ports

def _proc_net_bound(port: int, proto: str) -> bool:
    files = {"udp": ("/proc/net/udp", "/proc/net/udp6"), "tcp": ("/proc/net/tcp", "/proc/net/tcp6")}
    want = ":%04X" % port
    for fn in files[proto]:
        try:
            with open(fn) as f:
                next(f)
                for line in f:
                    parts = line.split()
                    if parts[1].endswith(want) and (proto == "udp" or parts[3] == "0A"):
                        return True
        except OSError:
            pass
    return False


def wait_bound(port: int, proto: str = "udp", timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _proc_net_bound(port, proto):
            return True
        time.sleep(0.05)
    return False


def free_port(host: str = "127.0.0.1") -> int:
    """A port free on host for both UDP and TCP (bind to 0, check the other protocol)."""
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    for _ in range(50):
        t = socket.socket(fam, socket.SOCK_STREAM)
        u = socket.socket(fam, socket.SOCK_DGRAM)
        try:
            t.bind((host, 0))
            port = t.getsockname()[1]
            try:
                u.bind((host, port))
            except OSError:
                continue
            return port
        finally:
            t.close()
            u.close()
    raise Failed("could not find a free port on %s" % host)


def ipv6_available() -> bool:
    try:
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        s.bind(("::1", 0))
        s.close()
        return True
    except OSError:
        return False


def hostport(host: str, port: int) -> str:
    return "[%s]:%d" % (host, port) if ":" in host else "%s:%d" % (host, port)


# --------------------------------------------------------------------------- context

def tail(path: Path, lines: int = 25, max_bytes: int = 64 * 1024, width: int = 240) -> str:
    """Last lines of a log, readable: SIPp screen escapes removed, SIPp's error log split at
    its timestamps (it writes no newline between events), long lines cut."""
    try:
        with open(path, "rb") as f:
            f.seek(0, 2)
            size = f.tell()
            f.seek(max(0, size - max_bytes))
            data = f.read().decode("utf-8", "replace")
    except OSError as e:
        return "<%s>" % e
    data = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", data)
    data = re.sub(r"(?<!\n)(\d{4}-\d\d-\d\d\t\d\d:\d\d:\d\d\.\d+\t)", r"\n\1", data)
    out = [l if len(l) <= width else l[:width] + "..." for l in data.splitlines()
           if l.strip() and not set(l.strip()) <= set("-+|")]
    return "\n".join(out[-lines:])


def udp_rcvbuf_errors() -> int:
    """System-wide count of UDP datagrams dropped on full socket receive buffers (v4 + v6)."""
    total = 0
    try:
        with open("/proc/net/snmp") as f:
            rows = [l.split() for l in f if l.startswith("Udp:")]
        if len(rows) >= 2:
            total += int(dict(zip(rows[0], rows[1])).get("RcvbufErrors", 0))
        with open("/proc/net/snmp6") as f:
            for l in f:
                k, _, v = l.partition(" ")
                if k == "Udp6RcvbufErrors":
                    total += int(v.strip() or 0)
    except (OSError, ValueError):
        pass
    return total


class Proc:
    """A child process in its own process group, with its output in files."""

    def __init__(self, ctx: "Ctx", name: str, argv: list[str], cwd: Path | None = None):
        self.ctx, self.name, self.argv = ctx, name, argv
        self.stdout_path = ctx.dir / ("%s.stdout" % name)
        self.stderr_path = ctx.dir / ("%s.stderr" % name)
        self.extra_logs: list[Path] = []
        self.rc: int | None = None
        ctx.log("start %s: %s" % (name, " ".join(argv)))
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                      cwd=str(cwd or ctx.dir), start_new_session=True,
                                      preexec_fn=_child_setup)
        ctx.procs.append(self)

    def alive(self) -> bool:
        return self.p.poll() is None

    def wait(self, timeout: float) -> int | None:
        try:
            self.rc = self.p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        return self.rc

    def signal_group(self, sig: int) -> None:
        try:
            os.killpg(self.p.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 5.0) -> int | None:
        """Signal the leader, wait; SIGKILL the whole group if it lingers. Returns rc or None."""
        if self.alive():
            try:
                self.p.send_signal(sig)
            except ProcessLookupError:
                pass
            rc = self.wait(timeout)
        else:
            rc = self.p.returncode
        self.signal_group(signal.SIGKILL)  # leftovers of the group (Kamailio children)
        if rc is None:
            self.p.kill()
            self.p.wait()
            return None
        self.rc = rc
        return rc

    def report(self, lines: int = 20) -> str:
        parts = []
        for pth in [self.stderr_path] + self.extra_logs + [self.stdout_path]:
            if pth.exists() and pth.stat().st_size:
                parts.append("---- %s (%s) last lines:\n%s" % (self.name, pth.name, tail(pth, lines)))
        return "\n".join(parts) if parts else "---- %s: no output" % self.name


class Ctx:
    """Per-test state: temp dir, children, sockets, failures. Use as a context manager."""

    def __init__(self, args: argparse.Namespace, case: str):
        self.args, self.case = args, case
        self.dir = Path(tempfile.mkdtemp(prefix="tandem-it-%s-" % case))
        self.procs: list[Proc] = []
        self.closers: list = []
        self.peers: list = []
        self.failures: list[str] = []
        self.notes: list[str] = []
        self.t0 = time.monotonic()
        self.udp_drops0 = udp_rcvbuf_errors()

    def log(self, msg: str) -> None:
        if self.args.verbose:
            print("[%6.2fs] %s" % (time.monotonic() - self.t0, msg), flush=True)

    def note(self, msg: str) -> None:
        self.notes.append(msg)
        print("  note: %s" % msg, flush=True)

    def check(self, ok: bool, msg: str) -> bool:
        if not ok:
            self.failures.append(msg)
            print("  FAIL: %s" % msg, flush=True)
        else:
            self.log("ok: %s" % msg)
        return ok

    def require(self, ok: bool, msg: str) -> None:
        if not self.check(ok, msg):
            raise Failed(msg)

    def cleanup(self) -> None:
        for c in reversed(self.closers):
            try:
                c()
            except Exception:  # cleanup must go on
                pass
        for p in self.procs:
            if p.alive():
                p.stop(signal.SIGKILL, 2.0)
            p.signal_group(signal.SIGKILL)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.cleanup()
        return False


# --------------------------------------------------------------------------- SIP messages

COMPACT = {"v": "via", "f": "from", "t": "to", "i": "call-id", "m": "contact", "l": "content-length",
           "c": "content-type", "k": "supported", "s": "subject", "e": "content-encoding"}


class SipMsg:
    """A parsed SIP message, lenient: enough to inspect what the edge sent."""

    def __init__(self, raw: bytes):
        self.raw = raw
        head, sep, body = raw.partition(b"\r\n\r\n")
        if not sep:
            head, sep, body = raw.partition(b"\n\n")
        self.body = body
        lines = head.decode("utf-8", "replace").replace("\r\n", "\n").split("\n")
        self.first = lines[0] if lines else ""
        self.headers: list[tuple[str, str]] = []
        for line in lines[1:]:
            if line[:1] in (" ", "\t") and self.headers:
                n, v = self.headers[-1]
                self.headers[-1] = (n, v + " " + line.strip())
                continue
            n, _, v = line.partition(":")
            n = n.strip().lower()
            self.headers.append((COMPACT.get(n, n), v.strip()))
        parts = self.first.split(" ", 2)
        self.is_response = self.first.startswith("SIP/2.0 ")
        self.status = int(parts[1]) if self.is_response and len(parts) > 1 and parts[1].isdigit() else None
        self.method = None if self.is_response else (parts[0] if parts else None)
        self.ruri = parts[1] if not self.is_response and len(parts) > 1 else None

    def all(self, name: str) -> list[str]:
        name = COMPACT.get(name.lower(), name.lower())
        return [v for n, v in self.headers if n == name]

    def get(self, name: str) -> str | None:
        v = self.all(name)
        return v[0] if v else None

    def vias(self) -> list[str]:
        out = []
        for v in self.all("via"):
            out.extend(x.strip() for x in v.split(","))
        return out

    def cseq(self) -> tuple[int | None, str | None]:
        v = (self.get("cseq") or "").split()
        if len(v) != 2 or not v[0].isdigit():
            return None, None
        return int(v[0]), v[1]

    def to_tag(self) -> str | None:
        m = re.search(r";\s*tag=([^;>\s]+)", self.get("to") or "")
        return m.group(1) if m else None

    def brief(self) -> str:
        return "%r (Call-ID %s, CSeq %s)" % (self.first, self.get("call-id"), self.get("cseq"))


def via_branch(via: str) -> str | None:
    m = re.search(r";\s*branch=([^;,\s]+)", via)
    return m.group(1) if m else None


def new_branch() -> str:
    return "z9hG4bK-it-%x" % random.getrandbits(48)


def new_callid() -> str:
    return "it-%x@tandem.test" % random.getrandbits(64)


def build_request(method: str, ruri: str, src: "SipPeer", call_id: str | None = None, cseq: int = 1,
                  branch: str | None = None, from_tag: str = "itfrom1", to_uri: str | None = None,
                  to_tag: str | None = None, max_forwards: int | None = 70,
                  extra: list[str] | None = None, body: bytes = b"", cseq_method: str | None = None,
                  transport: str = "UDP") -> bytes:
    to_uri = to_uri or ruri
    h = ["%s %s SIP/2.0" % (method, ruri),
         "Via: SIP/2.0/%s %s;branch=%s;rport" % (transport, src.hostport, branch or new_branch()),
         "From: <sip:it@%s>;tag=%s" % (src.hostport, from_tag),
         "To: <%s>%s" % (to_uri, ";tag=%s" % to_tag if to_tag else ""),
         "Call-ID: %s" % (call_id or new_callid()),
         "CSeq: %d %s" % (cseq, cseq_method or method)]
    if max_forwards is not None:
        h.append("Max-Forwards: %d" % max_forwards)
    h.append("Contact: <sip:it@%s>" % src.hostport)
    h.extend(extra or [])
    if body:
        h.append("Content-Type: application/sdp")
    h.append("Content-Length: %d" % len(body))
    return ("\r\n".join(h) + "\r\n\r\n").encode() + body


def build_response(req: SipMsg, status: int, reason: str, to_tag: str | None = "itto1",
                   extra: list[str] | None = None, copy_rr: bool = False, body: bytes = b"") -> bytes:
    h = ["SIP/2.0 %d %s" % (status, reason)]
    h += ["Via: %s" % v for v in req.all("via")]
    if copy_rr:
        h += ["Record-Route: %s" % v for v in req.all("record-route")]
    h.append("From: %s" % req.get("from"))
    to = req.get("to") or ""
    if to_tag and ";tag=" not in to.replace(" ", ""):
        to += ";tag=%s" % to_tag
    h.append("To: %s" % to)
    h.append("Call-ID: %s" % req.get("call-id"))
    h.append("CSeq: %s" % req.get("cseq"))
    h.extend(extra or [])
    if body:
        h.append("Content-Type: application/sdp")
    h.append("Content-Length: %d" % len(body))
    return ("\r\n".join(h) + "\r\n\r\n").encode() + body


SDP = (b"v=0\r\no=it 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
       b"m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")


class SipPeer:
    """A UDP socket speaking SIP from python; a thread keeps every datagram it receives."""

    def __init__(self, ctx: Ctx, name: str, host: str = "127.0.0.1", port: int = 0):
        self.ctx, self.name, self.host = ctx, name, host
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(fam, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.sock.bind((host, port))
        self.port = self.sock.getsockname()[1]
        self.hostport = hostport(host, self.port)
        self.received: list[tuple[float, bytes, tuple]] = []
        self.cv = threading.Condition()
        self.auto = None  # optional callable(peer, SipMsg, addr) run on the receive thread
        self.closed = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        ctx.closers.append(self.close)
        if name != "probe":
            ctx.peers.append(self)

    def _run(self):
        while not self.closed:
            try:
                data, addr = self.sock.recvfrom(70000)
            except OSError:
                return
            if addr is None or self.closed:  # shutdown() wakes recvfrom with no sender
                return
            with self.cv:
                self.received.append((time.monotonic(), data, addr))
                self.cv.notify_all()
            if self.auto:
                try:
                    self.auto(self, SipMsg(data), addr)
                except Exception:
                    traceback.print_exc()

    def close(self):
        self.closed = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()

    def send(self, data: bytes, addr: tuple) -> None:
        self.ctx.log("%s -> %s: %r" % (self.name, addr, data[:80]))
        self.sock.sendto(data, addr)

    def timeline(self, last: int = 15) -> str:
        """What this peer received, one line each: time since test start, source, first line,
        Call-ID / CSeq / top Via branch: enough to see what the edge sent where."""
        with self.cv:
            rec = list(self.received)
        out = []
        for t, d, addr in rec[-last:]:
            m = SipMsg(d)
            br = via_branch(m.vias()[0]) if m.vias() else None
            out.append("  %7.3fs from %s: %s | Call-ID %s | CSeq %s | branch %s"
                       % (t - self.ctx.t0, hostport(addr[0], addr[1]), m.first[:60],
                          m.get("call-id"), m.get("cseq"), br))
        more = " (last %d of %d)" % (last, len(rec)) if len(rec) > last else ""
        return "---- python peer %s (%s) received%s:\n%s" % (
            self.name, self.hostport, more, "\n".join(out) if out else "  nothing")

    def mark(self) -> int:
        with self.cv:
            return len(self.received)

    def messages(self, since: int = 0) -> list[SipMsg]:
        with self.cv:
            return [SipMsg(d) for _, d, _ in self.received[since:]]

    def wait_for(self, pred, timeout: float, since: int = 0):
        """First message after index since for which pred(SipMsg) holds, or None."""
        deadline = time.monotonic() + timeout
        idx = since
        with self.cv:
            while True:
                while idx < len(self.received):
                    _, d, addr = self.received[idx]
                    idx += 1
                    m = SipMsg(d)
                    m.src = addr
                    m.index = idx
                    if pred(m):
                        return m
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.cv.wait(left)


def is_resp(call_id: str, method: str | None = None, final: bool | None = None):
    def pred(m: SipMsg) -> bool:
        if not m.is_response or m.get("call-id") != call_id:
            return False
        if method and m.cseq()[1] != method:
            return False
        if final is True and (m.status or 0) < 200:
            return False
        if final is False and (m.status or 0) >= 200:
            return False
        return True
    return pred


def is_req(method: str, call_id: str | None = None):
    return lambda m: (not m.is_response and m.method == method
                      and (call_id is None or m.get("call-id") == call_id))


# --------------------------------------------------------------------------- edge

def toml_str(s: str) -> str:
    return json.dumps(s)  # a JSON string of printable ASCII is a TOML basic string


def toml_keys(keys: dict) -> str:
    """key = value lines (bool, number or string values)."""
    def val(v):
        if isinstance(v, (list, tuple)):
            return "[%s]" % ", ".join(val(x) for x in v)
        if isinstance(v, bool):
            return "true" if v else "false"
        return str(v) if isinstance(v, (int, float)) else toml_str(str(v))
    return "".join("%s = %s\n" % (k, val(v)) for k, v in keys.items())


class EdgeBase:
    """What the tests need from an edge: addresses, start (until it answers OPTIONS), stop."""

    def __init__(self, ctx: Ctx, host: str = "127.0.0.1", udp: bool = True, tcp: bool = False,
                 backends: list[str] = (), domains: list[str] = (), trusted: list[str] | None = None,
                 record_route: bool = True, algorithm: int = 4, t1: int = 500, t2: int = 4000,
                 fr_timer: int = 2000, fr_inv_timer: int = 30000, dispatcher: dict | None = None,
                 sections: dict | None = None):
        self.ctx, self.host = ctx, host
        # tandem only: more [dispatcher] keys (ping_interval, ...), and more sections
        # ({"control": {"listen": ...}, "dialog": {...}}), written as TOML values
        self.dispatcher_keys = dict(dispatcher or {})
        self.sections = {k: dict(v) for k, v in (sections or {}).items()}
        self.port = free_port(host)
        self.udp, self.tcp = udp, tcp
        self.backends = list(backends)
        self.domains = list(domains)
        self.trusted = ["127.0.0.0/8", "::1/128"] if trusted is None else list(trusted)
        self.record_route, self.algorithm = record_route, algorithm
        self.timers = dict(t1=t1, t2=t2, fr_timer=fr_timer, fr_inv_timer=fr_inv_timer)
        self.proc: Proc | None = None
        self.stats: dict[str, int] | None = None
        self.ds_list = ctx.dir / "dispatcher.list"
        with open(self.ds_list, "w") as f:
            f.write("# setid destination flags priority attrs\n")
            for uri in self.backends:
                f.write("1 %s 0 0\n" % uri)

    @property
    def addr(self) -> tuple:
        return (self.host, self.port)

    @property
    def hostport(self) -> str:
        return hostport(self.host, self.port)

    def listeners(self) -> list[str]:
        out = []
        if self.udp:
            out.append("udp:%s" % self.hostport)
        if self.tcp:
            out.append("tcp:%s" % self.hostport)
        return out

    def wait_ready(self, timeout: float = 10.0) -> None:
        """Poll with OPTIONS (to the edge itself, no To tag) until a 200 comes back."""
        peer = SipPeer(self.ctx, "probe", self.host)
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if self.proc and not self.proc.alive():
                raise Failed("edge exited during startup with rc=%s (its stderr is below)"
                             % self.proc.p.returncode)
            cid = new_callid()
            mark = peer.mark()
            peer.send(build_request("OPTIONS", "sip:%s" % self.hostport, peer, call_id=cid), self.addr)
            m = peer.wait_for(is_resp(cid, final=True), 0.2, mark)
            if m is not None:
                last = m
                if m.status == 200:
                    self.ctx.log("edge ready: %s" % m.first)
                    peer.close()
                    return
        peer.close()
        raise Failed("edge on %s did not answer OPTIONS with 200 within %.0fs (last answer: %s)"
                     % (self.hostport, timeout, last.first if last else "none"))

    def wait_tcp(self) -> None:
        if self.tcp and not wait_bound(self.port, "tcp", 3.0):
            raise Failed("edge answers on udp:%s but does not listen on tcp:%s" % (self.hostport,
                                                                               self.hostport))

    def stop(self) -> None:
        raise NotImplementedError


class TandemEdge(EdgeBase):
    def start(self) -> "TandemEdge":
        cfg = self.ctx.dir / "edge.toml"
        t = self.timers
        cfg.write_text(
            "# written by tests/integration/harness.py\n"
            "[edge]\n"
            "listen = [%s]\n" % ", ".join(toml_str(x) for x in self.listeners())
            + "domains = [%s]\n" % ", ".join(toml_str(x) for x in self.domains)
            + "trusted = [%s]\n" % ", ".join(toml_str(x) for x in self.trusted)
            + "record_route = %s\n" % ("true" if self.record_route else "false")
            + "\n[dispatcher]\nlist_file = %s\nset = 1\nalgorithm = %d\n"
            % (toml_str(str(self.ds_list)), self.algorithm)
            + toml_keys(self.dispatcher_keys)
            + "\n[timers]\nt1 = %d\nt2 = %d\nfr_timer = %d\nfr_inv_timer = %d\n"
            % (t["t1"], t["t2"], t["fr_timer"], t["fr_inv_timer"])
            + "".join("\n[%s]\n%s" % (name, toml_keys(keys))
                      for name, keys in self.sections.items()))
        self.proc = Proc(self.ctx, "edge", [self.ctx.args.tandem, "edge", "-c", str(cfg)])
        self.wait_ready()
        self.wait_tcp()
        return self

    def stop(self) -> None:
        """SIGTERM: the edge must exit 0 and print its final stats line."""
        if not self.proc:
            return
        rc = self.proc.stop(signal.SIGTERM, 10.0)
        self.ctx.check(rc == 0, "edge must exit 0 on SIGTERM within 10 s (rc=%s)" % rc)
        text = self.proc.stderr_path.read_text(errors="replace")
        lines = [l for l in text.splitlines() if "tandem edge stopped" in l]
        if self.ctx.check(bool(lines), "edge must print 'tandem edge stopped: stats ...' on SIGTERM"):
            self.stats = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", lines[-1])}
            self.ctx.log("edge stats: %s" % self.stats)


class KamailioEdge(EdgeBase):
    """Kamailio with the bench's dispatcher config, as a reference to validate the tests."""

    def start(self) -> "KamailioEdge":
        t = self.timers
        listen = "\n".join("listen=%s" % x for x in self.listeners())
        aliases = "\n".join("alias=%s" % d for d in self.domains)
        trusted = " || ".join("src_ip==%s" % n for n in self.trusted) or "false"
        cfg = KAMAILIO_CFG % dict(listen=listen, aliases=aliases, fr=t["fr_timer"],
                                  fr_inv=t["fr_inv_timer"], ds=self.ds_list, alg=self.algorithm,
                                  trusted=trusted,
                                  # one worker by default: Kamailio's workers race and reorder
                                  # 180/200 now and then; set more to see it
                                  children=int(os.environ.get("TANDEM_IT_KAMAILIO_CHILDREN", "1")),
                                  rr="record_route();" if self.record_route else "")
        path = self.ctx.dir / "kamailio.cfg"
        path.write_text(cfg)
        exe = shutil.which("kamailio") or "/usr/sbin/kamailio"
        self.proc = Proc(self.ctx, "edge", [exe, "-DD", "-E", "-m", "64", "-M", "8", "-f", str(path),
                                            "-w", str(self.ctx.dir)])
        self.wait_ready()
        self.wait_tcp()
        return self

    def stop(self) -> None:
        if self.proc:
            self.proc.stop(signal.SIGTERM, 5.0)


KAMAILIO_CFG = """#!KAMAILIO
debug=1
log_stderror=yes
fork=yes
children=%(children)d
tcp_children=1
auto_aliases=no
%(listen)s
%(aliases)s
mpath="/usr/lib/x86_64-linux-gnu/kamailio/modules/"
loadmodule "tm.so"
loadmodule "tmx.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "xlog.so"
loadmodule "sanity.so"
loadmodule "dispatcher.so"
modparam("tm", "fr_timer", %(fr)d)
modparam("tm", "fr_inv_timer", %(fr_inv)d)
modparam("dispatcher", "list_file", "%(ds)s")
modparam("dispatcher", "flags", 2)
modparam("dispatcher", "ds_ping_interval", 0)
request_route {
  if (!sanity_check("1511", "7")) { exit; }
  if (is_method("OPTIONS") && uri==myself && !has_totag()) { sl_send_reply("200","OK"); exit; }
  if (!mf_process_maxfwd_header("10")) { sl_send_reply("483","Too Many Hops"); exit; }
  if (is_method("CANCEL")) { if (t_check_trans()) t_relay(); exit; }
  if (!is_method("ACK")) { if (t_precheck_trans()) { t_check_trans(); exit; } t_check_trans(); }
  if (has_totag()) {
    if (loose_route()) { t_relay(); exit; }
    if (is_method("ACK")) { if (t_check_trans()) { t_relay(); } exit; }
    sl_send_reply("404","Not here"); exit;
  }
  if (!(uri==myself) && !(%(trusted)s)) { sl_send_reply("403","Relaying Forbidden"); exit; }
  if (is_method("INVITE|SUBSCRIBE")) { %(rr)s }
  if (!ds_select_dst("1", "%(alg)d")) { sl_send_reply("503","Service Unavailable"); exit; }
  t_on_failure("DISPATCH_FAILURE");
  if (!t_relay()) sl_reply_error();
  exit;
}
failure_route[DISPATCH_FAILURE] {
  if (t_is_canceled()) exit;
  if (t_check_status("408|5[0-9][0-9]") || t_branch_timeout()) {
    if (ds_next_dst()) { t_on_failure("DISPATCH_FAILURE"); t_relay(); exit; }
  }
}
"""


def make_edge(ctx: Ctx, **kw) -> EdgeBase:
    cls = KamailioEdge if ctx.args.impl == "kamailio" else TandemEdge
    return cls(ctx, **kw)


# --------------------------------------------------------------------------- SIPp

SIPP = shutil.which("sipp") or "/usr/bin/sipp"


def read_sipp_stats(path: Path) -> dict[str, str] | None:
    """Last row of a SIPp -trace_stat csv, keyed by column name."""
    try:
        with open(path, newline="") as f:
            rows = [r for r in csv.reader(f, delimiter=";") if r]
    except OSError:
        return None
    if len(rows) < 2:
        return None
    return dict(zip(rows[0], rows[-1]))


def _num(d: dict | None, key: str) -> int:
    try:
        return int(float((d or {}).get(key, "0") or 0))
    except ValueError:
        return 0


class Sipp(Proc):
    """One SIPp instance in the foreground, stats, errors and screen traced into the temp dir."""

    def __init__(self, ctx: Ctx, name: str, scenario: str, host: str, port: int,
                 remote: str | None = None, transport: str = "u1", extra: list[str] | None = None):
        if not os.path.exists(SIPP):
            raise Skipped("sipp not installed")
        self.stat_path = ctx.dir / ("%s_stat.csv" % name)
        self.err_path = ctx.dir / ("%s_errors.log" % name)
        self.screen_path = ctx.dir / ("%s_screen.log" % name)
        self.port = port
        argv = [SIPP, "-sf", str(SIPP_DIR / scenario), "-i", host, "-p", str(port), "-t", transport,
                "-nostdin", "-trace_stat", "-stf", str(self.stat_path), "-fd", "1",
                "-trace_err", "-error_file", str(self.err_path),
                "-trace_screen", "-screen_file", str(self.screen_path), "-trace_counts",
                "-max_recv_loops", "1000", "-max_sched_loops", "1000",
                # big socket buffers: a SIPp stalled by a busy machine must not drop datagrams
                "-buff_size", str(4 << 20)]
        argv += extra or []
        if remote:
            argv.append(remote)
        super().__init__(ctx, name, argv)
        self.extra_logs = [self.err_path]
        # -trace_counts has no file option: SIPp writes <scenario>_<pid>_counts.csv in its cwd.
        self.counts_path = ctx.dir / ("%s_%d_counts.csv" % (Path(scenario).stem, self.p.pid))

    def stats(self) -> dict[str, str] | None:
        return read_sipp_stats(self.stat_path)

    def report(self, lines: int = 20) -> str:
        """SIPp's stderr and first error events; its screen (stdout) only names the file."""
        parts = ["---- %s (%s)" % (self.name, " ".join(os.path.basename(a) for a in self.argv[1:3]))]
        if self.stderr_path.exists() and self.stderr_path.stat().st_size:
            parts.append(tail(self.stderr_path, 6))
        ex = self.error_excerpt(events=1, lines_per_event=8)
        if ex:
            parts.append(ex)
        parts.append("(stats %s, screen %s)" % (self.stat_path.name, self.screen_path.name))
        return "\n".join(parts)

    def counts(self) -> dict[str, int]:
        d = self.stats()
        inc = _num(d, "IncomingCall(C)") - _num(d, "AutoAnswered(C)")  # -aa OPTIONS count as calls
        return {"incoming": inc, "outgoing": _num(d, "OutgoingCall(C)"),
                "successful": _num(d, "SuccessfulCall(C)"), "failed": _num(d, "FailedCall(C)"),
                "unexpected": _num(d, "FailedUnexpectedMessage(C)"),
                "retrans": _num(d, "Retransmissions(C)"), "dead": _num(d, "DeadCallMsgs(C)"),
                "recv_timeout": _num(d, "FailedTimeoutOnRecv(C)"),
                "max_udp_retrans": _num(d, "FailedMaxUDPRetrans(C)")}

    def msg_count(self, suffix: str) -> int:
        """Sum of the per-message counters named <index>_<suffix> (e.g. "ACK_Recv")."""
        d = read_sipp_stats(self.counts_path) or {}
        return sum(_num(d, k) for k in d if re.fullmatch(r"\d+_" + re.escape(suffix), k))

    def screen_counts(self) -> tuple[int | None, int | None]:
        """Successful/Failed cumulative values from the screen file (fallback for the csv)."""
        try:
            text = self.screen_path.read_text(errors="replace")
        except OSError:
            return None, None
        def last(label):
            vals = re.findall(r"%s\s*\|[^|]*\|\s*(\d+)" % label, text)
            return int(vals[-1]) if vals else None
        return last("Successful call"), last("Failed call")

    def error_excerpt(self, events: int = 2, lines_per_event: int = 14) -> str:
        """The first few events of SIPp's error log (each with the offending message), and a
        count of the kinds of event: the first failure is the one that explains the others."""
        try:
            data = self.err_path.read_text(errors="replace")
        except OSError:
            return ""
        evs = [e.strip() for e in re.split(r"(?=\d{4}-\d\d-\d\d\t\d\d:\d\d:\d\d\.\d+\t)", data)
               if e.strip() and not e.startswith("The following events")]
        evs = [e for e in evs if "Automatic response mode" not in e]  # -aa OPTIONS: not errors
        if not evs:
            return ""
        kinds: dict[str, int] = {}
        for e in evs:
            k = re.sub(r"^[\d\-\t:. ]+", "", e.splitlines()[0])
            k = re.sub(r"'?[^\s']+@[^\s',)]+'?", "X", k)  # Call-IDs
            k = k[:140]
            kinds[k] = kinds.get(k, 0) + 1
        out = ["%d error events; kinds: %s" % (len(evs), "; ".join(
            "%dx %s" % (n, k) for k, n in sorted(kinds.items(), key=lambda kv: -kv[1])[:4]))]
        for e in evs[:events]:
            ls = [l.rstrip() for l in e.splitlines() if l.strip()]
            out.append("\n".join(ls[:lines_per_event]) + ("\n..." if len(ls) > lines_per_event else ""))
        return "\n".join(out)


class SippUAS(Sipp):
    def __init__(self, ctx: Ctx, name: str, scenario: str, host: str = "127.0.0.1",
                 transport: str = "u1", extra: list[str] | None = None):
        port = free_port(host)
        super().__init__(ctx, name, scenario, host, port, None, transport, ["-aa"] + (extra or []))
        proto = "tcp" if transport.startswith("t") else "udp"
        if not wait_bound(port, proto, 5.0):
            raise Failed("backend %s did not bind %s port %d\n%s" % (name, proto, port, self.report()))
        self.uri = "sip:%s%s" % (hostport(host, port), ";transport=tcp" if proto == "tcp" else "")

    def finish(self, grace: float = 0.5) -> dict[str, int]:
        """Let in-flight messages land, stop SIPp (it writes its final stats on SIGTERM)."""
        return finish_all([self], grace)[0]


def finish_all(backends: list["SippUAS"], grace: float = 0.5) -> list[dict[str, int]]:
    time.sleep(grace)
    for b in backends:
        if b.alive():
            b.p.send_signal(signal.SIGTERM)
    for b in backends:
        b.stop(signal.SIGTERM, 5.0)
    return [b.counts() for b in backends]


class SippUAC(Sipp):
    def __init__(self, ctx: Ctx, name: str, scenario: str, remote: str, calls: int, rate: float,
                 limit: int, timeout_s: int, host: str = "127.0.0.1", transport: str = "u1",
                 recv_timeout_ms: int = 10000, extra: list[str] | None = None):
        port = free_port(host)
        self.calls, self.timeout_s = calls, timeout_s
        argv = ["-m", str(calls), "-r", str(rate), "-l", str(limit), "-d", "0",
                "-timeout", "%ds" % timeout_s, "-timeout_error",
                "-recv_timeout", str(recv_timeout_ms)] + (extra or [])
        super().__init__(ctx, name, scenario, host, port, remote, transport, argv)

    def run(self) -> dict:
        rc = self.wait(self.timeout_s + 20)
        if rc is None:
            self.stop(signal.SIGKILL)
            rc = "killed (hung past -timeout)"
        c = self.counts()
        ok, bad = c["successful"], c["failed"]
        if not self.stat_path.exists():
            ok, bad = self.screen_counts()
        c.update(rc=rc, ok=ok, bad=bad)
        return c


def check_caller(ctx: Ctx, uac: SippUAC, res: dict) -> None:
    """Caller exit code 0 and every call successful; on failure show SIPp's own account."""
    good = (res["rc"] == 0 and res["ok"] == uac.calls and res["bad"] == 0)
    detail = ("sipp caller rc=%s successful=%s failed=%s of %d (unexpected msg=%d, recv timeouts=%d, "
              "max udp retrans=%d, retransmissions=%d)"
              % (res["rc"], res["ok"], res["bad"], uac.calls, res["unexpected"], res["recv_timeout"],
                 res["max_udp_retrans"], res["retrans"]))
    if not ctx.check(good, "all calls must succeed: " + detail):
        ex = uac.error_excerpt()
        if ex:
            print("  caller's unexpected messages (%s):\n%s" % (uac.err_path.name, indent(ex)))
    else:
        print("  %s" % detail)


def check_backend(ctx: Ctx, b: SippUAS, c: dict, what: str = "") -> None:
    """A backend finished every call it got (no unexpected message, no stuck call)."""
    good = c["failed"] == 0 and c["successful"] == c["incoming"]
    ctx.check(good, "backend %s%s must complete every call it got: incoming=%d successful=%d failed=%d "
              "(unexpected msg=%d)" % (b.name, what, c["incoming"], c["successful"], c["failed"],
                                       c["unexpected"]))
    if not good:
        ex = b.error_excerpt()
        if ex:
            print("  %s's unexpected messages:\n%s" % (b.name, indent(ex)))


def indent(s: str, pre: str = "    ") -> str:
    return "\n".join(pre + l for l in s.splitlines())


# --------------------------------------------------------------------------- main

def main(cases: dict, description: str) -> None:
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--tandem", help="path of the tandem binary")
    ap.add_argument("--case", required=True, choices=sorted(cases) + ["all"])
    ap.add_argument("--impl", choices=["tandem", "kamailio"], default="tandem",
                    help="edge under test; kamailio is the reference used to validate the tests")
    ap.add_argument("--direct", action="store_true",
                    help="no edge: point the caller at the backend (validates SIPp scenarios)")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir even on success")
    ap.add_argument("--verbose", "-v", action="store_true")
    ap.add_argument("--scale", type=float, default=1.0, help="multiply call counts (quick runs)")
    args = ap.parse_args()
    if args.impl == "tandem" and not args.direct and not args.tandem:
        ap.error("--tandem is required (or --impl kamailio / --direct)")
    if args.tandem:
        args.tandem = os.path.abspath(args.tandem)
    names = sorted(cases) if args.case == "all" else [args.case]
    rc = 0
    for name in names:
        rc = max(rc, run_case(args, name, cases[name]))
    sys.exit(rc)


def run_case(args, name: str, fn) -> int:
    # Ctest kills with SIGKILL at its TIMEOUT, SIGTERM/SIGINT from a user: unwind either way.
    def on_signal(sig, _frame):
        raise Failed("interrupted by signal %d" % sig)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    label = "%s%s" % (name, " (direct)" if args.direct else
                      " (kamailio reference)" if args.impl == "kamailio" else "")
    print("== %s" % label, flush=True)
    ctx = Ctx(args, name)
    status = 0
    try:
        with ctx:
            fn(ctx)
    except Skipped as e:
        print("SKIP %s: %s" % (label, e))
        shutil.rmtree(ctx.dir, ignore_errors=True)
        return SKIP
    except Failed as e:
        if str(e) not in ctx.failures:
            ctx.failures.append(str(e))
            print("  FAIL: %s" % e)
    except Exception:
        ctx.failures.append("harness error:\n" + traceback.format_exc())
        print(ctx.failures[-1])
    elapsed = time.monotonic() - ctx.t0
    if ctx.failures:
        status = 1
        print("FAIL %s (%.1fs): %d problem(s)" % (label, elapsed, len(ctx.failures)))
        for f in ctx.failures:
            print("  - %s" % f.splitlines()[0])
        drops = udp_rcvbuf_errors() - ctx.udp_drops0
        if drops > 0:
            print("  note: %d UDP datagrams were dropped on full socket buffers on this machine "
                  "during the test (/proc/net/snmp RcvbufErrors): the machine was overloaded, "
                  "a lost ACK or response may be that and not the edge" % drops)
        silent = [p.name for p in ctx.peers if not p.mark()]
        for peer in ctx.peers:
            if peer.mark():
                print(peer.timeline())
        if silent:
            print("---- python peers that received nothing: %s" % ", ".join(silent))
        for p in ctx.procs:
            print(p.report(15))
        print("logs kept in %s" % ctx.dir)
    else:
        print("PASS %s (%.1fs)" % (label, elapsed))
        if not args.keep:
            shutil.rmtree(ctx.dir, ignore_errors=True)
        else:
            print("logs kept in %s" % ctx.dir)
    sys.stdout.flush()
    return status
