// The Node test helper (clients/node/ucmock-testing.mjs) against the real
// binary ($UCMOCK_BIN), from node:test: the product page's Node code
// (form-data + node-fetch@2, installed in tests/node by `npm ci`) and Node's
// own fetch run through it; an expired URL after advanceClock(3601); a 503
// from armFault retried by the client; lists, accounts, reset, the journal,
// attaching by URL, start errors, and `npm install ./clients/node`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { startUcMock, UcMockError } from '../ucmock-testing.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const HELPER_DIR = path.dirname(HERE);
const PAGE_CLIENTS = path.join(HELPER_DIR, '..', '..', 'tests', 'node');
const V1 = '/v1/external-api-requests';
const INPUT = 'email,name\na@example.com,Ann\nplaintext,Bob\nA@EXAMPLE.COM,Cy\n';
const RESULT = 'email,name,category,domain_type\nplaintext,Bob,black,invalid\n' +
  'A@EXAMPLE.COM,Cy,white,unknown\n';

// The page's own client libraries, pinned in tests/node/package-lock.json.
let PageFormData;
let nodeFetch;
try {
  const require = createRequire(path.join(PAGE_CLIENTS, 'package.json'));
  PageFormData = require('form-data');
  nodeFetch = require('node-fetch');
} catch {
  // the page-code tests say why they skip
}
const NO_PAGE_CLIENTS = !nodeFetch && 'tests/node/node_modules is missing: run `npm ci` in tests/node';

let mock;
before(async () => { mock = await startUcMock(); });
after(async () => { await mock?.stop(); });

function workdir() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ucmock-helper-'));
  fs.writeFileSync(path.join(dir, 'emails.csv'), INPUT);
  return dir;
}

// Steps 1-3 as the product page writes them, with the base URL and key from
// the helper, the 5 s poll shortened, and `fetch` the page's node-fetch@2
// (or any fetch, e.g. one that retries).
async function pageSteps(m, fetch = nodeFetch) {
  const dir = workdir();
  const KEY = m.apiKey;
  const form = new PageFormData();
  form.append('file', fs.createReadStream(path.join(dir, 'emails.csv')));
  form.append('project_name', 'my-list');
  const { task_id } = await fetch(`${m.baseUrl}/v1/external-api-requests/batch-check-emails`, {
    method: 'POST',
    headers: { 'X-API-Key': KEY, ...form.getHeaders() },
    body: form,
  }).then((r) => r.json());

  let done = false;
  for (let i = 0; !done; i++) {
    assert.ok(i < 6000, 'still processing');
    const { status } = await fetch(
      `${m.baseUrl}/v1/external-api-requests/batch-check-status/${task_id}`,
      { headers: { 'X-API-Key': KEY } },
    ).then((r) => r.json());
    done = status === 'completed';
    if (!done) await new Promise((r) => setTimeout(r, 20));
  }

  const { download_url } = await fetch(
    `${m.baseUrl}/v1/external-api-requests/batch-task-download/${task_id}`,
    { headers: { 'X-API-Key': KEY } },
  ).then((r) => r.json());
  fs.writeFileSync(path.join(dir, 'results.csv'),
    Buffer.from(await fetch(download_url).then((r) => r.arrayBuffer())));
  return { task_id, download_url, results: fs.readFileSync(path.join(dir, 'results.csv'), 'utf8') };
}

test('the product page code (form-data + node-fetch@2) through the helper', { skip: NO_PAGE_CLIENTS }, async () => {
  const { task_id, results } = await pageSteps(mock);
  assert.equal(results, RESULT);
  const acct = await mock.account();
  assert.deepEqual([acct.api_key, acct.credits, acct.charged], [mock.apiKey, null, 1]);
  const mine = await mock.requests({ api_key: mock.apiKey, path_prefix: V1 });
  assert.deepEqual([mine[0].method, mine[0].status], ['POST', 200]);
  assert.ok(mine.every((r) => r.status === 200));
  const byTask = await mock.requests({ task_id });
  assert.ok(byTask.length >= 2 && byTask.every((r) => r.task_id === task_id));
  assert.deepEqual(await mock.requests({ api_key: 'nobody' }), []);
});

