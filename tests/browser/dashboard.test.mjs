// dashboard.test.mjs: the dashboard (GET /) in a real browser.
//
// Starts build/ucmock (or $UCMOCK_BIN) on a free port with a fresh data dir,
// drives Debian's Chromium (/usr/bin/chromium, or $CHROMIUM) through
// playwright-core, and checks what a user sees: every account's projects
// newest first (task id, key, status, counts, error, times), /?key=K,
// download and delete, arming and deleting faults, the request journal, the
// accounts, a task finishing while the page refreshes by itself, the clock
// panel moving the server's clock, an upload from the page, "Disarm all" and
// "Empty journal" (each asks first). A screenshot is
// left at /tmp/ucmock-dashboard.png (or $SCREENSHOT) and checked against the
// page's layout (every panel in it, visible, none overlapping another).
//
// The tests run in order on one server and one page; each builds on the
// state the earlier ones left. No assertion depends on time: waits are for
// a state to appear.
//
// Run: cd tests/browser && npm ci && node --test dashboard.test.mjs
import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {mkdtempSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {createInterface} from 'node:readline';
import {fileURLToPath} from 'node:url';
import {setTimeout as sleep} from 'node:timers/promises';
import {chromium} from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const UCMOCK_BIN = process.env.UCMOCK_BIN || path.join(here, '..', '..', 'build', 'ucmock');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const SCREENSHOT = process.env.SCREENSHOT || '/tmp/ucmock-dashboard.png';
const V1 = '/v1/external-api-requests/';
const KA = 'alpha-key';
const KB = 'beta-key';
const KC = 'gamma-key';

const CSV = 'email,name\na@example.com,A\nb@example.com,B\nA@EXAMPLE.com,C\nplaintext,D\n';
const RESULT = 'email,name,category,domain_type\n' +
  'b@example.com,B,white,unknown\n' +
  'A@EXAMPLE.com,C,white,unknown\n' +
  'plaintext,D,black,invalid\n';
const EVIL = '<img src=x onerror="window.pwned=1"><b>bold</b>';
const TIME = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/;

let tmp, proc, base, context, page;
const pageErrors = [];
const foreign = [];  // requests the page made anywhere but the mock
const ids = {};      // task ids by name, shared by the tests below

function startServer() {
  return new Promise((resolve, reject) => {
    proc = spawn(UCMOCK_BIN, ['--listen', '127.0.0.1:0', '--data-dir', path.join(tmp, 'data'),
                              '--quiet'],
                 {stdio: ['ignore', 'pipe', 'inherit']});
    proc.once('error', reject);
    proc.once('exit', (code) => reject(new Error('ucmock exited early: ' + code)));
    const lines = createInterface({input: proc.stdout});
    lines.once('line', (line) => {
      const m = /^ucmock listening on (https?:\/\/127\.0\.0\.1:(\d+)) /.exec(line);
      if (!m) return reject(new Error('unexpected first line: ' + line));
      resolve(m[1]);
    });
  });
}

async function api(method, p, {key, json, body} = {}) {
  const headers = key ? {'X-API-Key': key} : {};
  if (json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(json);
  }
  return fetch(base + p, {method, headers, body});
}

async function apiJson(method, p, opts) {
  const r = await api(method, p, opts);
  assert.ok(r.ok, method + ' ' + p + ': ' + r.status + ' ' + await r.clone().text());
  return r.json();
}

async function submit(key, filename, content, projectName) {
  const form = new FormData();
  form.append('file', new Blob([content], {type: 'text/csv'}), filename);
  form.append('project_name', projectName);
  const body = await apiJson('POST', V1 + 'batch-check-emails', {key, body: form});
  assert.equal(body.status, 'processing');
  return body.task_id;
}

// The task's status once it is no longer processing (polled through the API).
async function settled(key, id) {
  for (;;) {
    const st = await apiJson('GET', V1 + 'batch-check-status/' + id, {key});
    if (st.status !== 'processing') return st;
    await sleep(20);
  }
}

async function armFault(spec) {
  const r = await api('POST', '/__mock/faults', {json: spec});
  assert.equal(r.status, 201, await r.clone().text());
  return r.json();
}

const row = (id) => page.locator(`#project-rows tr[data-task-id="${id}"]`);
const rowIds = () => page.$$eval('#project-rows tr', (rs) => rs.map((r) => r.dataset.taskId));
const cellTexts = (sel) => page.$$eval(sel, (cs) => cs.map((c) => c.textContent.trim()));
const waitRows = (n) => page.waitForFunction(
  (n) => document.querySelectorAll('#project-rows tr').length === n, n);
const utc = (iso) => iso.replace('T', ' ').replace(/(\.\d+)?Z$/, ' UTC');
// Wait until the page has finished a refresh of every panel, started now.
const refreshed = () => page.evaluate(() => window.ucmockDashboard.refresh());

before(async () => {
  tmp = mkdtempSync(path.join(tmpdir(), 'ucmock-browser-'));
  base = await startServer();
  proc.removeAllListeners('exit');
  context = await chromium.launchPersistentContext(path.join(tmp, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    acceptDownloads: true,
    viewport: {width: 1280, height: 900},
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
           '--disable-component-update', '--disable-sync', '--disable-quic'],
  });
  page = context.pages()[0] || await context.newPage();
  page.setDefaultTimeout(30000);
  page.on('pageerror', (e) => pageErrors.push(e));
  page.on('request', (r) => {
    if (!r.url().startsWith(base + '/')) foreign.push(r.url());
  });
});

