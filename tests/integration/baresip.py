# Driver of a real SIP phone for the integration tests: baresip (Debian's baresip-core), one
# process per phone with its own config dir, ports and control socket, cleaned up with the test.
"""A baresip user agent that registers (with digest auth) through the edge and takes calls.

    from baresip import Baresip
    phone = Baresip(ctx, "alice", user="alice", domain="tandem.test", password="secret",
                    proxy=edge.hostport).start()
    reg = phone.wait_registered(5)                # the REGISTER_OK event (raises Failed if not)
    ... INVITE sip:alice@tandem.test through the edge ...
    phone.wait_incoming_call(5); phone.wait_call_established(5)
    phone.hangup(); phone.wait_call_closed(5)
    phone.stop()                                  # SIGTERM: baresip unregisters, then exits

Everything runs as root on a headless machine with no sound card: the audio source is a sine
(module ausine) or a WAV written here (module aufile), the player is an unconnected aubridge
device, which swallows what it is given. baresip is driven and watched through its ctrl_tcp
module (JSON in netstrings on a loopback TCP port): commands go in, UA events come out. Its
stdout (with a SIP trace, -s) goes to <ctx.dir>/<name>.stdout, shown by report() on failure.

Quirks of baresip 1.0.0 (Debian 12, baresip-core 1.0.0-4) found while writing this, which
shape the code below:

- sip_listen HOST:P also listens on TCP P+1 (TLS, sips): both P and P+1 must be free.
- The account is not written to the accounts file but added over ctrl_tcp (`uanew`) once the
  control socket is connected: a UA from the accounts file registers at start-up, before a
  client can connect, and its REGISTERING/REGISTER_OK/REGISTER_FAIL events would be lost.
  ("account: No SIP accounts found" in the log at start-up is therefore expected.)
- The Contact user is not the account user but "<user>-0x<address of the UA object>", e.g.
  <sip:alice-0x55d0c3a1e600@127.0.0.1:40123>; baresip also accepts requests whose R-URI user
  is the account user. With the uuid module the Contact carries +sip.instance="<urn:uuid:..>"
  (a new UUID per config dir, kept in <dir>/uuid).
- answermode=auto answers inside baresip and raises no CALL_INCOMING event (that event exists
  only for answermode=manual): an incoming call shows up as CALL_REMOTE_SDP ("offer") and
  CALL_LOCAL_SDP ("answer") events with direction "incoming", then CALL_ESTABLISHED after the
  ACK. wait_incoming_call() takes any call event of direction "incoming".
- ausine accepts only 48 kHz stereo (ausrc_srate 48000, ausrc_channels 2 make baresip resample
  it for G.711). When the audio source cannot start, an auto-answered call is never answered:
  baresip sends 180 Ringing and then nothing (the log says "start_source failed"). baresip sends
  180 Ringing before its 200 even with answermode=auto.
- aufile ends the call when the WAV file ends (the source reports "end of file", baresip
  closes the call with an audio error), and it wants the codec's rate: the WAV is 8 kHz mono
  16 bit (PCMU/PCMA), `wav_seconds` long. ausine never ends.
- With no player module connected to a source, "aubridge,<name>" is a null sink; alsa, oss,
  portaudio would need a sound card.
- baresip puts the address of the first network interface (eth0) into its SDP unless
  net_interface names one; 1.0.0 refuses "lo" ("could not get network address", exit 99) but
  takes an address: net_interface 127.0.0.1 keeps SDP and RTP on loopback.
- REGISTER_OK comes on every 2xx (also refreshes); a 401/407 is answered by the SIP stack
  itself and is not an event: only a final failure is (REGISTER_FAIL "403 Forbidden", or
  "401 Unauthorized" when the credentials are refused). A registrar that answers wrong
  credentials with a new 401 and a fresh nonce sees about 16 REGISTERs from baresip within a
  second before the REGISTER_FAIL "401 Unauthorized" (observed with the self-test registrar).
- On the first SIGTERM baresip unregisters (REGISTER with Expires: 0) and waits for the
  answer before it exits; if the registrar never answers, it waits until that transaction
  times out (so does a REGISTER still pending). A second SIGTERM makes it exit at once (exit
  code 0). stop() sends the second one after `timeout` seconds.
- transport="tcp" puts ;transport=tcp on the AOR, so the REGISTER's R-URI is
  sip:<domain>;transport=tcp and the Contact has ;transport=tcp.
- Events and log lines for calls carry the SIP Call-ID as "id".
- The ctrl_tcp commands (from the menu module): accept, hangup, dial <uri>, reginfo,
  listcalls, uanew <account line>, quit, ... Each gets a response {"response":true,"ok":..,
  "data":"<text>","token":..}; data is terminal text with ANSI colour escapes.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import signal
import socket
import struct
import threading
import time
import wave
from pathlib import Path

from harness import Ctx, Failed, Proc, Skipped, free_port, hostport, tail

BARESIP = shutil.which("baresip") or "/usr/bin/baresip"
MODULE_PATH = "/usr/lib/baresip/modules"

# Events that are about a call (they have "direction", "peeruri" and "id").
CALL_EVENTS = {"CALL_INCOMING", "CALL_RINGING", "CALL_PROGRESS", "CALL_ESTABLISHED", "CALL_CLOSED",
               "CALL_LOCAL_SDP", "CALL_REMOTE_SDP", "CALL_RTPESTAB", "CALL_RTCP", "CALL_MENC",
               "CALL_DTMF_START", "CALL_DTMF_END", "TRANSFER", "TRANSFER_FAILED"}


def _free_sip_port(host: str) -> int:
    """A port P free for UDP and TCP whose P+1 is free for TCP (baresip's TLS listener)."""
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    for _ in range(50):
        port = free_port(host)
        if port >= 65535:
            continue
        s = socket.socket(fam, socket.SOCK_STREAM)
        try:
            s.bind((host, port + 1))
            return port
        except OSError:
            continue
        finally:
            s.close()
    raise Failed("could not find two free consecutive ports on %s for baresip" % host)


def write_wav(path: Path, seconds: float, freq: float = 440.0, rate: int = 8000) -> Path:
    """A mono 16-bit WAV with a sine tone (the format aufile needs for PCMU/PCMA)."""
    n = int(seconds * rate)
    frames = b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * freq * i / rate)))
                      for i in range(n))
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(frames)
    return path


