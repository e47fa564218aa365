#!/usr/bin/python3
"""differential.py: email_valid() against the library it imitates.

Run with Debian 12's own interpreter (/usr/bin/python3), which has
python3-email-validator 1.3.0 and python3-idna 3.3:

    /usr/bin/python3 tests/verify/differential.py BUILD/tests/unit/email_check

It generates a fixed (seeded) set of addresses -- mutations of valid ones,
lengths around the 64/63/253/254 limits, Unicode local parts and IDN
domains, every printable ASCII special character in local and domain parts,
dots in every position, special-use names, IP literals, quoted local parts,
Punycode labels valid and not, undecodable bytes -- feeds them to the C
driver (one per line, `-r` to get reasons) and to
email_validator.validate_email(addr, check_deliverability=False), and fails
listing every address where the verdict (valid or not) differs, or where the
reason text differs outside the documented differences below.

Lines are bytes; Python sees them decoded as UTF-8 with surrogateescape
(each undecodable byte becomes U+DC80..U+DCFF), which is how email.c reads
them too, and reasons are compared after encoding back the same way.

DIFFERENCES (deliberate, verdicts are never affected):
  - Out of memory: email.c reports "The email address could not be checked
    (out of memory)." where Python would raise MemoryError. Not generated.
  - A NUL character copied into a reason (e.g. the domain in "The domain
    name ... contains invalid characters") is written as U+FFFD: reasons are
    C strings. The comparison makes the same substitution. (Inside the
    repr() part of a message NUL is escaped as \\x00, exactly as Python.)
  - Reason texts longer than 1023 bytes are truncated (per-thread buffer).
    Only possible with enormous domains; such addresses are excluded from
    the reason comparison (not from the verdict comparison).
"""
import random
import subprocess
import sys

import email_validator

REASON_CAP = 1023
SEED = 20240601

VALID = [
    "user@example.com", "a@b.co", "john.doe@gmail.com", "x_y-z@sub.domain.org",
    "first.last+tag@mail.example.net", "o'reilly@example.ie", "a!#$%&'*+/=?^_`{|}~-b@x.io",
    "UPPER@EXAMPLE.COM", "MiXeD.CaSe@ExAmPlE.CoM", "n1@d1-d2.com", "1234567890@123.example",
    "user@xn--bcher-kva.de", "user@bücher.de", "用户@例子.广告", "Pelé@example.com",
    "δοκιμή@παράδειγμα.δοκιμή", "我買@屋企.香港", "二ノ宮@黒川.日本", "медведь@с-балалайкой.рф",
    "संपर्क@डाटामेल.भारत", "test@xn--80ak6aa92e.com", "ß@straße.de", "user@faß.de",
    "user@ουτοπία.δπθ.gr", "info@مثال.إختبار", "x@שלום.com", "user@ÉXAMPLE.COM",
    "a@ｅｘａｍｐｌｅ．ｃｏｍ", "a@example。com", "a@ex\u00admple.com", "a@xn--nxasmq6b.com",
    "a.b.c.d.e@f.g.h.i.j", "test@disposable.com", "test@multi-alias.com", "test@gmail.com",
    "a@a-b.c-d.ef", "a@123.com", "a@x.y.z.museum", "Ünïcödé@example.com",
]