after(async () => {
  if (context) await context.close();
  if (proc && proc.exitCode === null) {
    const done = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    await done;
  }
  if (tmp) rmSync(tmp, {recursive: true, force: true});
});

test('every account\'s projects, newest first, with id, key, status, counts, error, times',
     async () => {
  ids.a1 = await submit(KA, 'emails.csv', CSV, 'alpha-first');
  assert.equal((await settled(KA, ids.a1)).status, 'completed');
  ids.b1 = await submit(KB, 'beta.csv', CSV, 'beta-list');
  assert.equal((await settled(KB, ids.b1)).status, 'completed');
  await armFault({match: {api_key: KA}, times: 1,
                  task: {outcome: 'failed', error: 'Error processing file <i>x</i>'}});
  ids.a2 = await submit(KA, 'bad<b>.csv', CSV, EVIL);
  assert.equal((await settled(KA, ids.a2)).status, 'failed');

  await page.goto(base + '/');
  assert.match(await page.title(), /ucmock/);
  await waitRows(3);
  assert.deepEqual(await rowIds(), [ids.a2, ids.b1, ids.a1]);
  assert.deepEqual(await cellTexts('#project-rows td.key'), [KA, KB, KA]);
  assert.deepEqual(await cellTexts('#project-rows .task-id'), [ids.a2, ids.b1, ids.a1]);
  assert.deepEqual(await cellTexts('#project-rows .project'), [EVIL, 'beta-list', 'alpha-first']);
  assert.deepEqual(await cellTexts('#project-rows .badge'), ['failed', 'completed', 'completed']);
  assert.equal(await page.locator('#projects-count').textContent(), '3 projects');

  const r = row(ids.a1);
  const cells = async (cls) => (await r.locator('td.' + cls).textContent()).trim();
  assert.deepEqual([await cells('rows'), await cells('duplicates_removed'),
                    await cells('invalid'), await cells('charged')], ['4', '1', '1', '2']);
  const listed = (await apiJson('GET', '/__mock/tasks')).tasks.find((t) => t.task_id === ids.a1);
  assert.match(await cells('created'), TIME);
  assert.equal(await cells('created'), utc(listed.created_at));
  assert.equal(await cells('expires'), utc(listed.expires_at));
  assert.equal(await r.locator('td.created time').getAttribute('datetime'), listed.created_at);
  assert.equal(await r.locator('td.expires time').getAttribute('datetime'), listed.expires_at);
  assert.notEqual(await cells('created'), await cells('expires'));
  assert.equal(await r.locator('.file').textContent(), 'emails.csv');
  assert.ok(await r.getByRole('button', {name: 'Download results of alpha-first'}).isEnabled());

  // A failed task shows why; user text is shown as text, never as markup.
  const f = row(ids.a2);
  assert.equal(await f.locator('.error-text').textContent(), 'Error processing file <i>x</i>');
  assert.equal(await f.locator('.file').textContent(), 'bad<b>.csv');
  assert.equal(await f.locator('img, b, i').count(), 0);
  assert.equal(await page.evaluate(() => window.pwned), undefined);
  assert.ok(await f.getByRole('button', {name: /^Download/}).isDisabled());
});

