"""Delimited inputs (CSV, TSV, TXT): how rows are read and written back.

Results copy every kept input row byte for byte (quoting, BOM, line ends
included) and append the delimiter, category, delimiter, domain_type."""
import pytest

from helpers import counts, parse_delimited, run_failed, run_ok


def test_rfc4180_quoting_copied_verbatim(server):
    rows = [b'email,note,extra',
            b'"a@example.com","has, comma","say ""hi"""',
            b'b@example.com,"two\nlines","three\r\nlines"',
            b'"c@example.com",,""']
    data = b'\n'.join(rows) + b'\n'
    st, out = run_ok(server, 'quoted.csv', data)
    assert counts(st) == (3, 0, 0, 3)
    assert out == (b'email,note,extra,category,domain_type\n'
                   b'"a@example.com","has, comma","say ""hi""",white,unknown\n'
                   b'b@example.com,"two\nlines","three\r\nlines",white,unknown\n'
                   b'"c@example.com",,"",white,unknown\n')
    # and it still parses as the same table plus two columns
    parsed = parse_delimited(out)
    assert parsed[1] == ['a@example.com', 'has, comma', 'say "hi"', 'white', 'unknown']
    assert parsed[2] == ['b@example.com', 'two\nlines', 'three\r\nlines', 'white', 'unknown']


def test_quoted_address_with_spaces_is_trimmed_for_checking(server):
    data = b'email\n"  a@example.com  "\n\t b@example.com\t\n'
    st, out = run_ok(server, 'spaces.csv', data)
    assert counts(st) == (2, 0, 0, 2)
    assert out == (b'email,category,domain_type\n'
                   b'"  a@example.com  ",white,unknown\n'
                   b'\t b@example.com\t,white,unknown\n')


def test_utf8_bom_kept(server):
    data = b'\xef\xbb\xbfemail,name\na@example.com,\xc3\x89lodie\n'
    st, out = run_ok(server, 'bom.csv', data)
    assert out == (b'\xef\xbb\xbfemail,name,category,domain_type\n'
                   b'a@example.com,\xc3\x89lodie,white,unknown\n')


@pytest.mark.parametrize('eol', [b'\r\n', b'\n'], ids=['crlf', 'lf'])
def test_line_endings_kept(server, eol):
    data = eol.join([b'email,n', b'a@example.com,1', b'b@example.com,2']) + eol
    st, out = run_ok(server, 'eol.csv', data)
    assert out == eol.join([b'email,n,category,domain_type', b'a@example.com,1,white,unknown',
                            b'b@example.com,2,white,unknown']) + eol


def test_mixed_line_endings_each_kept(server):
    data = b'email,n\r\na@example.com,1\nb@example.com,2\r\n'
    st, out = run_ok(server, 'mixed.csv', data)
    assert out == (b'email,n,category,domain_type\r\na@example.com,1,white,unknown\n'
                   b'b@example.com,2,white,unknown\r\n')


def test_last_line_without_newline(server):
    st, out = run_ok(server, 'nonl.csv', b'email,n\na@example.com,1\nb@example.com,2')
    assert counts(st) == (2, 0, 0, 2)
    assert out == (b'email,n,category,domain_type\na@example.com,1,white,unknown\n'
                   b'b@example.com,2,white,unknown')


def test_blank_lines_are_not_rows(server):
    st, out = run_ok(server, 'blank.csv', b'email,n\n\na@example.com,1\n\n\nb@example.com,2\n')
    assert counts(st) == (2, 0, 0, 2)
    assert out == (b'email,n,category,domain_type\na@example.com,1,white,unknown\n'
                   b'b@example.com,2,white,unknown\n')


def test_semicolon_csv_excel_style(server):
    data = (b'\xef\xbb\xbfName;Email;City\r\n'
            b'Ann;ann@example.com;"Paris; France"\r\n'
            b'Bob;bob@example.com;Lyon\r\n')
    st, out = run_ok(server, 'excel.csv', data)
    assert counts(st) == (2, 0, 0, 2)
    assert out == (b'\xef\xbb\xbfName;Email;City;category;domain_type\r\n'
                   b'Ann;ann@example.com;"Paris; France";white;unknown\r\n'
                   b'Bob;bob@example.com;Lyon;white;unknown\r\n')


def test_tsv(server):
    data = b'id\temail\tnote\n1\ta@example.com\thas, comma; semi\n2\tplaintext\t\n'
    st, out = run_ok(server, 'list.tsv', data)
    assert counts(st) == (2, 0, 1, 1)
    assert out == (b'id\temail\tnote\tcategory\tdomain_type\n'
                   b'1\ta@example.com\thas, comma; semi\twhite\tunknown\n'
                   b'2\tplaintext\t\tblack\tinvalid\n')


def test_tab_separated_file_named_csv_is_sniffed(server):
    st, out = run_ok(server, 'tabs.csv', b'email\tn\na@example.com\t1\n')
    assert out == b'email\tn\tcategory\tdomain_type\na@example.com\t1\twhite\tunknown\n'


def test_txt_one_address_per_line(server):
    data = b'a@example.com\nplaintext\n  b@example.com  \n\nc@example.com'
    st, out = run_ok(server, 'list.txt', data)
    assert counts(st) == (4, 0, 1, 3)
    # no header is invented; each line gets ",category,domain_type"
    assert out == (b'a@example.com,white,unknown\nplaintext,black,invalid\n'
                   b'  b@example.com  ,white,unknown\nc@example.com,white,unknown')


def test_txt_crlf_lines(server):
    st, out = run_ok(server, 'list.txt', b'a@example.com\r\nb@example.com\r\n')
    assert out == b'a@example.com,white,unknown\r\nb@example.com,white,unknown\r\n'


