"""Logs that show what happened (issue 12): one line per event, in logfmt
text or, with --log-format json, one JSON object per line."""
import json


def log_lines(server):
    return [ln for ln in server.read_log().splitlines() if ln.strip()]


def json_lines(server):
    out = []
    for ln in log_lines(server):
        obj = json.loads(ln)  # every line is one JSON object
        assert isinstance(obj, dict), ln
        assert {'ts', 'level', 'event'} <= set(obj), ln
        out.append(obj)
    return out


def test_json_log_format_for_collectors(make_server):
    s = make_server(['--log-format', 'json', '--quiet'])
    s.stop()
    events = json_lines(s)
    ready = [e for e in events if e['event'] == 'ready']
    assert len(ready) == 1 and ready[0]['port'] == s.port and ready[0]['level'] == 'info'
    assert isinstance(ready[0]['workers'], int)
    assert [e['event'] for e in events][-2:] == ['stopping', 'stopped']


def test_json_log_format_from_the_environment(make_server):
    s = make_server(['--quiet'], env={'UCMOCK_LOG_FORMAT': 'json'})
    s.stop()
    assert 'ready' in [e['event'] for e in json_lines(s)]


def test_text_log_lines_name_their_event(make_server):
    s = make_server(['--quiet'])
    s.stop()
    lines = log_lines(s)
    assert any(' level=info event=ready port=%d ' % s.port in ln for ln in lines), lines
    assert all(ln.startswith('time=') for ln in lines), lines