test('/?key=K shows one key\'s projects, account and requests; the filter box moves there',
     async () => {
  await page.goto(base + '/?key=' + KA);
  await waitRows(2);
  assert.deepEqual(await rowIds(), [ids.a2, ids.a1]);
  assert.deepEqual(await cellTexts('#project-rows td.key'), [KA, KA]);
  assert.equal(await page.locator('#filter-key').inputValue(), KA);
  assert.equal(await page.locator('#projects-count').textContent(), '2 projects of key ' + KA);
  assert.match(await page.locator('#scope').textContent(), /^Key alpha-key:/);
  await page.waitForFunction(() => document.querySelectorAll('#account-rows tr').length > 0);
  assert.deepEqual(await cellTexts('#account-rows td.key'), [KA]);
  assert.equal(await page.locator('#journal-key').inputValue(), KA);
  await page.waitForFunction(() => document.querySelectorAll('#journal-rows tr').length > 0);
  const keys = await cellTexts('#journal-rows td.key');
  assert.ok(keys.length >= 2 && keys.every((k) => k === KA), keys.join());

  await page.locator('#filter-key').fill(KB);
  await page.getByRole('button', {name: 'Filter', exact: true}).click();
  await page.waitForURL(base + '/?key=' + KB);
  await waitRows(1);
  assert.deepEqual(await rowIds(), [ids.b1]);

  // A key never used: nothing to show, and looking does not make it an account.
  await page.goto(base + '/?key=never-used');
  await page.locator('#projects-count', {hasText: '0 projects of key never-used'}).waitFor();
  assert.ok(await page.locator('#empty').isVisible());
  await page.locator('#accounts-empty').waitFor();
  assert.equal(await page.locator('#account-rows tr').count(), 0);
  assert.ok(!(await apiJson('GET', '/__mock/accounts')).accounts.some(
    (a) => a.api_key === 'never-used'));
  await page.goto(base + '/?key=' + KB);
  await waitRows(1);

  // A key's link leads to its page; "All accounts" back to everything.
  await page.locator('#project-rows td.key a').click();
  await page.waitForURL(base + '/?key=' + KB);
  await page.getByRole('link', {name: 'All accounts'}).click();
  await page.waitForURL(base + '/');
  await waitRows(3);
  assert.equal(await page.locator('#filter-key').inputValue(), '');
});

test('download with the task\'s own key; delete asks first', async () => {
  const r = row(ids.a1);
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    r.getByRole('button', {name: 'Download results of alpha-first'}).click(),
  ]);
  assert.equal(download.suggestedFilename(), 'emails_results.csv');
  assert.equal(readFileSync(await download.path(), 'utf8'), RESULT);

  let asked = '';
  page.once('dialog', async (d) => { asked = d.message(); await d.accept(); });
  await row(ids.b1).getByRole('button', {name: 'Delete project beta-list'}).click();
  await row(ids.b1).waitFor({state: 'detached'});
  assert.match(asked, /Delete project "beta-list" \(key beta-key\)/);
  const left = await apiJson('GET', '/__mock/tasks');
  assert.deepEqual(left.tasks.map((t) => t.task_id), [ids.a1, ids.a2]);

  // Dismissing the dialog keeps the project.
  page.once('dialog', (d) => d.dismiss());
  await row(ids.a2).getByRole('button', {name: /^Delete project/}).click();
  await refreshed();
  assert.equal(await row(ids.a2).count(), 1);
  assert.equal((await apiJson('GET', '/__mock/tasks')).tasks.length, 2);
});

