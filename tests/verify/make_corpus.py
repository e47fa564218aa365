#!/usr/bin/python3
"""make_corpus.py: write tests/verify/corpus.jsonl, the oracle's answers that travel
with the repository (a clone without ../shared still tests against them).

    /usr/bin/python3 tests/verify/make_corpus.py        # needs the oracle (oracle.py)

One JSON object a line: input, mode ("pydantic": pydantic's wrapper; "raw": the
library alone), valid, and either reason or normalized and ascii_email. Contents:
every fixed edge case of addrgen.py and RANDOM grammar-built addresses, through the
wrapper; RAW_EDGES of the edge cases and RAW_RANDOM random ones through the library
alone. Deterministic: the same oracle and Python give the same file.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import addrgen  # noqa: E402
import oracle  # noqa: E402

SEED = 424242
RANDOM = 3000
RAW_EDGES = 1000
RAW_RANDOM = 1000


def main():
    path = oracle.find_oracle()
    if not path:
        sys.exit("oracle not found: set UCMOCK_ORACLE to the folder of pydantic_email.py")
    verdict = oracle.load_oracle(path)
    edges = addrgen.edge_cases()
    rand = addrgen.generate(SEED, RANDOM, edges=False)
    raw = edges[::max(1, len(edges) // RAW_EDGES)][:RAW_EDGES]
    raw += addrgen.generate(SEED + 1, RAW_RANDOM, edges=False)
    recs = [oracle.record(verdict, v, False) for v in edges[::2] + rand]
    recs += [oracle.record(verdict, v, True) for v in raw]
    bad = [r for r in recs if "error" in r]
    if bad:
        sys.exit("the oracle raised on %d inputs, e.g. %r" % (len(bad), bad[0]))
    with open(os.path.join(oracle.HERE, "corpus.jsonl"), "w", encoding="utf-8") as f:
        for r in recs:
            f.write(json.dumps(r, ensure_ascii=True) + "\n")
    print("%d records (%d valid)" % (len(recs), sum(r["valid"] for r in recs)))


if __name__ == "__main__":
    main()
