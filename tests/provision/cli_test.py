#!/usr/bin/env python3
"""The provisioning commands end to end: the built `tandem` binary against a temporary SQLite file.

Checks what an operator sees: output (tables and --json), the one-line errors on stderr, the exit
codes, and where the store URL comes from (--store, -c CONFIG, $TANDEM_STORE).

  cli_test.py --tandem build/tandem [--case NAME]   (every case when --case is not given)

Standard library only. Exit status: 0 every case passed, 1 a case failed.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import uuid

TANDEM = None


class Failure(Exception):
    pass


class Skip(Exception):
    pass


def run(args, store=None, stdin=None, env_store=None, expect=0):
    """Runs tandem ARGS (with --store STORE when given); returns (stdout, stderr)."""
    env = dict(os.environ)
    env.pop("TANDEM_STORE", None)
    if env_store is not None:
        env["TANDEM_STORE"] = env_store
    cmd = [TANDEM] + args + (["--store", store] if store else [])
    p = subprocess.run(cmd, input=stdin, capture_output=True, text=True, env=env, timeout=30)
    if p.returncode != expect:
        raise Failure(f"{' '.join(cmd)}: exit {p.returncode}, expected {expect}\n"
                      f"stdout: {p.stdout!r}\nstderr: {p.stderr!r}")
    return p.stdout, p.stderr


def check(got, want, what):
    if got != want:
        raise Failure(f"{what}:\n  got:  {got!r}\n  want: {want!r}")


def error_line(stderr, want, what):
    """stderr must be exactly one line: 'error: WANT'."""
    check(stderr, f"error: {want}\n", what)


class Db:
    """A temporary directory holding tandem.db."""

    def __init__(self):
        self.dir = tempfile.TemporaryDirectory(prefix="tandem-prov-")
        self.path = os.path.join(self.dir.name, "tandem.db")
        self.url = "sqlite://" + self.path

    def migrate(self):
        run(["db", "migrate"], store=self.url)
        return self


# ---------------------------------------------------------------- cases

def case_no_store():
    _, err = run(["user", "list"], expect=1)
    error_line(err, "no store: give --store URL, -c CONFIG (its [store] url) or set TANDEM_STORE",
               "no store anywhere")


def case_db_migrate_status():
    db = Db()
    _, err = run(["db", "status"], store=db.url, expect=1)
    error_line(err, f"no database file at {db.path} (`tandem db migrate` creates and initialises "
               "it)", "status before the file exists")
    check(os.path.exists(db.path), False, "status must not create the file")
    out, _ = run(["db", "migrate", "--to", "1"], store=db.url)
    check(out, f"sqlite database {db.url}: schema version 0 -> 1 (1 migrations applied)\n",
          "migrate --to 1")
    out, err = run(["db", "status"], store=db.url, expect=1)
    if "state: needs migration\n" not in out:
        raise Failure(f"status after --to 1: {out!r}")
    if not err.startswith("error: database schema is at version 1, this binary needs version "):
        raise Failure(f"status error after --to 1: {err!r}")
    out, _ = run(["db", "migrate"], store=db.url)
    if "-> " not in out or "migrations applied" not in out:
        raise Failure(f"migrate: {out!r}")
    out, _ = run(["db", "migrate"], store=db.url)
    if not out.endswith(": nothing to do\n"):
        raise Failure(f"second migrate: {out!r}")
    out, err = run(["db", "status", "--json"], store=db.url)
    status = json.loads(out)
    check(status["state"], "ok", "status state")
    check(status["backend"], "sqlite", "status backend")
    check(status["schema_version"], status["binary_schema_version"], "status versions")
    check(err, "", "status stderr")
    _, err = run(["db", "migrate", "--to", "1"], store=db.url, expect=1)
    if "tandem never migrates down" not in err or err.count("\n") != 1:
        raise Failure(f"migrate down: {err!r}")


def case_unmigrated():
    db = Db()
    open(db.path, "w").close()  # an empty SQLite file: no schema
    _, err = run(["tenant", "list"], store=db.url, expect=1)
    if not (err.startswith("error: database has no tandem schema") and
            err.endswith("run `tandem db migrate`\n")):
        raise Failure(f"unmigrated: {err!r}")


def case_users():
    db = Db().migrate()
    out, _ = run(["user", "add", "alice@Example.com", "--password", "s3cret"], store=db.url)
    check(out, "id: 1\nusername: alice\ndomain: example.com\ncredentials: md5+sha256\n",
          "user add")
    out, _ = run(["user", "add", "bob@example.com", "--password", "-"], store=db.url,
                 stdin="from-stdin\n")
    check(out.splitlines()[1], "username: bob", "user add --password -")
    run(["user", "add", "carol@other.example", "--ha1", "0123456789abcdef0123456789ABCDEF"],
        store=db.url)
    out, _ = run(["user", "list"], store=db.url)
    check(out,
          "id  username  domain         credentials\n"
          " 1  alice     example.com    md5+sha256\n"
          " 2  bob       example.com    md5+sha256\n"
          " 3  carol     other.example  md5\n", "user list")
    out, _ = run(["user", "list", "other.example", "--json"], store=db.url)
    check(json.loads(out), [{"id": 3, "username": "carol", "domain": "other.example",
                             "credentials": "md5"}], "user list DOMAIN --json")
    for row in json.loads(run(["user", "list", "--json"], store=db.url)[0]):
        if set(row) != {"id", "username", "domain", "credentials"}:
            raise Failure(f"user list shows more than it should: {row}")

    _, err = run(["user", "add", "alice@example.com", "--password", "x"], store=db.url, expect=1)
    error_line(err, "subscriber alice@example.com already exists", "duplicate user")
    _, err = run(["user", "add", "dave@bad domain", "--password", "x"], store=db.url, expect=1)
    error_line(err, 'domain: "bad domain" is not a host name or an IP address', "bad domain")
    _, err = run(["user", "add", "dave@example.com"], store=db.url, expect=1)
    error_line(err, "a password or an ha1 is needed", "no credentials")
    _, err = run(["user", "add", "dave@example.com", "--password", "x", "--ha1", "a" * 32],
                 store=db.url, expect=1)
    error_line(err, "password and ha1 exclude each other", "both credentials")
    _, err = run(["user", "add", "dave@example.com", "--ha1", "xyz"], store=db.url, expect=1)
    error_line(err, "ha1: must be 32 hexadecimal digits", "bad ha1")

    out, _ = run(["user", "passwd", "carol@other.example", "--password", "n3w"], store=db.url)
    check(out.splitlines()[-1], "credentials: md5+sha256", "passwd")
    _, err = run(["user", "passwd", "zed@example.com", "--password", "x"], store=db.url, expect=1)
    error_line(err, "no subscriber zed@example.com", "passwd of a missing user")
    out, _ = run(["user", "del", "bob@example.com"], store=db.url)
    check(out, "deleted: 1\n", "user del")
    _, err = run(["user", "del", "bob@example.com"], store=db.url, expect=1)
    error_line(err, "no subscriber bob@example.com", "user del again")


def case_did_routes():
    db = Db().migrate()
    out, _ = run(["route", "did", "add", "+442071234567", "sip:ivr@10.0.0.5", "--dest-type",
                  "ivr", "--description", "main line"], store=db.url)
    check(out, "id: 1\ndid: +442071234567\ndomain: \ndestination: sip:ivr@10.0.0.5\n"
          "dest_type: ivr\ndescription: main line\n", "did add")
    run(["route", "did", "add", "+442071234567", "sip:q@10.0.0.6", "--domain", "Example.com"],
        store=db.url)
    out, _ = run(["route", "did", "list"], store=db.url)
    check(out,
          "id  did            domain       destination       dest_type  description\n"
          " 1  +442071234567               sip:ivr@10.0.0.5  ivr        main line\n"
          " 2  +442071234567  example.com  sip:q@10.0.0.6\n", "did list")
    _, err = run(["route", "did", "add", "+442071234567", "sip:x@10.0.0.7"], store=db.url,
                 expect=1)
    error_line(err, "DID +442071234567 (any domain) already exists", "duplicate did")
    _, err = run(["route", "did", "add", "44-20", "sip:x@10.0.0.7"], store=db.url, expect=1)
    error_line(err, 'did: "44-20" is not digits (with an optional leading +)', "bad did")
    _, err = run(["route", "did", "add", "4420", "ivr@10.0.0.7"], store=db.url, expect=1)
    error_line(err, 'destination: "ivr@10.0.0.7" is not a sip: or sips: URI', "bad destination")
    run(["route", "did", "del", "+442071234567", "--domain", "example.com"], store=db.url)
    _, err = run(["route", "did", "del", "+442071234567", "--domain", "example.com"],
                 store=db.url, expect=1)
    error_line(err, "no DID +442071234567 (domain example.com)", "did del again")
    rows = json.loads(run(["route", "did", "list", "--json"], store=db.url)[0])
    check([r["id"] for r in rows], [1], "did list after del")


def case_trunk_routes():
    db = Db().migrate()
    run(["route", "trunk", "add", "0044", "sip:carrier1.example.net", "--strip", "2",
         "--prepend", "+44", "--description", "primary"], store=db.url)
    run(["route", "trunk", "add", "0044", "sip:carrier2.example.net;transport=tcp",
         "--priority", "1", "--weight", "3"], store=db.url)
    run(["route", "trunk", "add", "", "sip:default.example.net"], store=db.url)
    out, _ = run(["route", "trunk", "list"], store=db.url)
    check(out,
          "id  prefix  destination                             priority  weight  strip  prepend"
          "  description\n"
          " 3          sip:default.example.net                        0       1      0\n"
          " 1  0044    sip:carrier1.example.net                       0       1      2  +44"
          "      primary\n"
          " 2  0044    sip:carrier2.example.net;transport=tcp         1       3      0\n",
          "trunk list")
    _, err = run(["route", "trunk", "add", "0044", "sip:carrier1.example.net"], store=db.url,
                 expect=1)
    error_line(err, "trunk route 0044 -> sip:carrier1.example.net already exists",
               "duplicate trunk")
    _, err = run(["route", "trunk", "add", "0044", "sip:c3.example.net", "--strip", "40"],
                 store=db.url, expect=1)
    error_line(err, "strip: must be from 0 to 32, got 40", "bad strip")
    _, err = run(["route", "trunk", "add", "0044", "sip:c3.example.net", "--weight", "many"],
                 store=db.url, expect=1)
    error_line(err, 'weight must be an integer, got "many"', "non-numeric weight")
    out, _ = run(["route", "trunk", "del", "0044"], store=db.url)
    check(out, "deleted: 2\n", "trunk del PREFIX")
    _, err = run(["route", "trunk", "del", "0044"], store=db.url, expect=1)
    error_line(err, "no trunk route with prefix 0044", "trunk del again")
    out, _ = run(["route", "trunk", "del", "", "sip:default.example.net"], store=db.url)
    check(out, "deleted: 1\n", "trunk del default route")
    out, _ = run(["route", "trunk", "list"], store=db.url)
    check(out, "(empty)\n", "trunk list empty")


def case_tenants():
    db = Db().migrate()
    out, _ = run(["tenant", "add", "Example.com", "1", "--description", "acme"], store=db.url)
    check(out, "domain: example.com\nsetid: 1\ndescription: acme\n", "tenant add")
    _, err = run(["tenant", "add", "example.com", "2"], store=db.url, expect=1)
    error_line(err, "tenant example.com already exists (tenant set changes it)", "duplicate tenant")
    out, _ = run(["tenant", "set", "example.com", "2"], store=db.url)
    check(out, "domain: example.com\nsetid: 2\ndescription: acme\n", "tenant set keeps description")
    _, err = run(["tenant", "set", "other.example", "2"], store=db.url, expect=1)
    error_line(err, "no tenant other.example", "tenant set of a missing tenant")
    _, err = run(["tenant", "add", "other.example", "0"], store=db.url, expect=1)
    error_line(err, "setid: must be from 1 to 2147483647, got 0", "bad setid")
    out, _ = run(["tenant", "list", "--json"], store=db.url)
    check(json.loads(out), [{"domain": "example.com", "setid": 2, "description": "acme"}],
          "tenant list --json")
    run(["tenant", "del", "example.com"], store=db.url)
    _, err = run(["tenant", "del", "example.com"], store=db.url, expect=1)
    error_line(err, "no tenant example.com", "tenant del again")


def case_dispatcher():
    db = Db().migrate()
    out, _ = run(["dispatcher", "add", "1", "sip:10.0.0.11:5060", "--flags", "8", "--attrs",
                  "weight=50;duid=fs01", "--description", "fs01"], store=db.url)
    check(out, "id: 1\nsetid: 1\ndestination: sip:10.0.0.11:5060\nflags: 8\npriority: 0\n"
          "attrs: weight=50;duid=fs01\ndescription: fs01\n", "dispatcher add")
    run(["dispatcher", "add", "1", "sip:10.0.0.12:5060", "--priority", "-5"], store=db.url)
    run(["dispatcher", "add", "2", "sip:10.0.0.13:5060"], store=db.url)
    rows = json.loads(run(["dispatcher", "list", "1", "--json"], store=db.url)[0])
    check(sorted((r["id"], r["priority"]) for r in rows), [(1, 0), (2, -5)], "dispatcher list 1")
    check(len(json.loads(run(["dispatcher", "list", "--json"], store=db.url)[0])), 3,
          "dispatcher list")
    _, err = run(["dispatcher", "add", "1", "sip:10.0.0.14", "--attrs", "weight=0"],
                 store=db.url, expect=1)
    error_line(err, 'attrs: weight must be from 1 to 100, got "0"', "bad attrs")
    _, err = run(["dispatcher", "add", "1", "sip:10.0.0.14", "--flags", "64"], store=db.url,
                 expect=1)
    error_line(err, "flags: must be from 0 to 63, got 64", "bad flags")
    out, _ = run(["dispatcher", "del", "2"], store=db.url)
    check(out, "deleted: 1\n", "dispatcher del")
    _, err = run(["dispatcher", "del", "2"], store=db.url, expect=1)
    error_line(err, "no dispatcher entry with id 2", "dispatcher del again")


def case_store_sources():
    db = Db().migrate()
    other = Db().migrate()
    run(["tenant", "add", "env.example", "1"], env_store=db.url)
    config = os.path.join(db.dir.name, "edge.toml")
    with open(config, "w") as f:
        f.write(f'[store]\nurl = "{db.url}"\n')
    rows = json.loads(run(["tenant", "list", "--json", "-c", config], env_store=other.url)[0])
    check([r["domain"] for r in rows], ["env.example"], "-c wins over $TANDEM_STORE")
    rows = json.loads(run(["tenant", "list", "--json", "-c", config], store=other.url)[0])
    check(rows, [], "--store wins over -c")
    empty = os.path.join(db.dir.name, "nostore.toml")
    with open(empty, "w") as f:
        f.write('[dispatcher]\nlist_file = "dispatcher.list"\n')
    _, err = run(["tenant", "list", "-c", empty], expect=1)
    error_line(err, f"{empty} has no [store] url", "config without a store")
    bad = os.path.join(db.dir.name, "bad.toml")
    with open(bad, "w") as f:
        f.write("[store\n")
    _, err = run(["tenant", "list", "-c", bad], expect=1)
    if not err.startswith("error: ") or err.count("\n") != 1:
        raise Failure(f"unreadable config: {err!r}")


def case_usage_errors():
    _, err = run(["user", "add"], expect=1)
    error_line(err, "missing user: USER@DOMAIN, e.g. alice@example.com (see --help)",
               "missing positional")
    _, err = run(["tenant", "list", "--bogus", "x"], expect=1)
    error_line(err, "unexpected argument: --bogus x (see --help)", "unknown flag")
    _, err = run(["user", "del", "a@example.com", "b@example.com"], expect=1)
    error_line(err, "unexpected argument: b@example.com (see --help)", "extra positional")


def case_postgres():
    """The same commands on PostgreSQL, in a throwaway schema; skipped without TANDEM_TEST_PG_URL
    (tests/store/pg.sh run -- ... sets it) or psql."""
    base = os.environ.get("TANDEM_TEST_PG_URL", "")
    psql = shutil.which("psql")
    if not base or not psql:
        raise Skip("TANDEM_TEST_PG_URL is not set or psql is missing "
                   "(run under tests/store/pg.sh run -- ...)")
    schema = "prov_cli_" + uuid.uuid4().hex[:12]
    subprocess.run([psql, base, "-qc", f"CREATE SCHEMA {schema}"], check=True,
                   capture_output=True)
    try:
        url = base + ("&" if "?" in base else "?") + f"options=-csearch_path%3D{schema}"
        out, _ = run(["db", "migrate"], store=url)
        if "postgresql database" not in out or "migrations applied" not in out:
            raise Failure(f"pg migrate: {out!r}")
        run(["user", "add", "alice@example.com", "--password", "s3cret"], store=url)
        run(["tenant", "add", "example.com", "1"], store=url)
        run(["dispatcher", "add", "1", "sip:10.0.0.11:5060", "--flags", "8"], store=url)
        rows = json.loads(run(["user", "list", "--json"], store=url)[0])
        check(rows, [{"id": 1, "username": "alice", "domain": "example.com",
                      "credentials": "md5+sha256"}], "pg user list")
        _, err = run(["tenant", "add", "example.com", "2"], store=url, expect=1)
        error_line(err, "tenant example.com already exists (tenant set changes it)",
                   "pg duplicate tenant")
        status = json.loads(run(["db", "status", "--json"], store=url)[0])
        check((status["backend"], status["state"]), ("postgresql", "ok"), "pg status")
    finally:
        subprocess.run([psql, base, "-qc", f"DROP SCHEMA {schema} CASCADE"],
                       capture_output=True)


def case_help():
    out, _ = run(["route", "trunk", "add", "--help"])
    for want in ["--priority", "--strip", "--prepend", "--store", "--json",
                 "Example: tandem route trunk add"]:
        if want not in out:
            raise Failure(f"route trunk add --help lacks {want!r}:\n{out}")


CASES = {name[5:]: fn for name, fn in sorted(globals().items()) if name.startswith("case_")}


def main():
    global TANDEM
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tandem", required=True, help="the tandem binary")
    ap.add_argument("--case", choices=sorted(CASES), help="run only this case")
    args = ap.parse_args()
    TANDEM = os.path.abspath(args.tandem)
    names = [args.case] if args.case else sorted(CASES)
    failed = skipped = 0
    for name in names:
        try:
            CASES[name]()
            print(f"ok   {name}")
        except Skip as e:
            skipped += 1
            print(f"skip {name}: {e}")
        except Failure as e:
            failed += 1
            print(f"FAIL {name}: {e}")
    print(f"{len(names) - failed - skipped} passed, {skipped} skipped, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