test('faults: arm from the JSON box, see uses left, refused specs, delete one', async () => {
  const spec = {match: {method: 'GET', path_prefix: V1 + 'batch-check-status', api_key: 'fault-key'},
                respond: {status: 503, body: {detail: 'try later'}}, times: 2};
  await page.locator('#fault-json').fill(JSON.stringify(spec));
  await page.getByRole('button', {name: 'Arm fault'}).click();
  await page.locator('#fault-message', {hasText: /^Fault \d+ armed\.$/}).waitFor();
  const armed = (await apiJson('GET', '/__mock/faults')).faults;
  assert.equal(armed.length, 1);
  assert.deepEqual(armed[0].respond, spec.respond);
  const id = armed[0].id;
  const item = page.locator(`#fault-list li[data-fault-id="${id}"]`);
  await item.waitFor();
  assert.equal(await item.locator('.fault-id').textContent(), '#' + id);
  assert.equal(await item.locator('.fault-left').textContent(), ' · 2 uses left');
  assert.match(await item.locator('.fault-spec').textContent(), /"status":503/);

  // It fires; the page shows the use gone without being asked.
  const r = await api('GET', V1 + 'batch-check-status/' + ids.a1, {key: 'fault-key'});
  assert.equal(r.status, 503);
  await item.locator('.fault-left', {hasText: '1 use left'}).waitFor();

  // A misspelt spec is refused with the server's reasons; nothing is armed.
  await page.locator('#fault-json').fill('{"respond": {"stauts": 503}}');
  await page.getByRole('button', {name: 'Arm fault'}).click();
  await page.locator('#fault-message', {hasText: 'Extra inputs are not permitted'}).waitFor();
  assert.match(await page.locator('#fault-message').textContent(), /^Refused:\nbody\.respond\.stauts: /);
  await page.locator('#fault-json').fill('{"respond": ');
  await page.getByRole('button', {name: 'Arm fault'}).click();
  await page.locator('#fault-message', {hasText: /^Not JSON: /}).waitFor();
  assert.equal((await apiJson('GET', '/__mock/faults')).faults.length, 1);

  // A second one, then delete the first from the page: only it goes.
  await page.locator('#fault-json').fill('{"match": {"api_key": "nobody"}, ' +
                                         '"respond": {"status": 500}}');
  await page.getByRole('button', {name: 'Arm fault'}).click();
  await page.waitForFunction(() => document.querySelectorAll('#fault-list li').length === 2);
  const second = (await apiJson('GET', '/__mock/faults')).faults.find((f) => f.id !== id);
  await page.locator(`#fault-list li[data-fault-id="${second.id}"] .fault-left`,
                     {hasText: 'until deleted'}).waitFor();
  await page.getByRole('button', {name: 'Delete fault ' + id}).click();
  await item.waitFor({state: 'detached'});
  assert.deepEqual((await apiJson('GET', '/__mock/faults')).faults.map((f) => f.id), [second.id]);
  assert.equal(await page.locator('#fault-message').textContent(), 'Fault ' + id + ' disarmed.');
});

// Filter the journal panel and check it shows what the API answers for the
// same filter: the last 100, newest first.
async function journalShows(filter) {
  const fields = {path_prefix: '#journal-path', api_key: '#journal-key', task_id: '#journal-task'};
  for (const [name, sel] of Object.entries(fields))
    await page.locator(sel).fill(filter[name] || '');
  await page.getByRole('button', {name: 'Apply filter'}).click();
  const q = new URLSearchParams(filter).toString();
  const all = (await apiJson('GET', '/__mock/requests' + (q ? '?' + q : ''))).requests;
  const status = all.length > 100 ? `The last 100 of ${all.length} matching requests, newest first.`
    : all.length === 1 ? '1 request, newest first.' : all.length + ' requests, newest first.';
  await page.locator('#journal-status', {hasText: status}).waitFor();
  const want = all.slice(-100).reverse();
  await page.waitForFunction((n) => document.querySelectorAll('#journal-rows tr').length === n,
                             want.length);
  assert.deepEqual(await cellTexts('#journal-rows td.path'), want.map((e) => e.path));
  assert.deepEqual(await cellTexts('#journal-rows td.code'), want.map((e) => String(e.status)));
  assert.deepEqual(await cellTexts('#journal-rows td.key'), want.map((e) => e.api_key));
  return want;
}