def test_txt_with_a_delimited_header(server):
    st, out = run_ok(server, 'pipes.txt', b'name|email\nAnn|ann@example.com\n')
    assert out == b'name|email|category|domain_type\nAnn|ann@example.com|white|unknown\n'
    st, out = run_ok(server, 'commas.txt', b'email,name\nann@example.com,Ann\n')
    assert out == b'email,name,category,domain_type\nann@example.com,Ann,white,unknown\n'


def test_txt_with_email_header_line(server):
    st, out = run_ok(server, 'hdr.txt', b'Email\na@example.com\n')
    assert counts(st) == (1, 0, 0, 1)
    assert out == b'Email,category,domain_type\na@example.com,white,unknown\n'


@pytest.mark.parametrize('header', [b'email', b'EMAIL', b'E-mail', b'e-MAIL', b'Email Address',
                                    b'EMAIL ADDRESS', b'emails', b'Emails', b' email '])
def test_email_header_names(server, header):
    data = b'id,' + header + b'\n1,a@example.com\n2,plaintext\n'
    st, out = run_ok(server, 'h.csv', data)
    assert counts(st) == (2, 0, 1, 1)
    assert out == (b'id,' + header + b',category,domain_type\n'
                   b'1,a@example.com,white,unknown\n2,plaintext,black,invalid\n')


def test_first_matching_header_column_wins(server):
    st, out = run_ok(server, 'two.csv', b'email,e-mail\nplaintext,a@example.com\n')
    assert out == b'email,e-mail,category,domain_type\nplaintext,a@example.com,black,invalid\n'


def test_headerless_csv_first_column_holds_addresses(server):
    data = b'a@example.com,Ann\nplaintext,Bob\nb@example.com,Cy\n'
    st, out = run_ok(server, 'nohdr.csv', data)
    assert counts(st) == (3, 0, 1, 2)
    assert out == (b'a@example.com,Ann,white,unknown\nplaintext,Bob,black,invalid\n'
                   b'b@example.com,Cy,white,unknown\n')


def test_seed_invalid_examples_are_black_invalid_and_free(server):
    data = b'email\nplaintext\nmissing@tld\n@nodomain.\nok@example.com\n'
    st, out = run_ok(server, 'seed.csv', data)
    assert counts(st) == (4, 0, 3, 1)
    assert out == (b'email,category,domain_type\nplaintext,black,invalid\n'
                   b'missing@tld,black,invalid\n@nodomain.,black,invalid\n'
                   b'ok@example.com,white,unknown\n')


def test_sandbox_addresses(server):
    data = b'email\ntest@disposable.com\ntest@multi-alias.com\ntest@gmail.com\nother@example.org\n'
    st, out = run_ok(server, 'sandbox.csv', data)
    got = [r[1:] for r in parse_delimited(out)[1:]]
    assert got == [['black', 'disposable'], ['grey', 'multi-alias services'],
                   ['white', 'unknown'], ['white', 'unknown']]
    assert counts(st) == (4, 0, 0, 4)  # black but valid: still charged


def test_short_rows_padded_so_category_lines_up(server):
    data = b'email,a,b,c\nx@example.com\ny@example.com,1\nz@example.com,1,2\nw@example.com,1,2,3\n'
    st, out = run_ok(server, 'ragged.csv', data)
    assert out == (b'email,a,b,c,category,domain_type\n'
                   b'x@example.com,,,,white,unknown\n'
                   b'y@example.com,1,,,white,unknown\n'
                   b'z@example.com,1,2,,white,unknown\n'
                   b'w@example.com,1,2,3,white,unknown\n')
    for row in parse_delimited(out):
        assert len(row) == 6


def test_short_row_missing_the_email_cell_is_invalid(server):
    st, out = run_ok(server, 'short.csv', b'name,email\nAnn\nBob,b@example.com\n')
    assert counts(st) == (2, 0, 1, 1)
    assert out == (b'name,email,category,domain_type\nAnn,,black,invalid\n'
                   b'Bob,b@example.com,white,unknown\n')


def test_row_with_more_fields_than_header_fails(server):
    reason = run_failed(server, 'wide.csv', b'email,n\na@example.com,1\nb@example.com,2,3\n')
    assert reason == 'Row at line 3 has 3 fields, the header has 2'


def test_row_wider_than_headerless_first_row_fails(server):
    reason = run_failed(server, 'wide.csv', b'a@example.com\nb@example.com,2\n')
    assert reason == 'Row at line 2 has 2 fields, the first row has 1'


def test_line_numbers_count_embedded_newlines(server):
    data = b'email,n\n"a@example.com","x\ny\nz"\nb@example.com,1,2\n'
    assert run_failed(server, 'wide.csv', data) == 'Row at line 5 has 3 fields, the header has 2'


def test_unterminated_quote_is_read_to_end_of_file(server):
    # libcsv in non-strict mode takes an open quote to the end of the file.
    st, out = run_ok(server, 'open.csv', b'email,n\na@example.com,"never closed\nb@example.com,2\n')
    assert counts(st) == (1, 0, 0, 1)
    assert out == (b'email,n,category,domain_type\n'
                   b'a@example.com,"never closed\nb@example.com,2\n,white,unknown')


def test_unicode_addresses(server):
    data = 'email\nJos\u00e9@example.com\nuser@b\u00fccher.de\n'.encode()
    st, out = run_ok(server, 'idn.csv', data)
    assert counts(st) == (2, 0, 0, 2)
    assert out == ('email,category,domain_type\nJos\u00e9@example.com,white,unknown\n'
                   'user@b\u00fccher.de,white,unknown\n').encode()
