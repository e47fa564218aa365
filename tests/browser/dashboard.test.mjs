// dashboard.test.mjs: the dashboard (GET /) in a real browser.
//
// Starts build/ucmock (or $UCMOCK_BIN) on a free port with a fresh data dir,
// drives Debian's Chromium (/usr/bin/chromium, or $CHROMIUM) through
// playwright-core, and walks the page as a user would: enter a key, watch a
// project submitted through the API go from processing (with its progress
// bar) to completed with its counts, download the results, delete it.
// A screenshot is left at /tmp/ucmock-dashboard.png (or $SCREENSHOT).
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
import {chromium} from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const UCMOCK_BIN = process.env.UCMOCK_BIN || path.join(here, '..', '..', 'build', 'ucmock');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const SCREENSHOT = process.env.SCREENSHOT || '/tmp/ucmock-dashboard.png';
const V1 = '/v1/external-api-requests/';
const KEY = 'browser-key-1';

const CSV = 'email,name\na@example.com,A\nb@example.com,B\nA@EXAMPLE.com,C\nplaintext,D\n';
const RESULT = 'email,name,category,domain_type\n' +
  'b@example.com,B,white,unknown\n' +
  'A@EXAMPLE.com,C,white,unknown\n' +
  'plaintext,D,black,invalid\n';

let tmp, proc, base, context, page;
const pageErrors = [];

