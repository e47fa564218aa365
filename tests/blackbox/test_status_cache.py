"""test_status_cache.py: a finished task's status answer is served from
memory once it has been read (store/statuscache.c): the same bytes and
headers as from the database, for its owner only, and never after the task
is gone: a status read after each kind of deletion (by hand, a key's reset,
a whole reset, retention by the clock, retention by a scenario's clock)
answers 404, while other tasks keep their answers. Every deletion here
comes after the task's answer was read at least twice (cached)."""
from harness import V1
from helpers import GOOD_CSV, KEY, assert_detail

OTHER = 'key-2'
BAD_CSV = b'name,phone\n"x",1\n'  # no address column: the task fails
NO_TASK = 'Task does not exist or has not started'


def _finished(server, key, content=GOOD_CSV, name='cached'):
    """Submit and wait; then read the answer twice more (the second from
    the cache) and check both are the same bytes. (task id, response)."""
    r = server.submit(key, 'a.csv', content, project_name=name)
    assert r.status_code == 200, r.text
    tid = r.json()['task_id']
    server.wait(key, tid)
    first = server.status(key, tid)
    again = server.status(key, tid)
    assert first.status_code == again.status_code == 200, (first.text, again.text)
    assert first.content == again.content
    assert first.headers['Content-Type'] == again.headers['Content-Type'] == 'application/json'
    assert first.json()['task_id'] == tid and first.json()['status'] != 'processing'
    return tid, first


def _gone(server, key, tid):
    assert_detail(server.status(key, tid), 404, NO_TASK)


def _same(server, key, tid, before):
    r = server.status(key, tid)
    assert r.status_code == 200 and r.content == before.content, (r.text, before.text)


def test_cached_answer_is_the_owners_only(server):
    tid, first = _finished(server, KEY)
    failed, ffirst = _finished(server, KEY, BAD_CSV)
    assert first.json()['status'] == 'completed' and ffirst.json()['status'] == 'failed'
    assert 'error' in ffirst.json()
    for t in (tid, failed):
        _gone(server, OTHER, t)  # another key: 404 exactly as a missing task
        assert_detail(server.get(V1 + '/batch-check-status/' + t), 401, 'No auth provided')
    _same(server, KEY, tid, first)
    _same(server, KEY, failed, ffirst)
    # The journal names the task for cached answers too.
    j = server.get('/__mock/requests', params={'task_id': tid}).json()
    assert sum(e['status'] == 200 and e['path'].endswith(tid) for e in j['requests']) >= 3, j


def test_delete_by_hand(server):
    tid, _ = _finished(server, KEY)
    keep, kept = _finished(server, KEY, name='kept')
    assert server.delete('/__mock/tasks/' + tid, KEY).status_code == 200
    _gone(server, KEY, tid)
    _same(server, KEY, keep, kept)


def test_reset_of_one_key(server):
    mine, _ = _finished(server, KEY)
    theirs, before = _finished(server, OTHER)
    assert server.post('/__mock/reset', json={'api_key': KEY}).status_code == 200
    _gone(server, KEY, mine)
    _same(server, OTHER, theirs, before)


def test_reset_of_everything(server):
    mine, _ = _finished(server, KEY)
    theirs, _ = _finished(server, OTHER, BAD_CSV)
    assert server.post('/__mock/reset', json={}).status_code == 200
    _gone(server, KEY, mine)
    _gone(server, OTHER, theirs)


def test_retention_by_the_clock(server):
    tid, before = _finished(server, KEY)
    server.post('/__mock/clock', json={'advance_seconds': 30 * 86400 - 60})
    _same(server, KEY, tid, before)  # not yet: the answer is unchanged
    server.post('/__mock/clock', json={'advance_seconds': 120})
    _gone(server, KEY, tid)


def test_retention_by_a_scenario_clock(server):
    tid, _ = _finished(server, KEY)
    r = server.put('/__mock/scenario', json={'clock': {'offset_seconds': 31 * 86400}})
    assert r.status_code == 200, r.text
    _gone(server, KEY, tid)


def test_fault_on_status_still_fires_for_a_cached_task(server):
    tid, before = _finished(server, KEY)
    f = server.post('/__mock/faults', json={
        'match': {'method': 'GET', 'path_prefix': V1 + '/batch-check-status'},
        'respond': {'status': 503, 'body': {'detail': 'Service Unavailable'}}, 'times': 1})
    assert f.status_code == 201, f.text
    assert server.status(KEY, tid).status_code == 503
    _same(server, KEY, tid, before)


def test_new_task_after_a_reset_is_read_afresh(server):
    """A new task of the same key after a reset has its own answer."""
    tid, _ = _finished(server, KEY, name='old')
    server.post('/__mock/reset', json={'api_key': KEY})
    new, after = _finished(server, KEY, name='new')
    assert new != tid and after.json()['project_name'] == 'new'
    _gone(server, KEY, tid)
