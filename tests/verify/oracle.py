"""oracle.py: the two sides of the validator's differential test.

The reference is email-validator 2.3.0 behind pydantic v2's wrapper, as the real
service runs it: ../shared/oracle/pydantic_email.py beside the library's source (it
needs Debian's /usr/bin/python3 with python3-idna). It is looked for in $UCMOCK_ORACLE,
then in a folder "shared/oracle" beside the repository or one level further up; a
user's clone has none, and the test then relies on the committed corpus alone
(UCMOCK_ORACLE=none behaves so everywhere).

The C side is tests/verify/email_check.c (the build's email_check), fed records
"<length>\\n<bytes>"; strings travel as s.encode("utf-8", "surrogateescape").
"""
import importlib.util
import os
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))


def find_oracle():
    """The path of pydantic_email.py, or None."""
    env = os.environ.get("UCMOCK_ORACLE", "")
    if env == "none":
        return None
    cands = [env]
    up = REPO
    for _ in range(2):
        up = os.path.dirname(up)
        cands.append(os.path.join(up, "shared", "oracle"))
    for d in cands:
        p = os.path.join(d, "pydantic_email.py")
        if d and os.path.isfile(p):
            return p
    return None


def load_oracle(path):
    """pydantic_email.verdict(value, raw) from the oracle at path."""
    spec = importlib.util.spec_from_file_location("pydantic_email", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.verdict


def record(verdict, value, raw):
    """The oracle's answer as a corpus record: input, mode, valid and then either
    reason or normalized and ascii_email."""
    mode = "raw" if raw else "pydantic"
    try:
        v = verdict(value, raw)
    except Exception as e:  # not an EmailNotValidError: pydantic would not say this
        return {"input": value, "mode": mode, "valid": False,
                "error": "%s: %s" % (type(e).__name__, e)}
    if v["valid"]:
        return {"input": value, "mode": mode, "valid": True, "normalized": v["normalized"],
                "ascii_email": v["ascii_email"]}
    return {"input": value, "mode": mode, "valid": False, "reason": v["reason"]}


def enc(s):
    return s.encode("utf-8", "surrogateescape")


def dec(b):
    return b.decode("utf-8", "surrogateescape")


def run_c(driver, values, raw):
    """The C verdicts of values, as records like record()'s."""
    mode = "raw" if raw else "pydantic"
    inp = b"".join(b"%d\n" % len(enc(v)) + enc(v) for v in values)
    out = subprocess.run([driver] + (["--raw"] if raw else []), input=inp,
                         stdout=subprocess.PIPE, check=True).stdout
    res, i = [], 0
    for v in values:
        nl = out.index(b"\n", i)
        head = out[i:nl].split()
        i = nl + 1
        if head[0] == b"1":
            n, a, d = map(int, head[1:])
            norm, asc = out[i:i + n], out[i + n:i + n + a]
            i += n + a + d
            res.append({"input": v, "mode": mode, "valid": True, "normalized": dec(norm),
                        "ascii_email": asc.decode() if a else None})
        else:
            r = int(head[1])
            rec = {"input": v, "mode": mode, "valid": False}
            if r < 0:
                rec["error"] = "no reason (out of memory)"
            else:
                rec["reason"] = dec(out[i:i + r])
                i += r
            res.append(rec)
    if i != len(out):
        raise RuntimeError("driver wrote %d bytes more than expected" % (len(out) - i))
    return res


def same(want, got):
    """Whether the C record agrees with the oracle's. Reasons are C strings, so a NUL
    the oracle puts in a reason reads as U+FFFD on the C side (not generated: every
    reason shows a NUL as U+0000 or '\\x00')."""
    if "error" in want:
        return False
    if want["valid"] != got["valid"]:
        return False
    if want["valid"]:
        return (want["normalized"], want["ascii_email"]) == (got["normalized"],
                                                             got["ascii_email"])
    return want["reason"].replace("\x00", "\ufffd") == got.get("reason")
