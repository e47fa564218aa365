// client.test.mjs: the product page's three steps from Node, against a
// running ucmock whose base URL is in UCMOCK_URL (tests/blackbox/
// test_clients.py starts one and runs `node --test tests/node/`).
//
// Two clients: the page's own code (form-data + node-fetch@2, which streams
// the form with Transfer-Encoding: chunked) and Node's built-in fetch with
// FormData and Blob.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import FormData from 'form-data';
import nodeFetch from 'node-fetch';

const BASE = process.env.UCMOCK_URL;
const API = `${BASE}/v1/external-api-requests`;
const KEY = process.env.USER_CLEANING_API_KEY || 'node-client-key';

const INPUT = 'email,name\r\na@example.com,Ann\r\nplaintext,Bob\r\nA@EXAMPLE.COM,"Cy, Jr."\r\n';
const RESULT = 'email,name,category,domain_type\r\nplaintext,Bob,black,invalid\r\n' +
  'A@EXAMPLE.COM,"Cy, Jr.",white,unknown\r\n';

function inputFile() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ucmock-node-'));
  const file = path.join(dir, 'emails.csv');
  fs.writeFileSync(file, INPUT);
  return file;
}

// Steps 2 and 3 as the page writes them (5 s poll shortened), with any fetch.
async function pollAndDownload(fetch, task_id) {
  let done = false;
  let status;
  for (let i = 0; !done && i < 6000; i++) {
    ({ status } = await fetch(`${API}/batch-check-status/${task_id}`,
      { headers: { 'X-API-Key': KEY } }).then(r => r.json()));
    assert.notEqual(status, 'failed');
    done = status === 'completed';
    if (!done) await new Promise(r => setTimeout(r, 20));
  }
  assert.equal(status, 'completed');
  const { download_url } = await fetch(`${API}/batch-task-download/${task_id}`,
    { headers: { 'X-API-Key': KEY } }).then(r => r.json());
  const res = await fetch(download_url);  // no key: the URL is signed
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-disposition'), /filename="emails_results\.csv"/);
  return Buffer.from(await res.arrayBuffer()).toString('utf8');
}

test('UCMOCK_URL is set', () => {
  assert.ok(BASE, 'run through tests/blackbox/test_clients.py, or set UCMOCK_URL');
});

test('product page code: form-data + node-fetch@2 (chunked upload)', async () => {
  const file = inputFile();
  const form = new FormData();
  form.append('file', fs.createReadStream(file));
  form.append('project_name', 'my-list');
  const { task_id } = await nodeFetch(`${API}/batch-check-emails`, {
    method: 'POST',
    headers: { 'X-API-Key': KEY, ...form.getHeaders() },
    body: form,
  }).then(r => r.json());
  assert.match(task_id, /^[0-9a-f-]{36}$/);
  const out = await pollAndDownload(nodeFetch, task_id);
  assert.equal(out, RESULT);
  const tmp = path.join(path.dirname(file), 'results.csv');
  fs.writeFileSync(tmp, Buffer.from(out));  // as the page does
  assert.equal(fs.readFileSync(tmp, 'utf8'), RESULT);
});

test('form-data + node-fetch@2 with a Buffer part and deduplicate=false', async () => {
  const form = new FormData();
  form.append('project_name', 'buffer');
  form.append('deduplicate', 'false');
  form.append('file', Buffer.from(INPUT), { filename: 'emails.csv', contentType: 'text/csv' });
  const res = await nodeFetch(`${API}/batch-check-emails`, {
    method: 'POST', headers: { 'X-API-Key': KEY, ...form.getHeaders() }, body: form,
  });
  assert.equal(res.status, 200);
  const { task_id } = await res.json();
  const out = await pollAndDownload(nodeFetch, task_id);
  assert.equal(out, 'email,name,category,domain_type\r\na@example.com,Ann,white,unknown\r\n' +
    'plaintext,Bob,black,invalid\r\nA@EXAMPLE.COM,"Cy, Jr.",white,unknown\r\n');
});

test("Node's built-in fetch with FormData and Blob", async () => {
  const form = new globalThis.FormData();
  form.append('file', new Blob([fs.readFileSync(inputFile())], { type: 'text/csv' }), 'emails.csv');
  form.append('project_name', 'my-list');
  const res = await globalThis.fetch(`${API}/batch-check-emails`, {
    method: 'POST', headers: { 'X-API-Key': KEY }, body: form,
  });
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(body.status, 'processing');
  assert.equal(body.message, 'File upload successful. Processing started.');
  assert.equal(await pollAndDownload(globalThis.fetch, body.task_id), RESULT);
});

test('errors reach Node clients as JSON', async () => {
  const form = new globalThis.FormData();
  form.append('file', new Blob(['email\n']), 'emails.xls');
  form.append('project_name', 'x');
  let res = await globalThis.fetch(`${API}/batch-check-emails`,
    { method: 'POST', headers: { 'X-API-Key': KEY }, body: form });
  assert.equal(res.status, 400);
  assert.deepEqual(await res.json(), { detail: 'Invalid file extension.' });
  res = await globalThis.fetch(`${API}/batch-check-status/468e0130-bb87-4db6-8140-8d9aa91d6134`);
  assert.equal(res.status, 401);
  assert.deepEqual(await res.json(), { detail: 'No auth provided' });
});