test('the journal: the last 100 requests, newest first, filterable', async () => {
  for (let i = 0; i < 104; i++)
    assert.equal((await api('GET', V1 + 'batch-check-status/' + ids.a1, {key: KA})).status, 200);
  assert.equal((await api('GET', V1 + 'batch-check-status/' + ids.a2, {key: KA})).status, 200);

  const latest = await journalShows({});
  assert.equal(latest.length, 100);
  assert.equal(latest[0].path, V1 + 'batch-check-status/' + ids.a2);
  assert.equal(await page.locator('#journal-rows tr td.task-id').first().textContent(), ids.a2);

  // By key: beta-key's requests, its upload first (the delete is not an API call).
  const beta = await journalShows({api_key: KB});
  const up = beta[beta.length - 1];
  assert.ok(beta.every((e) => e.task_id === ids.b1), JSON.stringify(beta));
  assert.deepEqual(await cellTexts('#journal-rows tr:last-child td'),
                   [utc(up.time), 'POST', V1 + 'batch-check-emails', KB, '200',
                    String(up.duration_ms), ids.b1]);

  // By path: the one file download; by path, key and task: the fault's 503.
  const dl = await journalShows({path_prefix: '/downloads/'});
  assert.equal(dl.length, 1);
  assert.equal(dl[0].status, 200);
  const many = await journalShows({path_prefix: V1 + 'batch-check-status', task_id: ids.a1});
  assert.equal(many.length, 100);
  const fault = await journalShows({path_prefix: V1 + 'batch-check-status', api_key: 'fault-key'});
  assert.deepEqual(fault.map((e) => e.status), [503]);

  await journalShows({});
});

test('the accounts: credits and storage, kept up to date', async () => {
  const accounts = (await apiJson('GET', '/__mock/accounts')).accounts;
  await page.waitForFunction((n) => document.querySelectorAll('#account-rows tr').length === n,
                             accounts.length);
  assert.deepEqual(await cellTexts('#account-rows td.key'), accounts.map((a) => a.api_key));
  const alpha = page.locator(`#account-rows tr[data-key="${KA}"]`);
  const a = accounts.find((x) => x.api_key === KA);
  assert.equal(await alpha.locator('td.credits').textContent(), 'unlimited');
  assert.equal(await alpha.locator('td.charged').textContent(), String(a.charged));
  assert.equal(a.charged, 2);
  assert.match(await alpha.locator('.storage-text').textContent(), /^\d+ B of 5 GB$/);
  assert.equal(await alpha.locator('.storage-text').textContent(), a.storage_used + ' B of 5 GB');
  assert.equal(await alpha.getByRole('progressbar', {name: 'Storage of ' + KA}).count(), 1);

  await apiJson('PUT', '/__mock/accounts/' + KA, {json: {credits: 7}});
  await alpha.locator('td.credits', {hasText: /^7$/}).waitFor();
});

test('it refreshes by itself: a task appears, progresses and finishes without a reload',
     async () => {
  await page.evaluate(() => { window.sameDocument = true; });
  await armFault({match: {api_key: KC}, times: 1, task: {processing_ms: 600000}});
  ids.c1 = await submit(KC, 'slow.tsv', 'email\nx@example.org\ny@example.org\n', 'slow-list');
  const r = row(ids.c1);
  await r.and(page.locator('[data-status="processing"]')).waitFor();
  assert.deepEqual((await rowIds())[0], ids.c1);
  const bar = r.getByRole('progressbar', {name: 'Progress of slow-list'});
  await bar.waitFor();
  assert.ok(await r.getByRole('button', {name: /^Download/}).isDisabled());
  assert.deepEqual(await cellTexts(`#project-rows tr[data-task-id="${ids.c1}"] td.num`),
                   ['—', '—', '—', '—']);

  // Half way on the virtual clock: the bar moves, the clock panel follows.
  await apiJson('POST', '/__mock/clock', {json: {advance_seconds: 300}});
  await page.waitForFunction((id) => {
    const p = document.querySelector(`tr[data-task-id="${id}"] progress`);
    return p && p.value >= 40;
  }, ids.c1);
  await page.locator('#clock-offset[data-seconds="300"]').waitFor();
  await page.locator('#journal-status', {hasText: 'The last 100 of'}).waitFor();
  await shootAndCheck();

  await apiJson('POST', '/__mock/clock', {json: {advance_seconds: 301}});
  await r.and(page.locator('[data-status="completed"]')).waitFor();
  await bar.waitFor({state: 'detached'});
  assert.deepEqual(await cellTexts(`#project-rows tr[data-task-id="${ids.c1}"] td.num`),
                   ['2', '0', '0', '2']);
  assert.ok(await r.getByRole('button', {name: /^Download/}).isEnabled());
  await page.locator('#clock-offset[data-seconds="601"]').waitFor();
  assert.equal(await page.evaluate(() => window.sameDocument), true);
});

