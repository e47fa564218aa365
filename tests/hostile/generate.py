"""generate.py: the big or binary inputs of the hostile corpus, made at
test time (nothing large is committed). cases.json names a generator and
its arguments; generate(name, **args) returns the bytes.

Every generator is deterministic, so a failure reproduces exactly."""
import io
import os
import random
import struct
import zipfile
import zlib

ROOT = os.path.join(os.path.dirname(__file__), '..', '..')
MB = 1 << 20


def fixture(path):
    with open(os.path.join(ROOT, path), 'rb') as f:
        return f.read()


# -- delimited text --

def long_line(mb, prefix='email,', fill='x', newline=False):
    """One line of mb MB with no line end (a header-less giant row)."""
    body = prefix.encode() + fill.encode() * (mb * MB)
    return body + (b'\n' if newline else b'')


def big_field(mb, quoted=False):
    """A header, then one row whose second field is mb MB."""
    if quoted:
        chunk = b'zzzzzzzzzzzzzzz\n'
        field = b'"' + chunk * (mb * MB // len(chunk)) + b'"'
    else:
        field = b'z' * (mb * MB)
    return b'email,blob\na@example.com,' + field + b'\n'


def repeat(unit, mb=None, count=None, head='', tail=''):
    """unit repeated to mb MB (or count times), between head and tail."""
    u = unit.encode('latin-1')
    n = count if count is not None else (mb * MB) // len(u)
    return head.encode('latin-1') + u * n + tail.encode('latin-1')


def wide_header(columns):
    """A header of `columns` columns (email first) and one data row."""
    head = ','.join(['email'] + ['c%d' % i for i in range(1, columns)])
    return (head + '\na@example.com\n').encode()


def utf16(endian, bom=True):
    text = 'email,name\na@example.com,Ann\n'
    codec = 'utf-16-le' if endian == 'le' else 'utf-16-be'
    mark = (b'\xff\xfe' if endian == 'le' else b'\xfe\xff') if bom else b''
    return mark + text.encode(codec)


# -- archives --

def _xlsx_parts(sheet_xml):
    return {
        '[Content_Types].xml': '<?xml version="1.0"?><Types xmlns="http://schemas.'
                               'openxmlformats.org/package/2006/content-types"/>',
        '_rels/.rels': '<?xml version="1.0"?><Relationships xmlns="http://schemas.'
                       'openxmlformats.org/package/2006/relationships"><Relationship '
                       'Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
                       '2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
                       '</Relationships>',
        'xl/workbook.xml': '<?xml version="1.0"?><workbook xmlns="http://schemas.'
                           'openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://'
                           'schemas.openxmlformats.org/officeDocument/2006/relationships">'
                           '<sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets>'
                           '</workbook>',
        'xl/_rels/workbook.xml.rels': '<?xml version="1.0"?><Relationships xmlns="http://'
                                      'schemas.openxmlformats.org/package/2006/relationships'
                                      '"><Relationship Id="rId1" Type="http://schemas.'
                                      'openxmlformats.org/officeDocument/2006/relationships/'
                                      'worksheet" Target="worksheets/sheet1.xml"/>'
                                      '</Relationships>',
        'xl/worksheets/sheet1.xml': sheet_xml,
    }


def _zip(parts, extra=()):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, 'w', zipfile.ZIP_DEFLATED) as z:
        for name, data in list(parts.items()) + list(extra):
            z.writestr(name, data)
    return buf.getvalue()


SHEET_NS = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main'


def xlsx_sheet(rows_xml):
    return _zip(_xlsx_parts('<?xml version="1.0"?><worksheet xmlns="%s"><sheetData>%s'
                            '</sheetData></worksheet>' % (SHEET_NS, rows_xml)))


def good_xlsx():
    return xlsx_sheet('<row r="1"><c r="A1" t="inlineStr"><is><t>email</t></is></c></row>'
                      '<row r="2"><c r="A2" t="inlineStr"><is><t>a@example.com</t></is>'
                      '</c></row>')