test('expired URL after advanceClock(3601)', { skip: NO_PAGE_CLIENTS }, async () => {
  const { task_id, download_url } = await pageSteps(mock);
  assert.equal((await fetch(download_url)).status, 200);
  const clock = await mock.advanceClock(3601);
  assert.ok(clock.offset_seconds >= 3601);
  const r = await fetch(download_url);
  assert.equal(r.status, 403);
  assert.deepEqual(await r.json(), { detail: 'Download link has expired' });
  const fresh = await fetch(`${mock.baseUrl}${V1}/batch-task-download/${task_id}`,
    { headers: { 'X-API-Key': mock.apiKey } }).then((x) => x.json());
  assert.equal(await fetch(fresh.download_url).then((x) => x.text()), RESULT);
});

// What a client that retries 503 does (honouring Retry-After).
function retrying(fetchImpl, tries = 3) {
  return async (url, init) => {
    for (let i = 1; ; i++) {
      const r = await fetchImpl(url, init);
      if (r.status !== 503 || i === tries) return r;
      await r.arrayBuffer();
      await new Promise((res) => setTimeout(res, 1000 * Number(r.headers.get('retry-after') || 0)));
    }
  };
}

test('a 503 from armFault, retried by the client', { skip: NO_PAGE_CLIENTS }, async () => {
  const id = await mock.armFault({
    match: { method: 'GET', path_prefix: `${V1}/batch-check-status`, api_key: mock.apiKey },
    respond: { status: 503, body: { detail: 'try later' }, headers: { 'Retry-After': '0' } },
    times: 1,
  });
  assert.equal(typeof id, 'number');
  const { task_id, results } = await pageSteps(mock, retrying(nodeFetch));
  assert.equal(results, RESULT);
  const polls = (await mock.requests({ path_prefix: `${V1}/batch-check-status/${task_id}` }))
    .map((r) => r.status);
  assert.deepEqual(polls.slice(0, 2), [503, 200]);
});

test("Node's own fetch and FormData through the helper", async () => {
  const m = await startUcMock({ url: mock.baseUrl });
  const form = new FormData();
  form.append('file', new Blob([INPUT], { type: 'text/csv' }), 'emails.csv');
  form.append('project_name', 'builtin');
  const res = await fetch(`${m.baseUrl}${V1}/batch-check-emails`,
    { method: 'POST', headers: { 'X-API-Key': m.apiKey }, body: form });
  assert.equal(res.status, 200);
  const { task_id } = await res.json();
  let st;
  do {
    st = await fetch(`${m.baseUrl}${V1}/batch-check-status/${task_id}`,
      { headers: { 'X-API-Key': m.apiKey } }).then((r) => r.json());
  } while (st.status === 'processing' && await new Promise((r) => setTimeout(r, 20, true)));
  assert.equal(st.status, 'completed');
  await m.stop();
});

test('the id armFault resolves to names the fault', async () => {
  const m = await startUcMock({ url: mock.baseUrl });
  const spec = (status) => ({ match: { path_prefix: '/v1/', api_key: m.apiKey }, respond: { status } });
  const keep = await m.armFault({ ...spec(500), times: 5 });
  const gone = await m.armFault(spec(502));
  const one = await fetch(`${m.baseUrl}/__mock/faults/${gone}`).then((r) => r.json());
  assert.deepEqual([one.id, one.respond], [gone, { status: 502 }]);
  assert.equal((await fetch(`${m.baseUrl}/__mock/faults/${gone}`, { method: 'DELETE' })).status, 200);
  assert.equal((await fetch(`${m.baseUrl}/__mock/faults/${gone}`)).status, 404);
  const { faults } = await fetch(`${m.baseUrl}/__mock/faults`).then((r) => r.json());
  assert.deepEqual(faults.map((f) => [f.id, f.times_left]), [[keep, 5]]);
  await m.clearFaults();
});

