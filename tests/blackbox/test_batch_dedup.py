"""Deduplication and counting: the last occurrence of each address wins
(trimmed, case-insensitive), kept rows stay in input order, empty cells
are never merged; deduplicate=false keeps every row. Counts in the status:
rows (data rows read), duplicates_removed, invalid, charged."""
import pytest

from helpers import KEY, assert_422, counts, run_ok, tasks

DUPS = (b'email,n\n'
        b'a@example.com,1\n'
        b'b@example.com,2\n'
        b' A@Example.COM ,3\n'
        b'plaintext,4\n'
        b'c@example.com,5\n'
        b'b@example.com,6\n'
        b'PLAINTEXT,7\n')
DEDUPED = (b'email,n,category,domain_type\n'
           b' A@Example.COM ,3,white,unknown\n'
           b'c@example.com,5,white,unknown\n'
           b'b@example.com,6,white,unknown\n'
           b'PLAINTEXT,7,black,invalid\n')
ALL_ROWS = (b'email,n,category,domain_type\n'
            b'a@example.com,1,white,unknown\n'
            b'b@example.com,2,white,unknown\n'
            b' A@Example.COM ,3,white,unknown\n'
            b'plaintext,4,black,invalid\n'
            b'c@example.com,5,white,unknown\n'
            b'b@example.com,6,white,unknown\n'
            b'PLAINTEXT,7,black,invalid\n')


def test_default_keeps_last_occurrence_in_original_order(server):
    st, out = run_ok(server, 'dups.csv', DUPS)
    assert out == DEDUPED
    assert counts(st) == (7, 3, 1, 3)


@pytest.mark.parametrize('spelling', ['true', 'True', 'TRUE', '1', 'yes', 'YES', 'on', 'On',
                                      't', 'T', 'y', 'Y'])
def test_deduplicate_true_spellings(server, spelling):
    st, out = run_ok(server, 'dups.csv', DUPS, dedup=spelling)
    assert out == DEDUPED
    assert counts(st) == (7, 3, 1, 3)


@pytest.mark.parametrize('spelling', ['false', 'False', 'FALSE', '0', 'no', 'NO', 'off', 'Off',
                                      'f', 'F', 'n', 'N'])
def test_deduplicate_false_spellings_keep_all_rows(server, spelling):
    st, out = run_ok(server, 'dups.csv', DUPS, dedup=spelling)
    assert out == ALL_ROWS
    assert counts(st) == (7, 0, 2, 5)
    assert tasks(server, KEY)[0]['deduplicate'] is False


@pytest.mark.parametrize('bad', ['maybe', '2', 'yess', 'tru', ' true', 'null'])
def test_deduplicate_not_a_bool_is_422(server, bad):
    r = server.submit(KEY, 'dups.csv', DUPS, dedup=bad)
    err = assert_422(r, ('bool_parsing', 'deduplicate'))[0]
    assert err['msg'] == 'Input should be a valid boolean, unable to interpret input'
    assert err['input'] == bad
    assert tasks(server) == []


def test_empty_email_cells_kept_and_never_merged(server):
    data = b'email,n\n,1\n"",2\n   ,3\na@example.com,4\n,5\na@example.com,6\n'
    st, out = run_ok(server, 'empty.csv', data)
    assert out == (b'email,n,category,domain_type\n'
                   b',1,black,invalid\n"",2,black,invalid\n   ,3,black,invalid\n'
                   b',5,black,invalid\na@example.com,6,white,unknown\n')
    assert counts(st) == (6, 1, 4, 1)


def test_invalid_addresses_are_deduplicated_too(server):
    st, out = run_ok(server, 'inv.csv', b'email\nplaintext\nPlainText\nplaintext \n')
    assert out == b'email,category,domain_type\nplaintext ,black,invalid\n'
    assert counts(st) == (3, 2, 1, 0)


def test_unicode_case_folding(server):
    data = 'email\n\u00c9lise@example.com\n\u00e9lise@example.com\n'.encode()
    st, out = run_ok(server, 'fold.csv', data)
    assert counts(st) == (2, 1, 0, 1)
    assert out == 'email,category,domain_type\n\u00e9lise@example.com,white,unknown\n'.encode()


def test_dedup_in_txt_and_tsv(server):
    st, out = run_ok(server, 'l.txt', b'a@example.com\nb@example.com\nA@EXAMPLE.COM\n')
    assert out == b'b@example.com,white,unknown\nA@EXAMPLE.COM,white,unknown\n'
    assert counts(st) == (3, 1, 0, 2)
    st, out = run_ok(server, 'l.tsv', b'email\ta\nx@example.com\t1\nx@example.com\t2\n')
    assert out == b'email\ta\tcategory\tdomain_type\nx@example.com\t2\twhite\tunknown\n'


def test_status_fields(server):
    r = server.submit(KEY, 'dups.csv', DUPS, project_name='counting')
    st = server.wait(KEY, r.json()['task_id'])
    assert st['task_id'] == r.json()['task_id']
    assert st['project_name'] == 'counting'
    assert st['progress'] == 100
    assert 'error' not in st
    t = tasks(server, KEY)[0]
    assert (t['rows'], t['duplicates_removed'], t['invalid'], t['charged']) == (7, 3, 1, 3)
    assert t['upload_bytes'] == len(DUPS) and t['result_bytes'] == len(DEDUPED)


def test_long_distinct_cells_are_not_merged(server):
    a = b'x' * 2000 + b'a@example.com'
    b = b'x' * 2000 + b'b@example.com'
    st, out = run_ok(server, 'long.csv', b'email\n' + a + b'\n' + b + b'\n')
    assert counts(st) == (2, 0, 2, 0)
    assert out == (b'email,category,domain_type\n' + a + b',black,invalid\n'
                   + b + b',black,invalid\n')


def test_long_equal_cells_are_merged(server):
    a = b'x' * 2000 + b'a@example.com'
    st, out = run_ok(server, 'long.csv', b'email,n\n' + a + b',1\n' + a.upper() + b',2\n')
    assert counts(st) == (2, 1, 1, 0)
    assert out == b'email,n,category,domain_type\n' + a.upper() + b',2,black,invalid\n'
