"""XLSX results keep the input's look: the sheet name, every cell's number
format (dates, times, percentages, currency, custom formats), the column
widths, and a bold header on the two added columns when the input's header
row is bold. Checked cell by cell against the input with openpyxl, on files
from LibreOffice, openpyxl, SheetJS and libxlsxwriter (fixtures/xlsx/
*_styled.xlsx, see its README), and rendered by LibreOffice headless."""
import datetime as dt
import io
import os
import re
import shutil
import subprocess

import openpyxl
import pytest

from helpers import FIXTURES, parse_delimited, run_ok

XLSX = os.path.join(FIXTURES, 'xlsx')
PRODUCERS = ['libreoffice', 'openpyxl', 'sheetjs', 'libxlsxwriter']
BOLD_HEADER = {'libreoffice': True, 'openpyxl': True, 'sheetjs': False, 'libxlsxwriter': True}


def fixture(name):
    with open(os.path.join(XLSX, name), 'rb') as f:
        return f.read()


def book(data):
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert len(wb.worksheets) == 1
    return wb.worksheets[0]


def look(c):
    """What the result must keep of a cell."""
    return (c.value, c.data_type, c.number_format, c.is_date, bool(c.font.b))


def widths(ws):
    return {k: (d.min, d.max, d.width) for k, d in ws.column_dimensions.items()
            if d.customWidth}


@pytest.mark.parametrize('producer', PRODUCERS)
def test_styled_result_keeps_the_look(server, producer):
    name = producer + '_styled.xlsx'
    data = fixture(name)
    src = book(data)
    st, out = run_ok(server, name, data)
    res = book(out)

    assert res.title == src.title == 'Contacts'
    assert res.max_row == src.max_row == 3
    assert res.max_column == src.max_column + 2
    for sr, rr in zip(src.iter_rows(), res.iter_rows()):
        for sc, rc in zip(sr, rr):
            assert look(rc) == look(sc), (producer, sc.coordinate)
    assert widths(res) == widths(src) != {}

    # what the table holds, in Python's terms
    row2 = [c.value for c in res[2]]
    assert row2[:3] == ['alice@example.com', dt.datetime(2024, 1, 2), dt.datetime(1990, 5, 17)]
    assert row2[3] in (dt.time(13, 45), dt.datetime(1899, 12, 30, 13, 45))
    assert row2[4:] == [0.125, 1234.5, 123, 'plain', 'white', 'unknown']
    assert [res.cell(2, c).is_date for c in range(1, 11)] == [False, True, True, True] + [False] * 6
    assert res['E2'].number_format == '0.00%'
    assert res['G2'].number_format == '00000'

    # the added columns: bold headers like the input's, plain General cells
    bold = BOLD_HEADER[producer]
    assert [res.cell(1, c).font.b for c in range(1, 9)] == [bold] * 8
    for col in (9, 10):
        assert bool(res.cell(1, col).font.b) == bold
        for r in (2, 3):
            assert not res.cell(r, col).font.b
            assert res.cell(r, col).number_format == 'General'
    assert [res.cell(1, c).value for c in (9, 10)] == ['category', 'domain_type']


def test_edge_look(server):
    """Sheet name with XML's special characters; styles that fall back."""
    data = fixture('styles_edge.xlsx')
    st, out = run_ok(server, 'edge.xlsx', data)
    res = book(out)
    assert res.title == 'R&D "Q1" <list>'
    # row 2 is one cell wider than the header: the added columns come after it
    assert [c.value for c in res[1]] == ['email', 'name', 'score', 'score', None,
                                         'category', 'domain_type']
    assert [bool(c.font.b) for c in res[1]] == [True] + [False] * 6
    assert res['B2'].value == 72.5 and res['B2'].number_format == '0.0"kg" & <>'
    assert res['C2'].is_date and res['C2'].value == dt.datetime(2023, 3, 15)
    assert res['D2'].number_format == 'General'           # undeclared custom id
    assert res['E2'].number_format == '0.00%' and res['E2'].font.b
    assert widths(res) == {'A': (1, 2, 20.5), 'D': (4, 16384, 8)}


def test_plain_input_plain_result(server):
    """No styles in the input: General everywhere, no bold, no widths."""
    st, out = run_ok(server, 'people.xlsx', fixture('inline_strings.xlsx'))
    res = book(out)
    assert res.title == 'Sheet1'
    assert all(c.number_format == 'General' and not c.font.b
               for r in res.iter_rows() for c in r)
    assert widths(res) == {}


def test_dedup_keeps_each_rows_look(server):
    """Rows are dropped by dedup; the kept rows keep their own formats."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = 'Dupes'
    ws.append(['email', 'when', 'share'])
    ws.append(['a@example.com', dt.date(2024, 1, 2), 0.5])
    ws.append(['b@example.com', dt.date(2024, 1, 3), 0.25])
    ws.append(['A@example.com', dt.date(2024, 1, 4), 0.75])
    ws['B2'].number_format = 'dd/mm/yyyy'
    ws['B3'].number_format = 'yyyy-mm-dd'
    ws['B4'].number_format = 'mmm d, yyyy'
    ws['C4'].number_format = '0%'
    buf = io.BytesIO()
    wb.save(buf)
    st, out = run_ok(server, 'dupes.xlsx', buf.getvalue())
    assert st['duplicates_removed'] == 1
    res = book(out)
    assert res.title == 'Dupes'
    assert [c.value for c in res['A']] == ['email', 'b@example.com', 'A@example.com']
    assert [c.number_format for c in res['B']] == ['General', 'yyyy-mm-dd', 'mmm d, yyyy']
    assert [c.number_format for c in res['C']] == ['General', 'General', '0%']
    assert not any(c.font.b for c in res[1])  # openpyxl's default header is plain


def libreoffice_csv(tmp_path, data, stem):
    """The sheet as LibreOffice shows it: CSV with "save cell contents as
    shown" on (the last of the filter's options), UTF-8."""
    src = tmp_path / (stem + '.xlsx')
    src.write_bytes(data)
    profile = 'file://' + str(tmp_path / 'lo-profile')
    p = subprocess.run(['soffice', '--headless', '-env:UserInstallation=' + profile,
                        '--convert-to', 'csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true',
                        '--outdir', str(tmp_path), str(src)],
                       capture_output=True, timeout=300)
    out = tmp_path / (stem + '.csv')
    assert out.exists(), p.stdout.decode() + p.stderr.decode()
    return parse_delimited(out.read_bytes())


@pytest.mark.skipif(not shutil.which('soffice'), reason='LibreOffice (soffice) not installed')
@pytest.mark.parametrize('producer', PRODUCERS)
def test_libreoffice_renders_the_formats(server, tmp_path, producer):
    """LibreOffice shows the result's cells as it shows the input's: dates
    as dates, times, percentages, currency and zero-padded codes."""
    name = producer + '_styled.xlsx'
    st, out = run_ok(server, name, fixture(name))
    want = libreoffice_csv(tmp_path, fixture(name), 'input')
    got = libreoffice_csv(tmp_path, out, 'result')
    assert [r[:8] for r in got] == want
    assert [r[8:] for r in got] == [['category', 'domain_type'], ['white', 'unknown'],
                                    ['white', 'unknown']]
    assert got[1][1] == '2024-01-02' and got[2][1] == '2024-02-29'
    assert re.fullmatch(r'0?5/17/(19)?90', got[1][2]), got[1][2]
    assert got[1][3:] == ['13:45:00', '12.50%', '$1,234.50', '00123', 'plain', 'white',
                          'unknown']
    assert got[2][3:7] == ['8:05:30', '-50.00%', '-$20.00', '04567']