// The screenshot, checked against the page's structure: every panel is in
// it, visible, with a real size, and no panel overlaps another.
async function shootAndCheck() {
  await page.screenshot({path: SCREENSHOT, fullPage: true});
  const png = readFileSync(SCREENSHOT);
  assert.equal(png.subarray(1, 4).toString(), 'PNG');
  const width = png.readUInt32BE(16), height = png.readUInt32BE(20);
  const docHeight = await page.evaluate(() => document.documentElement.scrollHeight);
  assert.equal(width, 1280);
  assert.equal(height, docHeight);

  const panels = ['projects-panel', 'clock-panel', 'accounts-panel', 'upload-panel',
                  'faults-panel', 'journal-panel', 'scenario-panel'];
  const boxes = {};
  for (const id of panels) {
    const loc = page.locator('#' + id);
    assert.ok(await loc.isVisible(), id + ' visible');
    const b = await loc.evaluate((n) => {
      const r = n.getBoundingClientRect();
      return {x: r.x + scrollX, y: r.y + scrollY, width: r.width, height: r.height};
    });
    assert.ok(b.width > 200 && b.height > 60, id + ' ' + JSON.stringify(b));
    assert.ok(b.x >= 0 && b.x + b.width <= width && b.y >= 0 && b.y + b.height <= height,
              id + ' inside the screenshot ' + JSON.stringify(b));
    boxes[id] = b;
  }
  for (const a of panels) {
    for (const b of panels) {
      if (a >= b) continue;
      const p = boxes[a], q = boxes[b];
      const apart = p.x + p.width <= q.x || q.x + q.width <= p.x ||
                    p.y + p.height <= q.y || q.y + q.height <= p.y;
      assert.ok(apart, a + ' overlaps ' + b);
    }
  }
  // The projects table fits the page at this width: nothing to scroll sideways.
  assert.ok(await page.locator('#projects-panel .table-wrap').evaluate(
    (n) => n.scrollWidth <= n.clientWidth), 'projects table wider than its panel');
  // The projects come first, then the rest, the journal and the scenario last.
  assert.ok(boxes['projects-panel'].y < boxes['clock-panel'].y);
  assert.ok(boxes['faults-panel'].y < boxes['journal-panel'].y);
  assert.ok(boxes['journal-panel'].y < boxes['scenario-panel'].y);

  // What each panel holds is drawn, not just present in the DOM.
  // Measured in one go in the page: the rows are redrawn while tasks run.
  const visibleBoxes = async (sel, atLeast) => {
    const boxes = await page.$$eval(sel, (ns) => ns.map((n) => {
      const r = n.getBoundingClientRect();
      return {visible: n.checkVisibility({visibilityProperty: true, opacityProperty: true}),
              width: r.width, height: r.height};
    }));
    assert.ok(boxes.length >= atLeast, sel + ': ' + boxes.length);
    for (const b of boxes)
      assert.ok(b.visible && b.width > 0 && b.height > 0, sel + ' ' + JSON.stringify(b));
  };
  await visibleBoxes('#project-rows tr', 3);
  await visibleBoxes('#project-rows progress', 1);
  await visibleBoxes('#project-rows .task-id', 3);
  await visibleBoxes('#clock-now', 1);
  await visibleBoxes('#clock-offset', 1);
  await visibleBoxes('[data-advance]', 3);
  await visibleBoxes('#fault-list li', 1);
  await visibleBoxes('#fault-json', 1);
  await visibleBoxes('#account-rows tr', 3);
  // The journal scrolls in its own box: its first rows are drawn inside it.
  assert.equal(await page.locator('#journal-rows tr').count(), 100);
  await visibleBoxes('#journal-rows tr:nth-child(-n+5)', 5);
  const wrap = await page.locator('.journal-wrap').boundingBox();
  const fifth = await page.locator('#journal-rows tr:nth-child(5)').boundingBox();
  assert.ok(fifth.y + fifth.height <= wrap.y + wrap.height, 'fifth journal row inside its box');
  await visibleBoxes('#upload-form button', 1);
}

