"""XLSX through the API: every fixture in fixtures/xlsx/ (expected rows in
its README) uploaded, the result .xlsx opened with openpyxl and checked cell
by cell (values and types kept, category and domain_type appended), one
result read back by LibreOffice; hostile fixtures fail with their reason."""
import io
import os
import re
import shutil
import subprocess
import zipfile

import openpyxl
import pytest

from helpers import FIXTURES, KEY, assert_still_serving, counts, parse_delimited, run_failed, run_ok

XLSX = os.path.join(FIXTURES, 'xlsx')
W, INV = ('white', 'unknown'), ('black', 'invalid')

PEOPLE = [
    ('email', 'name', 'age', 'score', 'category', 'domain_type'),
    ('alice@example.com', 'Alice', 30, 1.5) + W,
    ('bob@example.org', 'Bob Smith', 41, -2) + W,
    ('carol@example.net', 'Carol, Jr.', None, 0.25) + W,
]
BASIC = [('email', 'name', 'score', 'category', 'domain_type'),
         ('alice@example.com', 'Alice', 42) + W]

GOOD = {
    'libreoffice.xlsx': (PEOPLE, (3, 0, 0, 3)),
    'openpyxl.xlsx': (PEOPLE, (3, 0, 0, 3)),
    'openpyxl_write_only.xlsx': (PEOPLE, (3, 0, 0, 3)),
    'sheetjs.xlsx': (PEOPLE, (3, 0, 0, 3)),
    'libxlsxwriter.xlsx': (PEOPLE, (3, 0, 0, 3)),
    'data_descriptor.xlsx': (BASIC, (1, 0, 0, 1)),
    'stored.xlsx': (BASIC, (1, 0, 0, 1)),
    'zip64.xlsx': (BASIC, (1, 0, 0, 1)),
    'no_central_dir.xlsx': (BASIC, (1, 0, 0, 1)),
    'odd_names.xlsx': (BASIC, (1, 0, 0, 1)),
    'rel_targets.xlsx': (BASIC, (1, 0, 0, 1)),
    'hidden_first.xlsx': (BASIC, (1, 0, 0, 1)),
    'strict.xlsx': ([('email', 'category', 'domain_type'), ('s@example.com',) + W], (1, 0, 0, 1)),
    'inline_strings.xlsx': ([
        ('email', 'kind', 'value', 'category', 'domain_type'),
        ('a@example.com', 'str', 'xy') + W,
        (' b@example.com ', 'bool', True) + W,
        ('c@example.com', 'error', '#N/A') + W,       # an error cell again (openpyxl: text)
        ('d@example.com', 'number', 1500.0) + W,      # "1.50E+3" stays a number, text kept
        ('e@example.com', 'date', '2024-02-29T12:00:00') + W,
        ('f@example.com', 'esc_', 'tab\there') + W,
    ], (6, 0, 0, 6)),
    'rich_text.xlsx': ([
        ('email', 'Note s', 'category', 'domain_type'),
        ('bold@example.com', '\u6f22\u5b57') + W,
        # sheet() decodes _xHHHH_ escapes as Excel does (openpyxl 3.0 does not)
        ('line1\r\nline2', '_x0041_ stays literal') + INV,
        ('smile \U0001f600', None) + INV,
    ], (3, 0, 2, 1)),
    'no_refs.xlsx': ([
        ('email', 'name', 'score', 'category', 'domain_type'),
        ('alice@example.com', 1, None) + W,
        (None, 2, 3) + INV,
        ('Alice', None, None) + INV,
    ], (3, 0, 2, 1)),
}