class Baresip:
    """One baresip process: a registered SIP phone that auto-answers.

    ctx         harness.Ctx (temp dir, process clean-up, -v timeline)
    name        label for logs and files (<ctx.dir>/<name>/ is its config dir)
    user, domain, password
                the account: AOR sip:user@domain, digest credentials user/password
                (auth_user overrides the digest user name)
    proxy       where every request goes: "host:port" or a "sip:..." URI (the edge); it becomes
                the account's outbound proxy (;outbound="sip:host:port"), so the REGISTER is sent
                there with R-URI sip:domain and a Route to the proxy
    host        local address to listen on (127.0.0.1 or ::1); a free port is picked
    transport   "udp" or "tcp" for the account and the outbound proxy
    regint      registration interval (Expires of the REGISTER), seconds
    answermode  "auto" (answer every call with 200), "manual" (call accept()), "early" (183)
    audio       "sine" (ausine, 440 Hz, endless) or "file" (aufile, a WAV of wav_seconds:
                baresip hangs up when it ends)
    register    False: no REGISTER (regint=0), for a phone that only places calls
    sip_trace   log every SIP message baresip sends and receives to its stdout (-s)
    extra       more account parameters, e.g. ";audio_codecs=pcma"
    """

    def __init__(self, ctx: Ctx, name: str = "baresip", *, user: str, domain: str, password: str,
                 proxy: str, host: str = "127.0.0.1", transport: str = "udp", regint: int = 600,
                 answermode: str = "auto", audio: str = "sine", wav_seconds: float = 30.0,
                 register: bool = True, auth_user: str | None = None, sip_trace: bool = True,
                 extra: str = ""):
        for what, v in (("user", user), ("domain", domain), ("password", password),
                        ("auth_user", auth_user or "")):
            # account parameters are ;name=value inside an address line: no quoting there
            if re.search(r"[\s;,<>\"]", v):
                raise ValueError("baresip %s %r: no spaces, ';', ',', '<', '>' or '\"' allowed"
                                 % (what, v))
        if transport not in ("udp", "tcp"):
            raise ValueError("transport must be udp or tcp, not %r" % transport)
        if answermode not in ("auto", "manual", "early"):
            raise ValueError("answermode must be auto, manual or early, not %r" % answermode)
        if audio not in ("sine", "file"):
            raise ValueError("audio must be sine or file, not %r" % audio)
        self.ctx, self.name = ctx, name
        self.user, self.domain, self.password = user, domain, password
        self.host, self.transport = host, transport
        self.aor = "sip:%s@%s" % (user, domain)
        self.proxy = proxy if proxy.startswith("sip:") else "sip:%s" % proxy
        if transport == "tcp" and "transport=" not in self.proxy:
            self.proxy += ";transport=tcp"
        self.regint = regint if register else 0
        self.answermode, self.audio, self.wav_seconds = answermode, audio, wav_seconds
        self.auth_user, self.sip_trace, self.extra = auth_user, sip_trace, extra
        self.dir = ctx.dir / name
        self.sip_port = 0
        self.ctrl_port = 0
        self.proc: Proc | None = None
        self.events: list[dict] = []        # every event, in arrival order (with "t": monotonic)
        self._responses: dict[str, dict] = {}
        self._token = 0
        self._cv = threading.Condition()
        self._sock: socket.socket | None = None
        self._reader: threading.Thread | None = None
        self._closed = False

    # ------------------------------------------------------------------ addresses

    @property
    def hostport(self) -> str:
        return hostport(self.host, self.sip_port)

    @property
    def uri(self) -> str:
        """Where baresip listens, with the account user (baresip accepts it as R-URI user)."""
        t = ";transport=tcp" if self.transport == "tcp" else ""
        return "sip:%s@%s%s" % (self.user, self.hostport, t)

    def account_line(self) -> str:
        t = ";transport=tcp" if self.transport == "tcp" else ""
        params = [";auth_pass=%s" % self.password, ';outbound="%s"' % self.proxy,
                  ";regint=%d" % self.regint, ";answermode=%s" % self.answermode]
        if self.auth_user:
            params.append(";auth_user=%s" % self.auth_user)
        return "<%s%s>%s%s" % (self.aor, t, "".join(params), self.extra)

    # ------------------------------------------------------------------ start / stop

    def _write_config(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        if self.audio == "file":
            wav = write_wav(self.dir / "source.wav", self.wav_seconds)
            source = "aufile,%s" % wav
        else:
            source = "ausine,440"
        conf = [
            "# written by tests/integration/baresip.py for %s" % self.aor,
            "poll_method\t\tepoll",
            # media on loopback: otherwise baresip puts the first interface's address into its
            # SDP (c=IN IP4 192.0.2.2 from eth0) and RTP to it would leave the loopback
            "net_interface\t\t%s" % self.host,
            "sip_listen\t\t%s" % self.hostport,
            "call_local_timeout\t120",
            "call_max_calls\t\t8",
            # no sound card: the player is an aubridge device nobody connects a source to
            "audio_player\t\taubridge,%s-play" % self.name,
            "audio_alert\t\taubridge,%s-alert" % self.name,
            "audio_source\t\t%s" % source,
        ] + ([
            # ausine only runs at 48 kHz stereo: baresip resamples it to the codec's 8 kHz mono
            "ausrc_srate\t\t48000",
            "ausrc_channels\t\t2",
        ] if self.audio == "sine" else []) + [
            "audio_level\t\tno",
            "rtp_stats\t\tno",
            # a DNS server on loopback: nothing here needs DNS, and nothing may leave the host
            "dns_server\t\t127.0.0.1:53",
            "module_path\t\t%s" % MODULE_PATH,
            "module\t\t\tg711.so",
            "module\t\t\taubridge.so",
            "module\t\t\t%s" % ("aufile.so" if self.audio == "file" else "ausine.so"),
            "module_tmp\t\tuuid.so",
            "module_tmp\t\taccount.so",
            "module_app\t\tmenu.so",      # the commands: accept, hangup, dial, uanew, ...
            "module_app\t\tctrl_tcp.so",  # JSON control socket: commands in, events out
            "ctrl_tcp_listen\t\t%s" % hostport(self.host, self.ctrl_port),
        ]
        (self.dir / "config").write_text("\n".join(conf) + "\n")
        # empty on purpose: the account is added with `uanew` once ctrl_tcp is connected
        (self.dir / "accounts").write_text("# account added over ctrl_tcp (uanew)\n")

    def start(self, timeout: float = 10.0) -> "Baresip":
        """Start baresip, connect to its control socket, add the account (which starts the
        registration unless register=False). Returns self."""
        if not os.path.exists(BARESIP):
            raise Skipped("baresip not installed (apt-get install baresip-core)")
        self.sip_port = _free_sip_port(self.host)
        self.ctrl_port = free_port(self.host)
        self._write_config()
        argv = [BARESIP, "-f", str(self.dir)] + (["-s"] if self.sip_trace else [])
        self.proc = Proc(self.ctx, self.name, argv, cwd=self.dir)
        self.ctx.closers.append(self._close_ctrl)
        self._connect(timeout)
        ok, data = self.command("uanew", self.account_line())
        if not ok or "Creating UA" not in data:
            raise Failed("%s: baresip refused the account line %r: %s\n%s"
                         % (self.name, self.account_line(), data.strip(), self.report()))
        self.ctx.log("%s: baresip listening on %s, account %s via %s"
                     % (self.name, self.hostport, self.aor, self.proxy))
        return self

    def _connect(self, timeout: float) -> None:
        fam = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if not self.proc.alive():
                raise Failed("%s: baresip exited at start-up with rc=%s\n%s"
                             % (self.name, self.proc.p.returncode, self.report()))
            s = socket.socket(fam, socket.SOCK_STREAM)
            try:
                s.connect((self.host, self.ctrl_port))
            except OSError as e:
                last = e
                s.close()
                time.sleep(0.05)
                continue
            self._sock = s
            self._reader = threading.Thread(target=self._read_loop, daemon=True)
            self._reader.start()
            return
        raise Failed("%s: baresip's ctrl_tcp port %s did not accept a connection within %.0f s "
                     "(%s)\n%s" % (self.name, hostport(self.host, self.ctrl_port), timeout, last,
                                   self.report()))

    def stop(self, timeout: float = 5.0) -> int | None:
        """SIGTERM: baresip unregisters (REGISTER Expires: 0) and exits. After timeout seconds a
        second SIGTERM (baresip then exits at once), then SIGKILL. Returns the exit code
        (0 normally), or None if it had to be killed."""
        if not self.proc:
            return None
        rc = None
        if self.proc.alive():
            self.proc.p.send_signal(signal.SIGTERM)
            rc = self.proc.wait(timeout)
            if rc is None:
                self.ctx.log("%s: baresip still running %.1f s after SIGTERM (no answer to its "
                             "un-REGISTER?): second SIGTERM" % (self.name, timeout))
                self.proc.p.send_signal(signal.SIGTERM)
                rc = self.proc.wait(2.0)
        else:
            rc = self.proc.p.returncode
        if rc is None:
            self.proc.stop(signal.SIGKILL, 2.0)
        self.proc.signal_group(signal.SIGKILL)
        self._close_ctrl()
        return rc

    def kill(self) -> None:
        """SIGKILL: gone without unregistering (a phone that lost power)."""
        if self.proc:
            self.proc.stop(signal.SIGKILL, 2.0)
        self._close_ctrl()

    def alive(self) -> bool:
        return bool(self.proc and self.proc.alive())

    def _close_ctrl(self) -> None:
        self._closed = True
        if self._sock:
            try:
                self._sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self._sock.close()
            self._sock = None

    # ------------------------------------------------------------------ control socket

    def _read_loop(self) -> None:
        buf = b""
        sock = self._sock
        while not self._closed:
            try:
                data = sock.recv(65536)
            except OSError:
                break
            if not data:
                break
            buf += data
            while True:  # netstrings: <decimal length>:<json>,
                colon = buf.find(b":")
                if colon < 0 or not buf[:colon].isdigit():
                    if colon >= 0 or len(buf) > 20:
                        self.ctx.log("%s: ctrl_tcp: not a netstring: %r" % (self.name, buf[:80]))
                        buf = b""
                    break
                n = int(buf[:colon])
                if len(buf) < colon + 1 + n + 1:
                    break
                payload = buf[colon + 1:colon + 1 + n]
                buf = buf[colon + 1 + n + 1:]
                try:
                    msg = json.loads(payload.decode("utf-8", "replace"))
                except ValueError:
                    self.ctx.log("%s: ctrl_tcp: bad JSON %r" % (self.name, payload[:120]))
                    continue
                self._dispatch(msg)
        with self._cv:
            self._cv.notify_all()

    def _dispatch(self, msg: dict) -> None:
        with self._cv:
            if msg.get("event"):
                msg["t"] = time.monotonic()
                self.events.append(msg)
                self.ctx.log("%s: event %s %s%s" % (
                    self.name, msg.get("type"), msg.get("param", ""),
                    " (%s call %s)" % (msg.get("direction"), msg.get("id"))
                    if msg.get("id") else ""))
            elif msg.get("response"):
                self._responses[str(msg.get("token"))] = msg
            self._cv.notify_all()

    def command(self, command: str, params: str = "", timeout: float = 5.0) -> tuple[bool, str]:
        """Run a baresip command (e.g. "dial", "sip:bob@tandem.test"): (ok, text answer)."""
        if not self._sock:
            raise Failed("%s: baresip is not running (command %s)" % (self.name, command))
        with self._cv:
            self._token += 1
            token = "t%d" % self._token
        body = json.dumps({"command": command, "params": params, "token": token}).encode()
        try:
            self._sock.sendall(b"%d:%s," % (len(body), body))
        except OSError as e:
            raise Failed("%s: cannot send %r to baresip's control socket: %s\n%s"
                         % (self.name, command, e, self.report()))
        deadline = time.monotonic() + timeout
        with self._cv:
            while token not in self._responses:
                left = deadline - time.monotonic()
                if left <= 0 or self._closed:
                    raise Failed("%s: baresip did not answer the command %r within %.0f s\n%s"
                                 % (self.name, command, timeout, self.report()))
                self._cv.wait(left)
            r = self._responses.pop(token)
        data = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", str(r.get("data", "")))
        return bool(r.get("ok")), data

    # ------------------------------------------------------------------ events

    def mark(self) -> int:
        """Index of the next event: pass it as since= to wait for what comes after now."""
        with self._cv:
            return len(self.events)

    def wait_event(self, pred, timeout: float, since: int = 0) -> dict | None:
        """First event from index since on for which pred(event) holds, or None."""
        deadline = time.monotonic() + timeout
        idx = since
        with self._cv:
            while True:
                while idx < len(self.events):
                    ev = self.events[idx]
                    idx += 1
                    if pred(ev):
                        return ev
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                if self.proc and not self.proc.alive():
                    self._cv.wait(min(left, 0.1))  # a last event may still be in flight
                    if idx >= len(self.events):
                        return None
                    continue
                self._cv.wait(min(left, 0.5))

    def _wait(self, what: str, pred, timeout: float, since: int, must: bool) -> dict | None:
        ev = self.wait_event(pred, timeout, since)
        if ev is None and must:
            raise Failed("%s (%s): %s within %.1f s%s; events: %s\n%s" % (
                self.name, self.aor, what, timeout,
                "" if self.alive() else " (baresip exited, rc=%s)" % self.proc.p.returncode,
                self.event_summary(since), self.report()))
        return ev

    def event_summary(self, since: int = 0, last: int = 12) -> str:
        with self._cv:
            evs = self.events[since:]
        if not evs:
            return "none"
        out = ["%s%s" % (e.get("type"), "(%s)" % e["param"] if e.get("param") else "")
               for e in evs[-last:]]
        return ("... " if len(evs) > last else "") + ", ".join(out)

    def wait_registered(self, timeout: float = 10.0, since: int = 0,
                        must: bool = True) -> dict | None:
        """The REGISTER_OK event (param "200 OK"). A REGISTER_FAIL before it fails at once
        with its reason (e.g. "403 Forbidden"), when must (the default): raises Failed."""
        ev = self.wait_event(lambda e: e.get("type") in ("REGISTER_OK", "REGISTER_FAIL"),
                             timeout, since)
        if ev is not None and ev.get("type") == "REGISTER_OK":
            return ev
        if must:
            what = ("registration failed: %s" % ev.get("param") if ev is not None else
                    "not registered (no REGISTER_OK)")
            raise Failed("%s (%s via %s): %s within %.1f s; events: %s\n%s" % (
                self.name, self.aor, self.proxy, what, timeout, self.event_summary(since),
                self.report()))
        return None

    def wait_register_failed(self, timeout: float = 10.0, since: int = 0,
                             must: bool = True) -> dict | None:
        """The REGISTER_FAIL event (param e.g. "403 Forbidden", "401 Unauthorized")."""
        return self._wait("no REGISTER_FAIL", lambda e: e.get("type") == "REGISTER_FAIL",
                          timeout, since, must)

    def _call_pred(self, types, call_id, direction=None):
        def pred(e):
            return (e.get("type") in types and (call_id is None or e.get("id") == call_id)
                    and (direction is None or e.get("direction") == direction))
        return pred

    def wait_incoming_call(self, timeout: float = 10.0, since: int = 0, call_id: str | None = None,
                           must: bool = True) -> dict | None:
        """The first event of an incoming call (CALL_INCOMING in manual mode; with auto-answer
        CALL_REMOTE_SDP/CALL_LOCAL_SDP): its "id" is the SIP Call-ID, "peeruri" the caller."""
        return self._wait("no incoming call", self._call_pred(CALL_EVENTS, call_id, "incoming"),
                          timeout, since, must)

    def wait_call_established(self, timeout: float = 10.0, since: int = 0,
                              call_id: str | None = None, must: bool = True) -> dict | None:
        """CALL_ESTABLISHED (incoming: after the ACK of its 200; outgoing: on the 200)."""
        return self._wait("no call established" + (" (Call-ID %s)" % call_id if call_id else ""),
                          self._call_pred({"CALL_ESTABLISHED"}, call_id), timeout, since, must)

    def wait_call_closed(self, timeout: float = 10.0, since: int = 0, call_id: str | None = None,
                         must: bool = True) -> dict | None:
        """CALL_CLOSED; its "param" is the reason ("Connection reset by peer" for a BYE from
        the far end, "486 Busy Here" for a failed outgoing call, "Local timeout", ...)."""
        return self._wait("no call closed" + (" (Call-ID %s)" % call_id if call_id else ""),
                          self._call_pred({"CALL_CLOSED"}, call_id), timeout, since, must)

    # ------------------------------------------------------------------ calls

    def dial(self, uri: str) -> None:
        """Place a call (through the outbound proxy, i.e. the edge); then wait for events."""
        ok, data = self.command("dial", uri)
        if not ok:
            raise Failed("%s: dial %s refused: %s" % (self.name, uri, data.strip()))

    def accept(self) -> None:
        """Answer the ringing call (answermode="manual")."""
        ok, data = self.command("accept")
        if not ok:
            raise Failed("%s: accept refused: %s" % (self.name, data.strip()))

    def hangup(self) -> None:
        """Hang up the current call (BYE if established, CANCEL/486 if not)."""
        ok, data = self.command("hangup")
        if not ok:
            raise Failed("%s: hangup refused: %s" % (self.name, data.strip()))

    def reginfo(self) -> str:
        """baresip's registration status line(s), colour codes removed."""
        return self.command("reginfo")[1]

    # ------------------------------------------------------------------ diagnostics

    def log_text(self) -> str:
        """All of baresip's stdout so far (log and SIP trace), escapes removed."""
        if not self.proc:
            return ""
        try:
            text = self.proc.stdout_path.read_text(errors="replace")
        except OSError:
            return ""
        return re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", text)

    def report(self, lines: int = 30) -> str:
        parts = ["---- baresip %s (%s, listening on %s, ctrl %s, config %s)" % (
            self.name, self.aor, self.hostport, hostport(self.host, self.ctrl_port), self.dir)]
        if self.proc:
            for pth in (self.proc.stderr_path, self.proc.stdout_path):
                if pth.exists() and pth.stat().st_size:
                    parts.append("%s:\n%s" % (pth.name, tail(pth, lines)))
        return "\n".join(parts)
