#!/usr/bin/env python3
"""gen.py: deterministic contact lists for the benchmark.

Usage: gen.py FORMAT ROWS OUT   (FORMAT: csv, tsv or xlsx)
About 10% of rows repeat an earlier address (half of those in other letter
case) and 5% are malformed. Same arguments, same bytes."""
import random
import sys

FIRST = ['anna', 'ben', 'carla', 'dmitri', 'eve', 'farid', 'gita', 'hugo', 'ines', 'jon']
DOMAINS = ['example.com', 'mail.example.org', 'corp.example.net', 'gmail.com',
           'outlook.com', 'mailinator.com', 'yahoo.com', 'example.co.uk']
BAD = ['plaintext', 'missing@tld', '@nodomain.', 'two@@example.com', 'a b@example.com',
       'dots..here@example.com', 'trailing.@example.com']


def rows(n, seed=20261126):
    rnd = random.Random(seed)
    seen = []
    for i in range(n):
        r = rnd.random()
        if r < 0.10 and seen:
            e = seen[rnd.randrange(len(seen))]
            if rnd.random() < 0.5:
                e = e.upper()
        elif r < 0.15:
            e = rnd.choice(BAD)
        else:
            e = '%s.%s%d@%s' % (rnd.choice(FIRST), rnd.choice(FIRST), i, rnd.choice(DOMAINS))
            if len(seen) < 100000:
                seen.append(e)
            else:
                seen[rnd.randrange(len(seen))] = e
        yield [e, 'Name %d' % i, str(rnd.randrange(18, 90)), 'City%d' % rnd.randrange(1000)]


def main():
    fmt, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    header = ['email', 'name', 'age', 'city']
    if fmt in ('csv', 'tsv'):
        sep = ',' if fmt == 'csv' else '\t'
        with open(out, 'w', newline='') as f:
            f.write(sep.join(header) + '\n')
            buf = []
            for r in rows(n):
                buf.append(sep.join(r))
                if len(buf) == 10000:
                    f.write('\n'.join(buf) + '\n')
                    buf = []
            if buf:
                f.write('\n'.join(buf) + '\n')
    elif fmt == 'xlsx':
        from openpyxl import Workbook
        wb = Workbook(write_only=True)
        ws = wb.create_sheet()
        ws.append(header)
        for r in rows(n):
            ws.append([r[0], r[1], int(r[2]), r[3]])
        wb.save(out)
    else:
        sys.exit('format must be csv, tsv or xlsx')


if __name__ == '__main__':
    main()