test('clearFaults', async () => {
  await mock.armFault({ match: { path_prefix: '/v1/' }, respond: { status: 500 } });
  const url = `${mock.baseUrl}${V1}/batch-check-status/x`;
  assert.equal((await fetch(url, { headers: { 'X-API-Key': mock.apiKey } })).status, 500);
  await mock.clearFaults();
  assert.equal((await fetch(url, { headers: { 'X-API-Key': mock.apiKey } })).status, 404);
});

test('setList', { skip: NO_PAGE_CLIENTS }, async () => {
  const m = await startUcMock({ url: mock.baseUrl });
  assert.equal(await m.setList('black', ['example.com', '# a comment']), 1);
  const { results } = await pageSteps(m);
  assert.equal(results, 'email,name,category,domain_type\nplaintext,Bob,black,invalid\n' +
    'A@EXAMPLE.COM,Cy,black,black\n');
  assert.equal(await m.setList('white', 'a@example.com\nb@example.com\n', 'someone-else'), 2);
  const body = await fetch(`${m.baseUrl}/__mock/accounts/someone-else/lists/white`).then((r) => r.text());
  assert.equal(body, 'a@example.com\nb@example.com\n');
  await assert.rejects(m.setList('red', []), TypeError);
});

test('setCredits', { skip: NO_PAGE_CLIENTS }, async () => {
  const m = await startUcMock({ url: mock.baseUrl });
  assert.equal((await m.setCredits(1)).credits, 1);
  await pageSteps(m);  // one valid row is charged
  assert.equal((await m.account()).credits, 0);
  const form = new PageFormData();
  form.append('file', Buffer.from(INPUT), { filename: 'e.csv' });
  form.append('project_name', 'p');
  const r = await nodeFetch(`${m.baseUrl}${V1}/batch-check-emails`,
    { method: 'POST', headers: { 'X-API-Key': m.apiKey, ...form.getHeaders() }, body: form });
  assert.equal(r.status, 402);
  assert.equal((await m.setCredits(null)).credits, null);
});

test('reset by key', async () => {
  const m = await startUcMock({ url: mock.baseUrl });
  const other = await startUcMock({ url: mock.baseUrl });
  const form = new FormData();
  form.append('file', new Blob([INPUT]), 'emails.csv');
  form.append('project_name', 'p');
  const { task_id } = await fetch(`${m.baseUrl}${V1}/batch-check-emails`,
    { method: 'POST', headers: { 'X-API-Key': m.apiKey }, body: form }).then((r) => r.json());
  await other.setList('grey', ['kept.example']);
  await m.reset();
  const st = await fetch(`${m.baseUrl}${V1}/batch-check-status/${task_id}`,
    { headers: { 'X-API-Key': m.apiKey } });
  assert.equal(st.status, 404);
  const grey = `${m.baseUrl}/__mock/accounts/${other.apiKey}/lists/grey`;
  assert.equal((await fetch(grey).then((r) => r.text())).trim(), 'kept.example');
  await m.reset(other.apiKey);
  assert.equal(await fetch(grey).then((r) => r.text()), '');
});

test('attach by URL: stop() leaves the server running', async () => {
  const attached = await startUcMock({ url: `${mock.baseUrl}/` });
  assert.equal(attached.baseUrl, mock.baseUrl);
  assert.notEqual(attached.apiKey, mock.apiKey);
  await attached.stop();
  assert.equal((await fetch(`${mock.baseUrl}/healthz`)).status, 200);
  assert.equal((await startUcMock({ url: mock.baseUrl, apiKey: 'mine' })).apiKey, 'mine');
});

test('start and stop a second server; its data dir goes', async () => {
  const m = await startUcMock({ args: ['--rate-limit', 0] });
  assert.notEqual(m.baseUrl, mock.baseUrl);
  const dir = m._dataDir;
  assert.ok(fs.existsSync(dir));
  await m.stop();
  assert.equal(m.exitCode, 0);
  assert.ok(!fs.existsSync(dir));
  await assert.rejects(fetch(`${m.baseUrl}/healthz`));
});