test('the clock panel moves the server\'s clock', async () => {
  await page.getByRole('button', {name: 'Back to real time'}).click();
  await page.locator('#clock-offset[data-seconds="0"]').waitFor();
  assert.equal((await apiJson('GET', '/__mock/clock')).offset_seconds, 0);
  assert.equal(await page.locator('#clock-offset').textContent(), 'none (real time)');

  await page.getByRole('button', {name: '+1 hour'}).click();
  await page.locator('#clock-offset[data-seconds="3600"]').waitFor();
  assert.equal((await apiJson('GET', '/__mock/clock')).offset_seconds, 3600);
  assert.equal(await page.locator('#clock-message').textContent(), 'Clock advanced by 1 h.');

  await page.getByLabel('Advance by seconds').fill('90');
  await page.getByRole('button', {name: 'Advance', exact: true}).click();
  await page.locator('#clock-offset[data-seconds="3690"]').waitFor();
  const clock = await apiJson('GET', '/__mock/clock');
  assert.equal(clock.offset_seconds, 3690);
  assert.equal(await page.locator('#clock-offset').textContent(), '+1 h 1 min 30 s (3690 s)');
  assert.match(await page.locator('#clock-now').textContent(), TIME);

  await page.getByRole('button', {name: 'Back to real time'}).click();
  await page.locator('#clock-offset[data-seconds="0"]').waitFor();
  assert.equal((await apiJson('GET', '/__mock/clock')).offset_seconds, 0);
});

test('an upload from the page becomes the newest project', async () => {
  await page.getByLabel('X-API-Key').fill('page-key');
  await page.getByLabel('File (CSV, TSV, TXT or XLSX)').setInputFiles(
    {name: 'page.csv', mimeType: 'text/csv', buffer: Buffer.from(CSV)});
  await page.getByLabel('Project name').fill('from-page');
  await page.getByRole('button', {name: 'Upload'}).click();
  await page.locator('#upload-message', {hasText: /^Upload accepted/}).waitFor();
  const mine = (await apiJson('GET', '/__mock/tasks', {key: 'page-key'})).tasks;
  assert.equal(mine.length, 1);
  assert.equal(mine[0].project_name, 'from-page');
  const r = row(mine[0].task_id);
  await r.and(page.locator('[data-status="completed"]')).waitFor();
  assert.equal((await rowIds())[0], mine[0].task_id);
  assert.equal(await r.locator('td.key').textContent(), 'page-key');
  assert.equal(await r.locator('td.rows').textContent(), '4');

  assert.deepEqual(foreign, []);
  assert.deepEqual(pageErrors, []);
});

// ---- the scenario panel (README "Scenarios") ----

const SCENARIO = {
  accounts: {'scen-key': {credits: 9, outcomes: [
    {email: 'vip@corp.example', category: 'white', domain_type: 'white'}]}},
  outcomes: [{domain: 'corp.example', category: 'grey', domain_type: 'masked legitimate'}],
};
const outcomeTexts = () => page.$$eval('#outcome-rows tr',
  (rs) => rs.map((r) => [...r.cells].map((c) => c.textContent)));

test('the scenario panel shows the outcomes and exports the state', async () => {
  assert.equal(await page.locator('#outcomes-empty').isVisible(), true);
  await apiJson('PUT', '/__mock/scenario', {json: SCENARIO});
  await refreshed();
  assert.deepEqual(await outcomeTexts(), [
    ['scen-key', 'vip@corp.example', 'white', 'white'],
    ['every account', 'corp.example and subdomains', 'grey', 'masked legitimate'],
  ]);
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', {name: 'Export scenario'}).click(),
  ]);
  assert.equal(download.suggestedFilename(), 'ucmock-scenario.json');
  const exported = JSON.parse(readFileSync(await download.path(), 'utf8'));
  assert.deepEqual(exported, await apiJson('GET', '/__mock/scenario'));
  assert.equal(exported.accounts['scen-key'].credits, 9);
  assert.equal(await page.locator('#scenario-message').textContent(),
               'Exported ucmock-scenario.json.');
});