def cut(path, keep):
    """The first `keep` bytes (a fraction if < 1) of a fixture."""
    data = fixture(path)
    n = int(len(data) * keep) if keep < 1 else int(keep)
    return data[:n]


def flip(path, at, count=16, fill=0xff):
    """A fixture with `count` bytes from offset `at` (negative: from the
    end) overwritten with `fill`."""
    data = bytearray(fixture(path))
    i = at if at >= 0 else len(data) + at
    for k in range(i, min(i + count, len(data))):
        data[k] = fill
    return bytes(data)


def smash_cd(path):
    """A fixture with its whole central directory overwritten with 0xff
    (the end record kept, so it still points there)."""
    data = bytearray(fixture(path))
    e = data.rfind(b'PK\x05\x06')
    size, off = struct.unpack('<II', data[e + 12:e + 20])
    data[off:off + size] = b'\xff' * size
    return bytes(data)


def zip_many_entries(n):
    """A valid workbook plus n tiny extra entries (over the entry cap)."""
    extra = (('pad/%05d.txt' % i, b'') for i in range(n))
    return _zip(_xlsx_parts('<worksheet xmlns="%s"><sheetData/></worksheet>' % SHEET_NS),
                extra)


def zip_row_bomb(rows):
    """A workbook whose sheet is `rows` copies of one row (tens of MB),
    deflated to a few hundred KB: honest sizes, real rows."""
    row = b'<row><c t="inlineStr"><is><t>a@example.com</t></is></c></row>'
    count = rows - rows % 4096
    head = ('<worksheet xmlns="%s"><sheetData>' % SHEET_NS).encode()
    tail = b'</sheetData></worksheet>'
    co = zlib.compressobj(9, zlib.DEFLATED, -15)
    comp = co.compress(head)
    block = row * 4096
    for _ in range(count // 4096):
        comp += co.compress(block)
    comp += co.compress(tail) + co.flush()
    size = len(head) + (count // 4096) * len(block) + len(tail)
    crc = zlib.crc32(head)
    for _ in range(count // 4096):
        crc = zlib.crc32(block, crc)
    crc = zlib.crc32(tail, crc)
    return _raw_zip(_xlsx_parts(''), 'xl/worksheets/sheet1.xml', comp, size, crc)


def _raw_zip(parts, big_name, big_comp, big_size, big_crc):
    """A zip of parts (deflated by zlib) plus one pre-deflated entry."""
    out = io.BytesIO()
    cd = []
    entries = [(n, d.encode() if isinstance(d, str) else d)
               for n, d in parts.items() if n != big_name]

    def add(name, comp, size, crc):
        off = out.tell()
        nm = name.encode()
        out.write(struct.pack('<IHHHHHIIIHH', 0x04034b50, 20, 0, 8, 0, 0, crc,
                              len(comp), size, len(nm), 0) + nm + comp)
        cd.append(struct.pack('<IHHHHHHIIIHHHHHII', 0x02014b50, 20, 20, 0, 8, 0, 0, crc,
                              len(comp), size, len(nm), 0, 0, 0, 0, 0, off) + nm)

    for name, data in entries:
        co = zlib.compressobj(9, zlib.DEFLATED, -15)
        add(name, co.compress(data) + co.flush(), len(data), zlib.crc32(data))
    add(big_name, big_comp, big_size, big_crc)
    cd_off = out.tell()
    cdb = b''.join(cd)
    out.write(cdb)
    out.write(struct.pack('<IHHHHIIH', 0x06054b50, 0, 0, len(cd), len(cd), len(cdb),
                          cd_off, 0))
    return out.getvalue()


def noise(size, seed=4180, prefix=''):
    rnd = random.Random(seed)
    return prefix.encode('latin-1') + bytes(rnd.randrange(256) for _ in range(size))


GENERATORS = {f.__name__: f for f in (
    long_line, big_field, smash_cd, repeat, wide_header, utf16, xlsx_sheet, good_xlsx, cut, flip,
    zip_many_entries, zip_row_bomb, noise)}


def generate(name, **args):
    return GENERATORS[name](**args)