const SCENARIO = { outcomes: [{ domain: 'example.com', category: 'grey',
  domain_type: 'masked legitimate' }] };
const SCENARIO_RESULT = 'email,name,category,domain_type\nplaintext,Bob,black,invalid\n' +
  'A@EXAMPLE.COM,Cy,grey,masked legitimate\n';

test('a scenario as an object', { skip: NO_PAGE_CLIENTS }, async () => {
  const m = await startUcMock({ scenario: SCENARIO });
  try {
    assert.equal((await pageSteps(m)).results, SCENARIO_RESULT);
    assert.deepEqual((await m.exportScenario()).outcomes, SCENARIO.outcomes);
  } finally {
    await m.stop();
  }
});

test('a scenario as a path', async () => {
  const example = path.join(HELPER_DIR, '..', '..', 'examples', 'scenario.json');
  const m = await startUcMock({ scenario: example });
  try {
    assert.deepEqual(await m.exportScenario(), JSON.parse(fs.readFileSync(example, 'utf8')));
  } finally {
    await m.stop();
  }
});

test('a scenario on an attached server, loadScenario', { skip: NO_PAGE_CLIENTS }, async () => {
  const attached = await startUcMock({ url: mock.baseUrl, scenario: SCENARIO });
  assert.equal((await pageSteps(attached)).results, SCENARIO_RESULT);
  await mock.loadScenario({ outcomes: [] });
  assert.equal((await pageSteps(mock)).results, RESULT);
  await assert.rejects(mock.loadScenario({ outcomes: [{ domain: 'x.example', category: 'grey',
    domain_type: 'shady' }] }), (e) => e instanceof UcMockError && e.status === 400 &&
    JSON.stringify(e.body.detail[0].loc) === '["body","outcomes",0,"domain_type"]');
});

test('a bad scenario does not start', async () => {
  await assert.rejects(startUcMock({ scenario: { outcomes: 'all' } }),
    (e) => e instanceof UcMockError && e.message.includes('outcomes: Input should be a valid list'));
  await assert.rejects(startUcMock({ scenario: ['no'] }), TypeError);
});

test('start errors', async () => {
  await assert.rejects(startUcMock({ binary: '/nonexistent/ucmock' }),
    (e) => e instanceof UcMockError && /cannot run|did not start/.test(e.message));
  await assert.rejects(startUcMock({ args: ['--rate-limit', 'lots'] }),
    (e) => e instanceof UcMockError && e.message.includes("--rate-limit: expected 0..1000000 (0 = off), got 'lots'"));
});

test('control errors', async () => {
  await assert.rejects(mock.armFault({ match: {} }),
    (e) => e instanceof UcMockError && e.status === 400 && 'detail' in e.body);
  await assert.rejects(mock.requests({ path: '/v1' }), /unknown filter path/);
});

test('npm install ./clients/node', async () => {
  const proj = fs.mkdtempSync(path.join(os.tmpdir(), 'ucmock-npm-'));
  fs.writeFileSync(path.join(proj, 'package.json'), '{"name":"p","private":true,"type":"module"}');
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--offline', '--loglevel=error', HELPER_DIR],
    { cwd: proj, stdio: 'pipe' });
  const out = execFileSync(process.execPath, ['--input-type=module', '-e',
    "import { startUcMock } from 'ucmock-testing'; console.log(typeof startUcMock);"],
  { cwd: proj }).toString();
  assert.equal(out.trim(), 'function');
  const pkg = JSON.parse(fs.readFileSync(path.join(HELPER_DIR, 'package.json'), 'utf8'));
  assert.deepEqual([pkg.dependencies, pkg.devDependencies], [undefined, undefined]);
  fs.rmSync(proj, { recursive: true, force: true });
});
