"""Uploads the server accepts but cannot process: each gives a failed task
with a clear reason, leaves nothing behind but the task's own upload, and
the server goes on serving."""
import pytest

from helpers import assert_still_serving, run_failed, run_ok

NO_EMAIL = ('No email column found in the headers: "name", "phone". Name the address column '
            'email, e-mail or email address, or put the addresses in the first column')

CASES = [
    ('empty', 'e.csv', b'', 'The file is empty'),
    ('empty_txt', 'e.txt', b'', 'The file is empty'),
    ('only_newlines', 'nl.csv', b'\n\r\n\n', 'The file is empty'),
    ('bom_only', 'bom.csv', b'\xef\xbb\xbf', 'The file is empty'),
    ('header_only', 'h.csv', b'email,name\n', 'No data rows: the file has only a header'),
    ('header_only_no_eol', 'h.csv', b'email', 'No data rows: the file has only a header'),
    ('header_only_tsv', 'h.tsv', b'email\tname\r\n', 'No data rows: the file has only a header'),
    ('binary_nul', 'bin.csv', b'email\na@example.com\n\x00\x01\x02\xff\x00PK\x03\x04',
     'The file is not text: NUL byte on line 3'),
    ('nul_in_header', 'bin.csv', b'em\x00ail\na@example.com\n', 'The file is not text: NUL byte on line 1'),
    ('invalid_utf8', 'latin1.csv', b'email,name\na@example.com,\xe9lodie\n',
     'The file is not valid UTF-8 text (line 2); save it as UTF-8'),
    ('overlong_utf8', 'ov.csv', b'email\n\xc0\xaf@example.com\n',
     'The file is not valid UTF-8 text (line 2); save it as UTF-8'),
    ('surrogate_utf8', 'sur.csv', b'email\n\xed\xa0\x80@example.com\n',
     'The file is not valid UTF-8 text (line 2); save it as UTF-8'),
    ('utf16_le', 'u16.csv', 'email\na@example.com\n'.encode('utf-16'),
     'The file is UTF-16 encoded; save it as UTF-8'),
    ('utf16_be', 'u16.csv', b'\xfe\xff' + 'email\na@example.com\n'.encode('utf-16-be'),
     'The file is UTF-16 encoded; save it as UTF-8'),
    ('utf32', 'u32.txt', 'email\na@example.com\n'.encode('utf-32'),
     'The file is UTF-32 encoded; save it as UTF-8'),
    ('no_email_column', 'n.csv', b'name,phone\nAnn,123\n', NO_EMAIL),
    ('no_email_column_tsv', 'n.tsv', b'name\tphone\nAnn\t123\n', NO_EMAIL),
    ('txt_first_lines_not_addresses', 'n.txt', b'name,phone\nAnn\nBo\na@example.com\n',
     NO_EMAIL),
    ('xlsx_that_is_csv', 'x.xlsx', b'email\na@example.com\n', 'Corrupt XLSX: not a zip archive'),
]


@pytest.mark.parametrize('name,content,reason', [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_file_fails_task(server, name, content, reason):
    assert run_failed(server, name, content) == reason
    assert_still_serving(server)


def test_one_megabyte_field_is_fine(server):
    big = b'z' * (1 << 20)
    st, out = run_ok(server, 'big.csv', b'email,blob\na@example.com,' + big + b'\n')
    assert out == b'email,blob,category,domain_type\na@example.com,' + big + b',white,unknown\n'


def test_one_megabyte_quoted_multiline_field_is_fine(server):
    big = b'line with "" quote\n' * 50000
    st, out = run_ok(server, 'big.csv', b'email,blob\r\na@example.com,"' + big + b'"\r\n')
    assert out == (b'email,blob,category,domain_type\r\na@example.com,"' + big
                   + b'",white,unknown\r\n')


def test_twenty_megabyte_field_fails(server):
    # One 20 MB unquoted field on one line is over the 16 MB row cap first.
    data = b'email,blob\na@example.com,' + b'z' * (20 << 20) + b'\n'
    assert run_failed(server, 'huge.csv', data) == 'Row at line 2 is longer than 16 MB'
    assert_still_serving(server)


def test_twenty_megabyte_quoted_field_fails_field_cap(server):
    # Spread over lines, each line is short: the 4 MiB field cap answers.
    data = b'email,blob\na@example.com,"' + b'zzzzzzzzzzzzzzz\n' * (20 << 16) + b'"\n'
    assert run_failed(server, 'huge.csv', data) == 'A field at line 2 is longer than 4 MB'
    assert_still_serving(server)


def test_twenty_megabyte_txt_line_fails(server):
    data = b'a@example.com\n' + b'z' * (20 << 20) + b'\n'
    assert run_failed(server, 'huge.txt', data) == 'Row at line 2 is longer than 16 MB'
    assert_still_serving(server)


def test_binary_file_of_random_bytes(server):
    import random
    rnd = random.Random(4180)
    data = bytes(rnd.randrange(256) for _ in range(64 * 1024))
    reason = run_failed(server, 'noise.csv', data)
    assert reason.startswith(('The file is not text', 'The file is not valid UTF-8',
                              'The file is UTF-16', 'The file is UTF-32')), reason
    assert_still_serving(server)