# Characters mutations draw from.
ASCII_ALL = [chr(c) for c in range(0x20, 0x7F)]
CONTROL = [chr(c) for c in (0, 1, 9, 0x0B, 0x0C, 0x0D, 0x1F, 0x7F)]
UNI = [
    "\u0301", "\u0308", "\u200c", "\u200d", "\u00ad", "\u00a0", "\u2028", "\u2029",
    "\u200b", "\u2060", "\ufeff", "\u3002", "\uff0e", "\uff61", "\u0660", "\u0661",
    "\u06f0", "\u06f1", "\u05d0", "\u05d1", "\u0627", "\u0628", "\u05f3", "\u0375",
    "\u03b1", "\u00b7", "l", "\u30fb", "\u30a2", "\u3042", "\u4e00", "\u00df", "\u03c2",
    "\u00e9", "e\u0301", "\U0001f600", "\ue000", "\U000e0001", "\u0378", "\u0870",
    "\u094d", "\u0915", "\u2474", "\u2488", "\u00bd", "\u2126", "\u212a", "\u0130",
    "\uff21", "\u1e9e", "\u0345", "\u0085", "\u2066", "\u0640", "\u0644", "\u0600",
    "\u1100", "\uac00", "\u302e", "\u3000", "\u0009", "\uFE0F", "\U000E0100", "\u034f",
    "\u180b", "\u2e2f", "\u0f0b", "\u0d4d", "\u09cd", "\u0dca",
]
BAD_BYTES = [b"\xff", b"\xc3", b"\xe2\x82", b"\xed\xa0\x80", b"\xf4\x90\x80\x80",
             b"\xc0\xaf", b"\x80", b"\xf0\x9f\x98"]
SPECIAL_USE = ["arpa", "invalid", "local", "localhost", "onion", "test"]


def random_char(rng):
    """Any code point but a surrogate (those come from BAD_BYTES)."""
    while True:
        c = rng.randint(0x80, 0x3000) if rng.random() < 0.6 else rng.randint(0x3000, 0x10FFFF)
        if not 0xD800 <= c < 0xE000:
            return chr(c)


def mutate(rng, s):
    """Apply 1-3 random edits to str s."""
    for _ in range(rng.randint(1, 3)):
        op = rng.random()
        pos = rng.randint(0, len(s))
        pool = rng.choice([ASCII_ALL, ASCII_ALL, CONTROL, UNI, UNI, ["."], ["@"], ["-"], None])
        c = random_char(rng) if pool is None else rng.choice(pool)
        if op < 0.4:
            s = s[:pos] + c + s[pos:]
        elif op < 0.7 and s:
            pos = min(pos, len(s) - 1)
            s = s[:pos] + c + s[pos + 1:]
        elif s:
            pos = min(pos, len(s) - 1)
            s = s[:pos] + s[pos + 1:]
    return s


def enc(s):
    return s.encode("utf-8", "surrogateescape")


