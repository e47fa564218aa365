#!/usr/bin/python3
"""differential.py: the C validator against the library it ports.

    /usr/bin/python3 tests/verify/differential.py BUILD/tests/unit/email_check
        [--count N] [--raw-count N] [--seed S] [--no-corpus] [--show N]

Two comparisons, each exact (verdict; reason text for an invalid address;
`normalized` and `ascii_email` for a valid one):

1. the committed corpus (tests/verify/corpus.jsonl, written by make_corpus.py with
   the oracle), always: the oracle's answers travel with the repository;
2. when the oracle is found (see oracle.py: ../shared/oracle), N generated addresses
   (default 50,000: the fixed edge cases of addrgen.py first, then grammar-built,
   mutated ones from --seed) through pydantic's wrapper, plus --raw-count (default
   10,000) through email_validator.validate_email alone.

It fails listing every disagreement. Strings reach the C driver as
s.encode("utf-8", "surrogateescape"); undecodable bytes are U+DC80..U+DCFF on
both sides.

DIFFERENCES (deliberate, none is generated, none changes a verdict):
  - Out of memory: the C side has no verdict (Python would raise MemoryError).
  - A NUL inside a reason is U+FFFD on the C side (a C string); the library shows
    every NUL as U+0000 or '\\x00', so no reason holds one.
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import addrgen  # noqa: E402
import oracle  # noqa: E402

CORPUS = os.path.join(oracle.HERE, "corpus.jsonl")
CHUNK = 20000


def load_corpus():
    with open(CORPUS, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def compare(driver, wants, show, label):
    """Number of C answers that differ from wants (records of one mode)."""
    bad = 0
    for k in range(0, len(wants), CHUNK):
        part = wants[k:k + CHUNK]
        raw = part[0]["mode"] == "raw"
        got = oracle.run_c(driver, [w["input"] for w in part], raw)
        for w, g in zip(part, got):
            if oracle.same(w, g):
                continue
            bad += 1
            if bad <= show:
                print("DIFFER (%s) %s\n  oracle: %s\n  c:      %s" % (
                    label, json.dumps(w["input"]), json.dumps(w), json.dumps(g)))
    return bad


def corpus_check(driver, show):
    recs = load_corpus()
    bad = 0
    for mode in ("pydantic", "raw"):
        part = [r for r in recs if r["mode"] == mode]
        if part:
            bad += compare(driver, part, show, "corpus")
    nvalid = sum(r["valid"] for r in recs)
    print("corpus: %d addresses (%d valid), %d disagreements" % (len(recs), nvalid, bad))
    return bad


def live_check(driver, path, count, raw_count, seed, show):
    verdict = oracle.load_oracle(path)
    t = time.time()
    values = addrgen.generate(seed, count)
    bad = nvalid = 0
    for k in range(0, len(values), CHUNK):
        wants = [oracle.record(verdict, v, False) for v in values[k:k + CHUNK]]
        nvalid += sum(w["valid"] for w in wants)
        bad += compare(driver, wants, show, "seed %d" % seed)
    raw_values = addrgen.generate(seed + 1, raw_count, edges=False)
    wants = [oracle.record(verdict, v, True) for v in raw_values]
    bad_raw = compare(driver, wants, show, "raw, seed %d" % (seed + 1)) if wants else 0
    print("oracle %s: %d generated addresses (seed %d, %d valid) through pydantic's wrapper, "
          "%d through the library alone: %d disagreements (%.1f s)" % (
              path, count, seed, nvalid, len(raw_values), bad + bad_raw, time.time() - t))
    return bad + bad_raw


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("driver")
    ap.add_argument("--count", type=int, default=50000)
    ap.add_argument("--raw-count", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=20261201)
    ap.add_argument("--no-corpus", action="store_true")
    ap.add_argument("--show", type=int, default=100)
    a = ap.parse_args()
    bad = 0 if a.no_corpus else corpus_check(a.driver, a.show)
    path = oracle.find_oracle()
    if path:
        bad += live_check(a.driver, path, a.count, a.raw_count, a.seed, a.show)
    else:
        print("oracle not found (../shared/oracle, $UCMOCK_ORACLE): the corpus alone")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
