"""The three-step flow with Python's requests, exactly as the product page
shows it."""
from harness import V1


def test_health(server):
    r = server.get('/healthz')
    assert r.status_code == 200
    assert r.json() == {'status': 'ok'}


def test_three_steps(server):
    csv = b'email,name\na@example.com,A\nb@example.com,B\nA@EXAMPLE.com,C\nplaintext,D\n'
    r = server.submit('key-1', 'emails.csv', csv, project_name='my-list')
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {'task_id', 'status', 'message'}
    assert body['status'] == 'processing'
    assert body['message'] == 'File upload successful. Processing started.'
    st = server.wait('key-1', body['task_id'])
    assert st['status'] == 'completed'
    assert (st['rows'], st['duplicates_removed'], st['invalid'], st['charged']) == (4, 1, 1, 2)
    out = server.download('key-1', body['task_id'])
    assert out == (b'email,name,category,domain_type\n'
                   b'b@example.com,B,white,unknown\n'
                   b'A@EXAMPLE.com,C,white,unknown\n'
                   b'plaintext,D,black,invalid\n')
    assert server.get(V1 + '/batch-check-status/' + body['task_id'], 'other').status_code == 404