test('load scenario: a bad file changes nothing and says why; a good one applies', async () => {
  const before = await apiJson('GET', '/__mock/scenario');
  const input = page.getByLabel('Load scenario (JSON file)');
  await input.setInputFiles({name: 'bad.json', mimeType: 'application/json', buffer: Buffer.from(
    JSON.stringify({outcomes: [{domain: 'x.example', category: 'grey', domain_type: 'shady'}]}))});
  await page.locator('#scenario-message.error').waitFor();
  const said = await page.locator('#scenario-message').textContent();
  assert.match(said, /^bad\.json was not loaded, nothing changed:\nbody\.outcomes\.0\.domain_type: Input should be 'unknown'/);
  assert.deepEqual(await apiJson('GET', '/__mock/scenario'), before);

  await input.setInputFiles({name: 'good.json', mimeType: 'application/json', buffer: Buffer.from(
    JSON.stringify({outcomes: [{email: 'x@y.example', category: 'black',
                                domain_type: 'disposable'}]}))});
  await page.locator('#scenario-message.ok').waitFor();
  assert.match(await page.locator('#scenario-message').textContent(),
               /^Loaded good\.json: now \d+ accounts, 2 outcomes, \d+ faults\.$/);
  await page.waitForFunction(() => [...document.querySelectorAll('#outcome-rows td')]
    .some((c) => c.textContent === 'x@y.example'));
  assert.deepEqual((await outcomeTexts()).slice(-1),
                   [['every account', 'x@y.example', 'black', 'disposable']]);
  const r = await apiJson('POST', V1 + 'check-email?email=x@y.example', {key: 'scen-key'});
  assert.deepEqual([r.category, r.type], ['black', 'disposable']);

  assert.deepEqual(foreign, []);
  assert.deepEqual(pageErrors, []);
});

// ---- the two buttons that clear a whole panel: they ask first ----

// Click the button named name, answer the confirm() it opens (accept or
// dismiss), and give back the question it asked.
async function clickConfirm(name, accept) {
  const asked = new Promise((resolve) => page.once('dialog', async (d) => {
    resolve(d.message());
    await (accept ? d.accept() : d.dismiss());
  }));
  await page.getByRole('button', {name}).click();
  return asked;
}

test('"Disarm all" asks, then disarms every fault', async () => {
  await armFault({match: {api_key: 'nobody-1'}, respond: {status: 500}});
  await armFault({match: {api_key: 'nobody-2'}, respond: {status: 502}, times: 3});
  const armed = (await apiJson('GET', '/__mock/faults')).faults;
  assert.ok(armed.length >= 2, JSON.stringify(armed));
  await page.waitForFunction((n) => document.querySelectorAll('#fault-list li').length === n,
                             armed.length);

  // Dismissed: nothing changes.
  assert.equal(await clickConfirm('Disarm all', false), 'Disarm every fault?');
  await refreshed();
  assert.deepEqual((await apiJson('GET', '/__mock/faults')).faults, armed);
  assert.equal(await page.locator('#fault-list li').count(), armed.length);

  // Accepted: the server has none left, and the page says so.
  assert.equal(await clickConfirm('Disarm all', true), 'Disarm every fault?');
  await page.locator('#fault-message', {hasText: /^Every fault disarmed\.$/}).waitFor();
  assert.deepEqual((await apiJson('GET', '/__mock/faults')).faults, []);
  await page.locator('#faults-empty').waitFor();
  assert.equal(await page.locator('#fault-list li').count(), 0);
  // and none fires
  const r = await api('GET', V1 + 'batch-check-status/' + ids.a1, {key: 'nobody-1'});
  assert.equal(r.status, 404);
});

test('"Empty journal" asks, then empties the request journal of every account', async () => {
  for (const key of [KA, KC])
    await api('GET', V1 + 'batch-check-status/' + ids.a1, {key});
  await journalShows({});
  const kept = (await apiJson('GET', '/__mock/requests')).requests;
  assert.ok(kept.length >= 2, JSON.stringify(kept));

  // Dismissed: nothing changes.
  const question = 'Empty the request journal of every account?';
  assert.equal(await clickConfirm('Empty journal', false), question);
  await refreshed();
  assert.deepEqual((await apiJson('GET', '/__mock/requests')).requests, kept);

  // Accepted: the server keeps no request of any key, and the panel is empty.
  assert.equal(await clickConfirm('Empty journal', true), question);
  await page.locator('#journal-status', {hasText: /^No requests match\.$/}).waitFor();
  const left = await apiJson('GET', '/__mock/requests');
  assert.deepEqual([left.requests, left.matched], [[], 0]);
  assert.equal(await page.locator('#journal-rows tr').count(), 0);

  assert.deepEqual(foreign, []);
  assert.deepEqual(pageErrors, []);
});
