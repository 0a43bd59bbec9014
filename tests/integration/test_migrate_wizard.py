#!/usr/bin/env python3
# `tandem migrate wizard` driven as an operator would on a terminal: answers on stdin, the plan
# file it writes read back, a second session preloaded from that file, an end of input mid-way.
"""No edge is needed: the sessions stop at --no-run (or before), and the last one ends in a dry
run, which changes nothing and says so when the edge does not answer.

    test_migrate_wizard.py --tandem build/tandem --case migrate_wizard [-v] [--keep]
"""

import subprocess
import sys
from pathlib import Path

try:
    import tomllib  # Python 3.11+
except ImportError:  # older Pythons check the text only
    tomllib = None

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import Ctx, Failed, main  # noqa: E402

FIELDS = 26  # questions in a session (planFields() in src/migrate/plan.cc)

# One answer per question, in order; "" keeps the value shown in brackets.
ANSWERS = [
    "fs1-to-fs2",             # name
    "",                       # edge: unset ($TANDEM_CTL_URL, else the default)
    "tenant.example.com",     # set or tenant
    "sip:10.0.1.30:5060",     # old
    "sip:10.0.1.31:5060",     # new
    "canary:10, both, new",   # phases
    "90s",                    # soak
    "",                       # rollback_deadline: 2h
    "snaps",                  # snapshots
    "",                       # audit
    "",                       # store
    "ops",                    # operator
    "", "", "10",             # gates.interval, window, min_calls
    "120", "90",              # gates.asr_min: refused, then accepted
    "", "12", "", "", "300",  # new_node_asr_min, 5xx, 408, reg failures, latency
    "", "", "1h",             # drain threshold, interval, timeout
    "10.0.1.30:8021", "",     # drain fs and its password (kept: ClueCon)
]
assert len(ANSWERS) == FIELDS + 1  # asr_min is answered twice


def wizard(ctx: Ctx, args: list, answers: list) -> subprocess.CompletedProcess:
    argv = [ctx.args.tandem, "migrate", "wizard"] + args
    stdin = "".join(a + "\n" for a in answers)
    out = subprocess.run(argv, input=stdin, capture_output=True, text=True, timeout=30,
                         cwd=ctx.dir)
    ctx.log("$ %s -> %d\n--- stdout\n%s--- stderr\n%s" % (" ".join(argv), out.returncode,
                                                         out.stdout, out.stderr))
    return out


def read_plan(ctx: Ctx, path: Path) -> dict:
    ctx.require(path.exists(), "%s was written" % path.name)
    text = path.read_text()
    if tomllib is None:
        return {}
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise Failed("%s is not TOML: %s\n%s" % (path.name, e, text))