HOSTILE = {
    'zip_bomb.xlsx': 'Corrupt XLSX: xl/worksheets/sheet1.xml inflates past its declared size',
    'entity_bomb.xlsx': 'XLSX rejected: XML contains a DOCTYPE (in xl/worksheets/sheet1.xml)',
    'xxe_doctype.xlsx': 'XLSX rejected: XML contains a DOCTYPE (in xl/sharedStrings.xml)',
    'truncated.xlsx': 'Corrupt XLSX: xl/worksheets/sheet1.xml is truncated',
    'crc_mismatch.xlsx': 'Corrupt XLSX: CRC mismatch in xl/worksheets/sheet1.xml',
    'no_workbook.xlsx': 'Not an XLSX workbook: no workbook part found',
    'not_zip.xlsx': 'Corrupt XLSX: not a zip archive',
    'chartsheet_only.xlsx': 'No worksheet found in workbook',
    'sst_out_of_range.xlsx': 'Corrupt XLSX: shared string index 5 out of range',
    'past_grid_col.xlsx': 'XLSX rejected: cell XFE2 is past the 16384-column limit',
    'past_grid_row.xlsx': 'XLSX rejected: row 1048577 is past the 1048576-row limit',
    'encrypted.xlsx': 'XLSX rejected: xl/worksheets/sheet1.xml is encrypted '
                      '(password-protected files are not supported)',
    'bad_method.xlsx': 'XLSX rejected: xl/worksheets/sheet1.xml uses unsupported '
                       'compression method 12',
    'styles_doctype.xlsx': 'XLSX rejected: XML contains a DOCTYPE (in xl/styles.xml)',
    'styles_too_many.xlsx': 'XLSX rejected: xl/styles.xml has more than 65536 cell formats',
    # 64 MiB of blank XML, under the default caps: read, but no rows in it
    'zip_bomb_honest.xlsx': 'The worksheet is empty',
}


def fixture(name):
    with open(os.path.join(XLSX, name), 'rb') as f:
        return f.read()


def excel_text(v):
    """Decode OOXML _xHHHH_ escapes as Excel does (openpyxl 3.0 leaves them)."""
    if not isinstance(v, str):
        return v
    return re.sub(r'_x([0-9A-Fa-f]{4})_', lambda m: chr(int(m.group(1), 16)), v)


def sheet(data):
    """(values, types) row tuples of the result's only worksheet."""
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert len(wb.worksheets) == 1
    ws = wb.worksheets[0]
    rows = [tuple(excel_text(c.value) for c in r) for r in ws.iter_rows()]
    # trailing empty cells of a row are not cells
    trimmed = []
    for r in rows:
        r = list(r)
        while r and r[-1] is None:
            r.pop()
        trimmed.append(tuple(r))
    return trimmed


# fixtures about the look (number formats, widths, bold, sheet name):
# test_xlsx_look.py
LOOK = {'libreoffice_styled.xlsx', 'openpyxl_styled.xlsx', 'sheetjs_styled.xlsx',
        'libxlsxwriter_styled.xlsx', 'styles_edge.xlsx'}


def test_every_fixture_is_covered():
    on_disk = {f for f in os.listdir(XLSX) if f.endswith('.xlsx')}
    known = set(GOOD) | set(HOSTILE) | LOOK | {'gaps.xlsx', 'prefixed_ns.xlsx'}
    assert on_disk == known


@pytest.mark.parametrize('name', sorted(GOOD))
def test_good_fixture(server, name):
    want, want_counts = GOOD[name]
    st, out = run_ok(server, name, fixture(name))
    assert counts(st) == want_counts
    got = sheet(out)
    assert got == want
    # types: numbers stay numbers, text stays text, bools stay bools
    def kind(v):
        return 'bool' if isinstance(v, bool) else 'number' if isinstance(v, (int, float)) \
            else type(v).__name__
    for grow, wrow in zip(got, want):
        assert [kind(g) for g in grow] == [kind(w) for w in wrow], (grow, wrow)


def test_result_is_valid_zip_with_one_sheet(server):
    st, out = run_ok(server, 'openpyxl.xlsx', fixture('openpyxl.xlsx'))
    z = zipfile.ZipFile(io.BytesIO(out))
    assert z.testzip() is None
    assert 'xl/worksheets/sheet1.xml' in z.namelist()
    # the input's sheet name is kept (test_xlsx_look.py has the rest of the look)
    assert openpyxl.load_workbook(io.BytesIO(out)).sheetnames == ['Sheet']


