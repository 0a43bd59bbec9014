#!/usr/bin/env bash
# Fills the store of bench/register-bench.toml with the subscribers u0..u9999@example.com (password
# pw<i>) that ../shared/bench/make_users.py gives SIPp, for compare_register.sh --candidate-setup.
# usage: bench/register_setup.sh [TANDEM] [N]
set -euo pipefail
TANDEM=${1:-build/tandem}
N=${2:-10000}
DIR=/tmp/tandem-regbench
rm -rf "$DIR" && mkdir -p "$DIR"
"$TANDEM" db migrate --store "sqlite://$DIR/tandem.db" >/dev/null
# One user through the CLI (the reference for the digests), the rest in one transaction.
"$TANDEM" user add u0@example.com --password pw0 --store "sqlite://$DIR/tandem.db" >/dev/null
python3 - "$DIR/tandem.db" "$N" <<'PY'
import hashlib, sqlite3, sys
db, n = sys.argv[1], int(sys.argv[2])
con = sqlite3.connect(db)
ref = con.execute("select ha1 from subscriber where username='u0'").fetchone()[0]
assert ref == hashlib.md5(b"u0:example.com:pw0").hexdigest(), "ha1 layout changed"
def h(f, s): return f(s.encode()).hexdigest()
rows = []
for i in range(1, n):
    u, d, p = f"u{i}", "example.com", f"pw{i}"
    rows.append((u, d, h(hashlib.md5, f"{u}:{d}:{p}"), h(hashlib.md5, f"{u}@{d}:{d}:{p}"),
                 h(hashlib.sha256, f"{u}:{d}:{p}"), h(hashlib.sha256, f"{u}@{d}:{d}:{p}")))
con.executemany("insert into subscriber(username, domain, ha1, ha1b, ha1_sha256, ha1b_sha256)"
                " values (?, ?, ?, ?, ?, ?)", rows)
con.commit()
print("subscribers:", con.execute("select count(*) from subscriber").fetchone()[0])
PY