def case_migrate_wizard(ctx: Ctx) -> None:
    plan1, plan2 = ctx.dir / "plan.toml", ctx.dir / "plan2.toml"

    # A fresh session: every question answered, one of them twice; confirmed, written, not run.
    out = wizard(ctx, ["-o", "plan.toml", "--no-run"], ANSWERS + [""])
    ctx.require(out.returncode == 0, "first session exits 0, got %d: %s"
                % (out.returncode, out.stderr.strip()))
    ctx.check("gates.asr_min [-]: [gates] asr_min must be a number from 0 to 100, got 120\n"
              "gates.asr_min [-]: " in out.stdout,
              "the refused answer is explained and asked again:\n%s" % out.stdout)
    ctx.check("[1/26] name: " in out.stdout and "\nname []: " in out.stdout,
              "each question shows its help and its current value")
    ctx.check(" 16  gates.asr_min                   90\n" in out.stdout,
              "the summary lists the fields by number")
    ctx.check("wrote plan.toml\n" in out.stdout, "says where the plan went")
    ctx.check("dry run or live run?" not in out.stdout, "--no-run asks nothing more")
    doc = read_plan(ctx, plan1)
    if doc:
        m, g, d = doc["migration"], doc["gates"], doc["drain"]
        ctx.check(m.get("name") == "fs1-to-fs2", "name: %r" % m.get("name"))
        ctx.check(m.get("tenant") == "tenant.example.com" and "set" not in m,
                  "a tenant instead of a set: %r" % m)
        ctx.check(m.get("phases") == ["canary:10", "both", "new"], "phases: %r" % m.get("phases"))
        ctx.check(m.get("soak") == "1m30s", "soak: %r" % m.get("soak"))
        ctx.check(m.get("rollback_deadline") == "2h", "default deadline: %r"
                  % m.get("rollback_deadline"))
        ctx.check("edge" not in m and "store" not in m, "unset keys are left out: %r" % m)
        ctx.check(m.get("operator") == "ops", "operator: %r" % m.get("operator"))
        ctx.check(g.get("asr_min") == 90 and g.get("max_5xx_per_min") == 12
                  and g.get("max_new_node_latency_ms") == 300 and g.get("min_calls") == 10
                  and "new_node_asr_min" not in g, "gates: %r" % g)
        ctx.check(d.get("fs") == "10.0.1.30:8021" and d.get("fs_password") == "ClueCon"
                  and d.get("timeout") == "1h", "drain: %r" % d)
    ctx.check(plan1.stat().st_mode & 0o777 == 0o600,
              "a plan with an event socket password is not world-readable: %o"
              % (plan1.stat().st_mode & 0o777))

    # Preloaded from that file: Enter through every question, then edit field 16 in the summary.
    out = wizard(ctx, ["-f", "plan.toml", "-o", "plan2.toml", "--no-run"],
                 [""] * FIELDS + ["16", "95", ""])
    ctx.require(out.returncode == 0, "second session exits 0, got %d: %s"
                % (out.returncode, out.stderr.strip()))
    ctx.check("\nset or tenant [tenant.example.com]: " in out.stdout,
              "the preloaded values are the ones in brackets")
    ctx.check("\ngates.asr_min [90]: " in out.stdout, "field 16 asked again with its value")
    read_plan(ctx, plan2)
    lines1, lines2 = plan1.read_text().splitlines(), plan2.read_text().splitlines()
    diff = [(a, b) for a, b in zip(lines1, lines2) if a != b]
    ctx.check(len(lines1) == len(lines2) and diff == [("asr_min = 90", "asr_min = 95")],
              "plan2 differs from plan only in the edited field: %r" % diff)

    # The file is read as `run` would read it: its errors stop the wizard before any question.
    (ctx.dir / "bad.toml").write_text(plan1.read_text().replace("soak = \"1m30s\"",
                                                                "soak = \"90\""))
    out = wizard(ctx, ["-f", "bad.toml", "--no-run"], [""] * FIELDS)
    ctx.check(out.returncode == 1 and out.stdout == "" and
              "bad.toml:" in out.stderr and
              "[migration] soak: invalid duration \"90\": missing unit after 90" in out.stderr,
              "a bad -f file stops with parsePlan's message: %d %r"
              % (out.returncode, out.stderr))

    # The input ends before the plan is confirmed: nothing written, exit 1.
    out = wizard(ctx, ["-o", "aborted.toml", "--no-run"], ANSWERS[:7])
    ctx.check(out.returncode == 1, "end of input exits 1, got %d" % out.returncode)
    ctx.check("wizard: input ended before the plan was confirmed; nothing was run" in out.stderr,
              "end of input is explained: %r" % out.stderr)
    ctx.check(not (ctx.dir / "aborted.toml").exists(), "nothing written on end of input")

    # Confirmed, then "dry": the wizard runs the plan as `tandem migrate run --dry-run` would.
    out = wizard(ctx, ["-f", "plan.toml"], [""] * FIELDS + ["", "dry"])
    ctx.check(out.returncode == 0, "a dry run ends the session with exit 0, got %d: %s"
              % (out.returncode, out.stderr.strip()))
    ctx.check("dry run or live run? [dry]" in out.stdout, "the wizard asks dry or live")
    ctx.check("dry run of fs1-to-fs2: nothing is changed" in out.stdout and
              "phase canary:10: sip:10.0.1.30:5060 active weight=90; sip:10.0.1.31:5060 active "
              "weight=10; hold 1m30s; on a breach roll back to old" in out.stdout,
              "the dry run prints every phase with its weights: %s" % out.stdout[-1500:])


CASES = {
    "migrate_wizard": case_migrate_wizard,
}

if __name__ == "__main__":
    main(CASES, __doc__)