def test_result_headers(server):
    from harness import V1
    st, out = run_ok(server, 'People List.xlsx', fixture('sheetjs.xlsx'))
    url = server.get(V1 + '/batch-task-download/' + st['task_id'], KEY).json()['download_url']
    d = server.http.get(url)
    assert d.headers['Content-Type'] == \
        'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'
    assert d.headers['Content-Disposition'] == \
        'attachment; filename="People_List_results.xlsx"; filename*=UTF-8\'\'People%20List_results.xlsx'


def test_rich_text_escapes_in_result_xml(server):
    st, out = run_ok(server, 'r.xlsx', fixture('rich_text.xlsx'))
    xml = zipfile.ZipFile(io.BytesIO(out)).read('xl/worksheets/sheet1.xml').decode()
    assert 'line1_x000D_\nline2' in xml            # CR escaped so XML keeps it


def test_literal_escape_lookalike_survives(server):
    st, out = run_ok(server, 'r.xlsx', fixture('rich_text.xlsx'))
    xml = zipfile.ZipFile(io.BytesIO(out)).read('xl/worksheets/sheet1.xml').decode()
    assert '_x005F_x0041_ stays literal' in xml


def test_dedup_and_invalid_in_xlsx(server, tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in [('id', 'Email', 'when'), (1, 'a@example.com', 'x'), (2, 'plaintext', None),
                (3, ' A@EXAMPLE.COM ', 2.5), (4, None, 'empty'), (5, None, 'empty too'),
                (6, 'missing@tld', True)]:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    st, out = run_ok(server, 'mine.xlsx', buf.getvalue())
    assert counts(st) == (6, 1, 4, 1)
    assert sheet(out) == [
        ('id', 'Email', 'when', 'category', 'domain_type'),
        (2, 'plaintext', None) + INV,
        (3, ' A@EXAMPLE.COM ', 2.5) + W,
        (4, None, 'empty') + INV,
        (5, None, 'empty too') + INV,
        (6, 'missing@tld', True) + INV,
    ]
    st, out = run_ok(server, 'mine.xlsx', buf.getvalue(), dedup='false')
    assert counts(st) == (6, 0, 4, 2)
    assert len(sheet(out)) == 7


def test_headerless_xlsx(server):
    wb = openpyxl.Workbook()
    wb.active.append(('a@example.com', 1))
    wb.active.append(('b@example.com', 2))
    buf = io.BytesIO()
    wb.save(buf)
    st, out = run_ok(server, 'nohdr.xlsx', buf.getvalue())
    assert sheet(out) == [('a@example.com', 1) + W, ('b@example.com', 2) + W]


@pytest.mark.parametrize('name', ['gaps.xlsx', 'prefixed_ns.xlsx'])
def test_rows_wider_than_header(server, name):
    """Rows with cells past the header's last column: the task completes,
    every cell is kept, and the result columns come after the widest row."""
    st, out = run_ok(server, name, fixture(name))
    rows = sheet(out)
    if name == 'gaps.xlsx':
        assert counts(st) == (2, 0, 1, 1)
        assert rows[1] == ('alice@example.com', None, 7, None, None, None) + W
        assert rows[2][:6] == (None, None, -0.5, None, None, 'Alice')
    else:
        assert counts(st) == (1, 0, 0, 1)
        assert rows[1][:2] == ('p@example.com', 9)


@pytest.mark.parametrize('name', ['gaps.xlsx', 'prefixed_ns.xlsx'])
def test_category_column_lines_up_for_wide_rows(server, name):
    st, out = run_ok(server, name, fixture(name))
    rows = sheet(out)
    col = rows[0].index('category')
    for r in rows[1:]:
        assert r[col] in ('white', 'grey', 'black'), r
        assert r[col + 1] in ('unknown', 'invalid'), r


@pytest.mark.parametrize('name', sorted(HOSTILE))
def test_hostile_fixture_fails_cleanly(server, name):
    assert run_failed(server, name, fixture(name)) == HOSTILE[name]
    assert_still_serving(server)


def test_header_only_and_empty_sheets(server):
    wb = openpyxl.Workbook()
    wb.active.append(('email', 'name'))
    buf = io.BytesIO()
    wb.save(buf)
    assert run_failed(server, 'h.xlsx', buf.getvalue()) == \
        'No data rows: the sheet has only a header'
    buf = io.BytesIO()
    openpyxl.Workbook().save(buf)
    assert run_failed(server, 'e.xlsx', buf.getvalue()) == 'The worksheet is empty'
    wb = openpyxl.Workbook()
    wb.active.append(('name', 'phone'))
    wb.active.append(('Ann', 1))
    buf = io.BytesIO()
    wb.save(buf)
    assert run_failed(server, 'n.xlsx', buf.getvalue()).startswith('No email column found')
    assert_still_serving(server)


def test_xlsx_named_csv_fails(server):
    reason = run_failed(server, 'oops.csv', fixture('openpyxl.xlsx'))
    assert reason.startswith('The file is not text: NUL byte') or 'UTF-8' in reason, reason
    assert_still_serving(server)


@pytest.mark.skipif(not shutil.which('soffice'), reason='LibreOffice (soffice) not installed')
def test_result_read_by_libreoffice(server, tmp_path):
    st, out = run_ok(server, 'people.xlsx', fixture('libxlsxwriter.xlsx'))
    src = tmp_path / 'people_results.xlsx'
    src.write_bytes(out)
    profile = 'file://' + str(tmp_path / 'lo-profile')
    p = subprocess.run(['soffice', '--headless', '-env:UserInstallation=' + profile,
                        '--convert-to', 'csv', '--outdir', str(tmp_path), str(src)],
                       capture_output=True, timeout=300)
    csv_path = tmp_path / 'people_results.csv'
    assert csv_path.exists(), p.stdout.decode() + p.stderr.decode()
    assert parse_delimited(csv_path.read_bytes()) == [
        ['email', 'name', 'age', 'score', 'category', 'domain_type'],
        ['alice@example.com', 'Alice', '30', '1.5', 'white', 'unknown'],
        ['bob@example.org', 'Bob Smith', '41', '-2', 'white', 'unknown'],
        ['carol@example.net', 'Carol, Jr.', '', '0.25', 'white', 'unknown'],
    ]


def test_large_result_spans_deflate_blocks(server, tmp_path):
    """A result whose sheet XML is several of the writer's 1 MiB deflate
    blocks (deflated side by side on worker threads, src/formats/pdefl.c):
    a valid zip (CRCs and sizes checked by zipfile), every kept row's
    cells in order as openpyxl reads them, and LibreOffice opens it too."""
    rows = 30000
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append(['email', 'name', 'n'])
    src = [('user%d@example.com' % (i % (rows - 500)), 'Name %d' % i, i) for i in range(rows)]
    for r in src:
        ws.append(list(r))
    b = io.BytesIO()
    wb.save(b)
    st, out = run_ok(server, 'big.xlsx', b.getvalue())
    last = {r[0]: k for k, r in enumerate(src)}
    want = [('email', 'name', 'n', 'category', 'domain_type')] + \
        [r + W for k, r in enumerate(src) if last[r[0]] == k]
    z = zipfile.ZipFile(io.BytesIO(out))
    assert z.testzip() is None
    assert z.getinfo('xl/worksheets/sheet1.xml').file_size > 4 * 2**20
    got = list(openpyxl.load_workbook(io.BytesIO(out), read_only=True).active.values)
    assert len(got) == len(want)
    assert got == want
    if not shutil.which('soffice'):
        return
    (tmp_path / 'big_results.xlsx').write_bytes(out)
    profile = 'file://' + str(tmp_path / 'lo-profile')
    p = subprocess.run(['soffice', '--headless', '-env:UserInstallation=' + profile,
                        '--convert-to', 'csv', '--outdir', str(tmp_path),
                        str(tmp_path / 'big_results.xlsx')], capture_output=True, timeout=300)
    csv_path = tmp_path / 'big_results.csv'
    assert csv_path.exists(), p.stdout.decode() + p.stderr.decode()
    lo = parse_delimited(csv_path.read_bytes())
    assert len(lo) == len(want)
    assert lo[-1] == [str(v) for v in want[-1]], lo[-1]
    assert lo[1] == [str(v) for v in want[1]], lo[1]
