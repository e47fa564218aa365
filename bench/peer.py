#!/usr/bin/python3
"""peer.py: the pandas pipeline the real service most likely runs, as the
benchmark's peer: read_csv/read_excel, drop_duplicates(keep="last") on the
normalised address (white space stripped, lowercased, as ucmock's dedup
compares), a validator per row, the two result columns, to_csv/to_excel.

Usage: /usr/bin/python3 bench/peer.py IN OUT {regex|ev} [--rows N]
  regex: a syntax regex per row;
  ev:    email-validator 2.3.0 behind pydantic's wrapper per row (the same
         work ucmock does), from the oracle (../shared/oracle, or the folder
         in $UCMOCK_ORACLE); exits 3 when it is not there;
  --rows N: the first N data rows only (for the slow ev peer on a subset).
Needs Debian's python3-pandas (and python3-openpyxl for .xlsx). Prints one
JSON line: {"rows", "seconds"}, seconds from the read to the written file
(the interpreter's start and pandas' import are not counted: a service
has them loaded)."""
import json
import os
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))

# What a hand-written service check looks like: one @, no blanks, a dot in
# the domain.
SYNTAX = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
DISPOSABLE = {"mailinator.com", "guerrillamail.com", "10minutemail.com", "yopmail.com"}


def validator(kind):
    """A function address -> normalised address or None (invalid)."""
    if kind == "regex":
        def check(s):
            s = s.strip()
            return s.lower() if SYNTAX.fullmatch(s) else None
        return check
    sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "verify"))
    import oracle  # the differential test's: finds and loads the same oracle
    path = oracle.find_oracle()
    if not path:
        print("peer.py: the oracle (../shared/oracle) is not here", file=sys.stderr)
        sys.exit(3)
    verdict = oracle.load_oracle(path)

    def check(s):
        v = verdict(s)
        return v["normalized"] if v["valid"] else None
    return check


def main():
    args = sys.argv[1:]
    rows = None
    if "--rows" in args:
        i = args.index("--rows")
        rows = int(args[i + 1])
        del args[i:i + 2]
    if len(args) != 3 or args[2] not in ("regex", "ev"):
        sys.exit(__doc__)
    src, dst, kind = args
    check = validator(kind)
    import pandas as pd

    xlsx = src.lower().endswith(".xlsx")
    t0 = time.perf_counter()
    if xlsx:
        df = pd.read_excel(src, dtype=str, keep_default_na=False, nrows=rows)
    else:
        df = pd.read_csv(src, dtype=str, keep_default_na=False, nrows=rows)
    n_in = len(df)
    col = next((c for c in df.columns if "mail" in str(c).lower()), df.columns[0])
    df["_key"] = df[col].str.strip().str.lower()
    df = df.drop_duplicates("_key", keep="last").drop(columns="_key")

    def classify(s):
        n = check(s)
        if n is None:
            return ("black", "invalid")
        if n.rpartition("@")[2] in DISPOSABLE:
            return ("black", "disposable")
        return ("white", "unknown")
    res = df[col].map(classify)
    df["category"] = res.map(lambda r: r[0])
    df["domain_type"] = res.map(lambda r: r[1])
    if xlsx:
        df.to_excel(dst, index=False)
    else:
        df.to_csv(dst, index=False)
    secs = time.perf_counter() - t0
    print(json.dumps({"rows": n_in, "kept": len(df), "seconds": round(secs, 4)}))


if __name__ == "__main__":
    main()