def generate():
    rng = random.Random(SEED)
    out = []

    def add(x):
        if isinstance(x, str):
            x = enc(x)
        if b"\n" not in x:
            out.append(x)

    # The seed's examples and the API facts' examples.
    for x in ["plaintext", "missing@tld", "@nodomain.", "", "@", "a@", "@b.com",
              "a@@b.com", "a@b@c.com", '"quoted"@example.com', '"a b"@example.com',
              '""@example.com', '"a\\"b"@example.com', "a@[1.2.3.4]",
              "a@[IPv6:2001:db8::1]", "a@1.2.3.4", "a@[127.0.0.1]", "a@localhost",
              "user@localhost.localdomain", "a@example", "a@com"]:
        add(x)
    for v in VALID:
        add(v)

    # Every printable ASCII character at the start, middle and end of the
    # local part and of each domain label.
    for c in ASCII_ALL + CONTROL:
        for t in ["{c}abc@example.com", "ab{c}c@example.com", "abc{c}@example.com",
                  "abc@{c}example.com", "abc@exa{c}mple.com", "abc@example{c}.com",
                  "abc@example.{c}com", "abc@example.co{c}m", "abc@example.com{c}",
                  "{c}@example.com", "a@{c}.com", "a@b.{c}"]:
            add(t.replace("{c}", c))

    # Dots everywhere.
    base = "abc.def@ghi.jkl.mn"
    for i in range(len(base) + 1):
        add(base[:i] + "." + base[i:])
        add(base[:i] + ".." + base[i:])
        if i < len(base):
            add(base[:i] + base[i + 1:])
    for x in ["a.@b.com", ".a@b.com", "a..b@c.com", "a@b..com", "a@.b.com", "a@b.com.",
              "a@b.com..", ".@b.com", "a@.", "a@..", "a.b.c.d.e.f@g.com"]:
        add(x)

    # Lengths around the limits, ASCII and internationalised.
    for n in range(60, 70):
        add("a" * n + "@example.com")
        add("é" * n + "@example.com")
        add("a" * (n - 1) + "\u0301" + "@example.com")
        add("e\u0301" * (n // 2) + "@example.com")
        add("a@" + "b" * n + ".com")
        add("a@" + "ü" * (n - 4) + ".com")
        add("a@" + "x" * (n - 1) + "ü.com")
        add("a@xn--" + "a" * (n - 4) + ".com")
    for total in range(245, 262):
        for local in (1, 10, 64):
            rest = total - local - 1 - 4
            if rest < 1:
                continue
            labels = []
            while rest > 0:
                k = min(63, rest)
                if rest - k == 1:
                    k -= 1
                labels.append("d" * k)
                rest -= k + 1
            dom = ".".join(l for l in labels if l) + ".com"
            add("l" * local + "@" + dom)
            add("é" * local + "@" + dom)
            add("l" * local + "@" + dom.replace("d", "ü", 1))
            add("l" * local + "@" + dom.replace("d", "ü", 3))
            add("ü" * local + "@" + dom.replace("d", "\u4e00", 5))
            add("l" * local + "@" + dom.upper())
    for k in range(20, 64, 3):
        add("a@" + "\u4e00" * k + ".com")
        add("a@" + "\U0001f600" * k + ".com")
        add("\u4e00" * k + "@" + "\u4e00" * 20 + ".com")
        add("a@" + ".".join(["\u4e00" * 15] * (k // 4)) + ".com")
        add("a@" + ".".join(["b" * 63] * (k // 8)) + ".com")

    # Special-use names and near misses.
    for s in SPECIAL_USE:
        for x in ["a@{s}", "a@x.{s}", "a@x.y.{s}", "a@{s}.com", "a@my{s}", "a@x.my{s}",
                  "a@x.{S}", "a@x.{s}x", "a@x.x{s}"]:
            add(x.replace("{s}", s).replace("{S}", s.upper()))
    for x in ["a@example.com", "a@example.org", "a@x.example", "a@x.localdomain",
              "a@x.internal", "a@x.home.arpa", "a@in-addr.arpa", "a@x.onion.com"]:
        add(x)

    # IP literals and numeric domains.
    for x in ["[1.2.3.4]", "[::1]", "[IPv6:::1]", "1.2.3.4", "1.2.3.com", "[a.b]",
              "[1.2.3.4].com", "1.com", "a.1", "a.1a", "a.a1", "0x7f.0.0.1", "256.1.1.1"]:
        add("user@" + x)

    # Quoted local parts.
    for q in ['"a"', '"a b"', '"a@b"', '"a\\ b"', '"a.b"', '""', '"\\""', '"a"b', 'a"b"',
              '"é"', '" "', '"a..b"', '"a\tb"']:
        add(q + "@example.com")

    # Punycode labels, well-formed and not.
    idn = ["bücher", "münchen", "例子", "παράδειγμα", "пример", "مثال", "שלום",
           "ドメイン", "faß", "straße", "täst", "i\u0307", "a\u200cb", "\u0915\u094d\u200c",
           "l\u00b7l", "\u0375\u03b1", "\u05d0\u05f3", "\u30fb\u30a2", "\u0661\u0662",
           "\u0661\u06f1", "a\u05d0", "\u05d01", "\u05d0\u0661", "1\u05d0", "\u0627\u0661\u06f1"]
    for w in idn:
        try:
            p = w.encode("punycode").decode("ascii")
        except UnicodeError:
            continue
        add("a@xn--" + p + ".com")
        add("a@XN--" + p.upper() + ".com")
        add("a@xn--" + p + "-.com")
        add("a@" + w + ".com")
        add("a@x." + w)
        for _ in range(5):
            add("a@xn--" + mutate(rng, p) + ".com")
    for x in ["xn--", "xn---", "xn--a", "xn--ab", "xn--99999999999", "xn--zzzzzzzz",
              "xn--a-", "xn--a-b", "xn--abc-def", "xn--0", "xn--9a", "xn--_a", "xn--a_b",
              "xn--ls8h", "xn--x", "xn--a.xn--b", "xn--80ak6aa92e", "xn--nxasmm1c",
              "xn--zca", "xn--9ca", "xn--d1acpjx3f", "xn--1ca", "xn--e1afmkfd", "xn--fiq228c",
              "xn--55qx5d", "xn--wgbh1c", "xn--4dbrk0ce", "xn--ab--c", "ab--cd", "xn-a",
              "xn--kgbechtv", "xn--hgbk6aj7f53bba", "xn--0zwm56d", "xn--11b5bs3a9aj6g",
              "xn--jxalpdlp", "xn--9t4b11yi5a", "xn--deba0ad", "xn--zckzah", "xn--" + "9" * 40,
              "xn--" + "z" * 40, "xn--a" + "9z" * 10]:
        add("a@" + x + ".com")
        add("a@b." + x)

    # Undecodable bytes in every part.
    for bb in BAD_BYTES:
        for t in [b"X@example.com", b"aXb@example.com", b"a@Xexample.com", b"a@exaXmple.com",
                  b"a@example.comX", b"a@example.X", b"X", b"aX@b", b"X@X"]:
            add(t.replace(b"X", bb))

    # Unicode in the local part: each test character alone, first and inside.
    for c in UNI + CONTROL:
        for t in ["{c}@example.com", "a{c}@example.com", "{c}a@example.com", "a{c}b@example.com",
                  "a@{c}.com", "a@b{c}.com", "a@{c}b.com", "a@b.c{c}m", "a@b.{c}"]:
            add(t.replace("{c}", c))

    # Random mutations of the valid addresses, and random IDN labels written
    # as Punycode, until 20,000 lines.
    while len(out) < 20000:
        v = rng.choice(VALID)
        add(mutate(rng, v))
        if rng.random() < 0.1:
            add(mutate(rng, mutate(rng, v)).upper())
        if rng.random() < 0.1:
            lab = "".join(random_char(rng) if rng.random() < 0.5 else rng.choice(UNI)
                          for _ in range(rng.randint(1, 8)))
            add("a@xn--" + lab.lower().encode("punycode").decode("ascii") + ".com")
    return out


def py_verdict(raw):
    s = raw.decode("utf-8", "surrogateescape")
    try:
        email_validator.validate_email(s, check_deliverability=False)
        return "1", None
    except email_validator.EmailNotValidError as e:
        return "0", enc(str(e)).replace(b"\x00", "\ufffd".encode())
    except Exception as e:  # e.g. a raw ValueError: pydantic rejects these too
        return "0", enc("<%s: %s>" % (type(e).__name__, e))


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: differential.py PATH/TO/email_check")
    lines = generate()
    proc = subprocess.run([sys.argv[1], "-r"], input=b"\n".join(lines) + b"\n",
                          stdout=subprocess.PIPE, check=True)
    got = proc.stdout.split(b"\n")[:-1]
    if len(got) != len(lines):
        sys.exit("driver printed %d lines for %d addresses" % (len(got), len(lines)))
    verdict_bad, reason_bad, nvalid = [], [], 0
    for raw, g in zip(lines, got):
        cv, _, creason = g.partition(b"\t")
        pv, preason = py_verdict(raw)
        nvalid += pv == "1"
        if cv.decode() != pv:
            verdict_bad.append((raw, pv, preason, cv.decode(), creason))
        elif pv == "0" and creason != preason and len(preason) < REASON_CAP:
            reason_bad.append((raw, preason, creason))
    print("%d addresses (%d valid per email_validator): %d verdict disagreements, "
          "%d reason disagreements" % (len(lines), nvalid, len(verdict_bad), len(reason_bad)))
    for raw, pv, pr, cv, cr in verdict_bad[:200]:
        print("VERDICT %r: python=%s (%r) c=%s (%r)" % (raw, pv, pr, cv, cr))
    for raw, pr, cr in reason_bad[:200]:
        print("REASON  %r:\n   python: %r\n   c:      %r" % (raw, pr, cr))
    sys.exit(1 if verdict_bad or reason_bad else 0)


if __name__ == "__main__":
    main()
