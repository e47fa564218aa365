"""test_status_body.py: the status answer's exact bytes (v1.c writes it
without building a jansson object): compact, keys in the real API's
order, strings escaped as jansson escapes them (the rest of the API's
JSON), whatever the project name or the failure reason holds."""
import json
import re

from harness import V1
from helpers import KEY

NAMES = ['plain', 'a"b\\c', 'tab\there\nnl', 'ctl\x01\x1a\x1f\x7f', 'Проект ✓ 名前',
         '/slash/', 'x' * 50, ' ', '\u2028\u2029', 'é"\\']


def _jansson(obj):
    """json_dumps(JSON_COMPACT | JSON_PRESERVE_ORDER): Python's compact
    dump without ASCII escaping, but jansson's upper-case \\u00XX."""
    s = json.dumps(obj, ensure_ascii=False, separators=(',', ':'))
    return re.sub(r'\\u00([0-9a-f]{2})', lambda m: '\\u00' + m.group(1).upper(), s).encode()


def _status_bytes(server, tid):
    while True:
        r = server.status(KEY, tid)
        assert r.status_code == 200, r.text
        if r.json()['status'] != 'processing':
            return r


def test_status_body_bytes(server):
    for name in NAMES:
        for filename, content in (('a.csv', b'email\na@example.com\nb@example.com\n'),
                                  ('bad.csv', b'name,phone\n"x",1\n')):
            r = server.submit(KEY, filename, content, project_name=name)
            assert r.status_code == 200, r.text
            tid = r.json()['task_id']
            st = _status_bytes(server, tid)
            got = st.json()
            keys = ['task_id', 'status', 'project_name', 'created_at', 'rows',
                    'duplicates_removed', 'invalid', 'charged', 'progress']
            if got['status'] == 'failed':
                keys.append('error')
                assert '"name"' in got['error'], got
            assert list(got) == keys, got
            assert got['project_name'] == name, (got, name)
            assert st.content == _jansson(got), (st.content, _jansson(got))
            assert st.headers['Content-Type'] == 'application/json', st.headers