function startServer() {
  return new Promise((resolve, reject) => {
    proc = spawn(UCMOCK_BIN, ['--listen', '127.0.0.1:0', '--data-dir', path.join(tmp, 'data'),
                              '--processing-delay', '1500', '--quiet'],
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

async function api(method, p, {key = KEY, body, headers = {}} = {}) {
  const h = Object.assign(key ? {'X-API-Key': key} : {}, headers);
  return fetch(base + p, {method, headers: h, body});
}

async function submit(filename, content, projectName) {
  const form = new FormData();
  form.append('file', new Blob([content], {type: 'text/csv'}), filename);
  form.append('project_name', projectName);
  const r = await api('POST', V1 + 'batch-check-emails', {body: form});
  assert.equal(r.status, 200, await r.clone().text());
  const body = await r.json();
  assert.equal(body.status, 'processing');
  return body.task_id;
}

async function armTaskFault(task) {
  const r = await api('POST', '/__mock/faults', {
    key: null, headers: {'Content-Type': 'application/json'},
    body: JSON.stringify({match: {api_key: KEY}, times: 1, task}),
  });
  assert.equal(r.status, 201, await r.clone().text());
}

const row = (id) => page.locator(`tr[data-task-id="${id}"]`);

before(async () => {
  tmp = mkdtempSync(path.join(tmpdir(), 'ucmock-browser-'));
  base = await startServer();
  proc.removeAllListeners('exit');
  context = await chromium.launchPersistentContext(path.join(tmp, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    acceptDownloads: true,
    viewport: {width: 1280, height: 860},
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
           '--disable-component-update', '--disable-sync', '--disable-quic'],
  });
  page = context.pages()[0] || await context.newPage();
  page.setDefaultTimeout(15000);
  page.on('pageerror', (e) => pageErrors.push(e));
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

test('dashboard: key, live progress, counts, download, delete', async () => {
  await page.goto(base + '/');
  assert.match(await page.title(), /ucmock/);
  await page.getByText('Enter an API key to see its projects.').waitFor();

  // The key: entered once, kept in localStorage, used for every call.
  await page.getByLabel('X-API-Key').fill(KEY);
  await page.getByRole('button', {name: 'Use key'}).click();
  await page.locator('#empty').waitFor({state: 'visible'});
  assert.equal(await page.evaluate(() => localStorage.getItem('ucmock.apiKey')), KEY);
  await page.locator('#storage-text', {hasText: 'of 5 GB used'}).waitFor();

  // A project submitted through the API shows up processing, with a live
  // progress bar, then completed with its counts.
  const id = await submit('emails.csv', CSV, 'my-list');
  await page.getByRole('button', {name: 'Refresh'}).click();
  const r = row(id);
  await r.and(page.locator('[data-status="processing"]')).waitFor();
  await r.locator('.badge', {hasText: 'processing'}).waitFor();
  const bar = r.getByRole('progressbar', {name: 'Progress of my-list'});
  await bar.waitFor();
  assert.equal(await r.locator('.project').textContent(), 'my-list');
  assert.equal(await r.locator('.file').textContent(), 'emails.csv');
  assert.ok(await r.getByRole('button', {name: /Download/}).isDisabled());

  await r.and(page.locator('[data-status="completed"]')).waitFor();
  await bar.waitFor({state: 'detached'});
  const cells = async (cls) => (await r.locator('td.' + cls).textContent()).trim();
  assert.deepEqual([await cells('rows'), await cells('duplicates_removed'),
                    await cells('invalid'), await cells('charged')], ['4', '1', '1', '2']);
  assert.match(await cells('created'), /^\d{4}-\d\d-\d\d \d\d:\d\d UTC$/);
  assert.match(await cells('expires'), /^\d{4}-\d\d-\d\d \d\d:\d\d UTC$/);
  const storage = await page.locator('#storage-text').textContent();
  assert.match(storage, /^\d+(\.\d+)? (B|kB) of 5 GB used/);
  assert.equal(await page.locator('#storage-meter').getAttribute('role'), 'progressbar');

  // Download: the page asks for the signed URL with the key, then follows it.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    r.getByRole('button', {name: 'Download results of my-list'}).click(),
  ]);
  assert.equal(download.suggestedFilename(), 'emails_results.csv');
  assert.equal(readFileSync(await download.path(), 'utf8'), RESULT);

  // User text is shown as text, never as markup; a failed task shows why.
  const evil = '<img src=x onerror="window.pwned=1"><b>bold</b>';
  await armTaskFault({outcome: 'failed', error: 'Error processing file <i>x</i>'});
  const failed = await submit('bad<b>.csv', CSV, evil);
  await page.getByRole('button', {name: 'Refresh'}).click();
  await row(failed).and(page.locator('[data-status="failed"]')).waitFor();
  assert.equal(await row(failed).locator('.project').textContent(), evil);
  assert.equal(await row(failed).locator('.error-text').textContent(),
               'Error processing file <i>x</i>');
  assert.equal(await row(failed).locator('img, b, i').count(), 0);
  assert.equal(await page.evaluate(() => window.pwned), undefined);

  // One more, still processing, for the screenshot's sake.
  await armTaskFault({processing_ms: 10000});
  const slow = await submit('big-list.tsv', 'email\nx@example.org\n', 'newsletter-2026');
  await page.getByRole('button', {name: 'Refresh'}).click();
  await row(slow).locator('progress').waitFor();
  await page.waitForFunction((id) => {
    const p = document.querySelector(`tr[data-task-id="${id}"] progress`);
    return p && p.value >= 20;
  }, slow);
  await page.screenshot({path: SCREENSHOT, fullPage: true});

  // Delete asks first; accepting removes the row.
  let asked = '';
  page.once('dialog', async (d) => { asked = d.message(); await d.accept(); });
  await r.getByRole('button', {name: 'Delete project my-list'}).click();
  await r.waitFor({state: 'detached'});
  assert.match(asked, /Delete project "my-list"/);
  const left = await (await api('GET', '/__mock/tasks')).json();
  assert.deepEqual(left.tasks.map((t) => t.task_id).sort(), [failed, slow].sort());

  // Dismissing the dialog keeps the project.
  page.once('dialog', (d) => d.dismiss());
  await row(failed).getByRole('button', {name: /^Delete project/}).click();
  await page.waitForTimeout(300);
  assert.equal(await row(failed).count(), 1);

  // The key survives a reload.
  await page.reload();
  assert.equal(await page.getByLabel('X-API-Key').inputValue(), KEY);
  await row(failed).waitFor();
  assert.deepEqual(pageErrors, []);
});
