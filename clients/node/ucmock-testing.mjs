// ucmock-testing.mjs: run ucmock from Node tests (node:test, Jest, Vitest).
// No dependencies: Node 18+'s own fetch, child_process and fs.
//
//   import { startUcMock } from 'ucmock-testing';
//   const mock = await startUcMock();      // `ucmock` on a free port, a temp data dir
//   client = new MyClient({ baseUrl: mock.baseUrl, apiKey: mock.apiKey });
//   await mock.advanceClock(3601);         // download URLs have expired now
//   await mock.stop();
//
// The binary is `binary`, else $UCMOCK_BIN, else `ucmock` on PATH. With
// `url` nothing is started: the object attaches to a running server (a
// container, a CI service) and stop() leaves it running.
//
// `scenario` (an object, or the path of a JSON file) sets the server's state
// at start: --scenario for a server started here, PUT /__mock/scenario for
// one attached to (README "Scenarios"):
//
//   const mock = await startUcMock({ scenario: { outcomes: [{ domain: 'corp.example',
//     category: 'grey', domain_type: 'masked legitimate' }] } });
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';

const START_TIMEOUT_MS = 30000;  // to the first output line and a healthy /healthz
const STOP_TIMEOUT_MS = 10000;   // from SIGTERM to SIGKILL
const LIST_KINDS = ['white', 'grey', 'black'];
const REQUEST_FILTERS = ['path_prefix', 'api_key', 'task_id'];

export class UcMockError extends Error {
  constructor(message, { status, body } = {}) {
    super(message);
    this.name = 'UcMockError';
    this.status = status;
    this.body = body;
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitHealthy(baseUrl, deadline, proc) {
  let last;
  while (Date.now() < deadline) {
    if (proc && proc.exitCode !== null) break;
    try {
      const r = await fetch(`${baseUrl}/healthz`, { signal: AbortSignal.timeout(5000) });
      await r.arrayBuffer();
      if (r.status === 200) return;
      last = `status ${r.status}`;
    } catch (e) {
      last = e.cause?.code || e.message;
    }
    await sleep(50);
  }
  throw new UcMockError(`${baseUrl}/healthz never answered 200 (${last})`);
}

// The first line the server prints: "ucmock listening on URL (data dir ...)".
function firstLine(proc, deadline) {
  return new Promise((resolve, reject) => {
    let buf = '';
    const done = (err, line) => {
      clearTimeout(timer);
      proc.stdout.off('data', onData);
      proc.off('exit', onExit);
      proc.off('error', onError);
      if (err) reject(err); else resolve(line);
    };
    const onData = (chunk) => {
      buf += chunk;
      const nl = buf.indexOf('\n');
      if (nl >= 0) done(null, buf.slice(0, nl));
    };
    const onExit = (code) => done(new UcMockError(`ucmock did not start (exit status ${code})`));
    const onError = (e) => done(new UcMockError(`cannot run ${proc.spawnfile}: ${e.message}`));
    const timer = setTimeout(() => done(new UcMockError('ucmock printed nothing in time')),
      Math.max(0, deadline - Date.now()));
    proc.stdout.setEncoding('utf8');
    proc.stdout.on('data', onData);
    proc.once('exit', onExit);
    proc.once('error', onError);
  });
}

class UcMock {
  constructor({ baseUrl, apiKey, proc = null, dataDir = null, log = null }) {
    this.baseUrl = baseUrl;
    this.apiKey = apiKey;
    this.exitCode = null;
    this._proc = proc;
    this._dataDir = dataDir;
    this._log = log;
  }

  // Wipe one account (default: this object's key): its tasks, files, usage,
  // lists, own outcomes, the faults and journal entries with its key, rate and ban
  // counters. The clock is kept.
  async reset(apiKey) {
    await this._call('POST', '/__mock/reset', { api_key: apiKey || this.apiKey });
  }

  // Apply a scenario (an object, or the path of a JSON file) to the running
  // server, all or nothing; resolves to the state as exportScenario() does.
  // A refused one rejects with a UcMockError whose body lists the problems.
  loadScenario(scenario) {
    const doc = typeof scenario === 'string' ? JSON.parse(fs.readFileSync(scenario, 'utf8'))
      : scenario;
    return this._call('PUT', '/__mock/scenario', doc);
  }

  // The server's state as a scenario document: accounts, outcomes, armed
  // faults, clock. loadScenario() of it on a fresh server gives the same.
  exportScenario() {
    return this._call('GET', '/__mock/scenario');
  }

  // Move the virtual clock forward; resolves to { now, offset_seconds }.
  advanceClock(seconds) {
    return this._call('POST', '/__mock/clock', { advance_seconds: seconds });
  }

  // Arm a fault (the README's Faults section); resolves to its id. It
  // applies to every key unless spec.match.api_key names one.
  async armFault(spec) {
    return (await this._call('POST', '/__mock/faults', spec)).id;
  }

  // Clear every fault on the server.
  async clearFaults() {
    await this._call('DELETE', '/__mock/faults');
  }

  // Replace the account's white, grey or black list with entries (an array
  // of addresses or domains, or one newline-separated string). Resolves to
  // the number of entries the server counted.
  async setList(kind, entries, apiKey) {
    if (!LIST_KINDS.includes(kind)) throw new TypeError(`kind must be one of ${LIST_KINDS.join(', ')}`);
    const body = typeof entries === 'string' ? entries : entries.join('\n') + '\n';
    return (await this._call('PUT', `/__mock/accounts/${this._key(apiKey)}/lists/${kind}`,
      body, 'text/plain; charset=utf-8')).entries;
  }

  // Set the account's credit balance (null: unlimited); resolves to the
  // account as account() does.
  setCredits(n, apiKey) {
    if (n !== null && !(Number.isInteger(n) && n >= 0)) {
      throw new TypeError('credits must be an integer >= 0 or null');
    }
    return this._call('PUT', `/__mock/accounts/${this._key(apiKey)}`, { credits: n });
  }

  // { api_key, credits (null = unlimited), charged, storage_used, storage_limit }
  account(apiKey) {
    return this._call('GET', `/__mock/accounts/${this._key(apiKey)}`);
  }

  // The journal of API requests, oldest first: [{ time, method, path,
  // api_key, status, duration_ms, task_id? }]. Filters: path_prefix,
  // api_key, task_id.
  async requests(filters = {}) {
    const bad = Object.keys(filters).filter((k) => !REQUEST_FILTERS.includes(k));
    if (bad.length) {
      throw new TypeError(`unknown filter ${bad.join(', ')} (allowed: ${REQUEST_FILTERS.join(', ')})`);
    }
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(filters)) if (v != null) q.set(k, v);
    const qs = q.toString();
    return (await this._call('GET', `/__mock/requests${qs ? `?${qs}` : ''}`)).requests;
  }

  // SIGTERM the server started here (SIGKILL after 10 s) and remove its
  // data dir; an attached server is left running. Rejects when it did not
  // exit with status 0.
  async stop() {
    const proc = this._proc;
    this._proc = null;
    if (!proc) return;
    if (proc.exitCode === null && proc.signalCode === null) {
      const exited = once(proc, 'exit');
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    }
    this.exitCode = proc.exitCode;
    const log = this._readLog();
    fs.rmSync(this._dataDir, { recursive: true, force: true });
    if (proc.exitCode !== 0) {
      throw new UcMockError(`ucmock exited with status ${proc.exitCode ?? proc.signalCode}\n${log.slice(-4000)}`);
    }
  }

  // `await using mock = await startUcMock()` (Node 22+, TypeScript 5.2+).
  async [Symbol.asyncDispose ?? Symbol.for('Symbol.asyncDispose')]() {
    await this.stop();
  }

  _key(apiKey) {
    return encodeURIComponent(apiKey || this.apiKey);
  }

  _readLog() {
    try {
      return fs.readFileSync(this._log, 'utf8');
    } catch {
      return '';
    }
  }

  async _call(method, p, body, contentType = 'application/json') {
    const init = { method, signal: AbortSignal.timeout(30000) };
    if (body !== undefined) {
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
      init.headers = { 'Content-Type': contentType };
    }
    const r = await fetch(this.baseUrl + p, init);
    const text = await r.text();
    let json;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = text;
    }
    if (!r.ok) {
      throw new UcMockError(`${method} ${p}: ${r.status} ${text.slice(0, 500)}`,
        { status: r.status, body: json });
    }
    return json;
  }
}

function findOnPath(name) {
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    if (!dir) continue;
    const f = path.join(dir, name);
    try {
      fs.accessSync(f, fs.constants.X_OK);
      return f;
    } catch {
      // not here
    }
  }
  return null;
}

// Start ucmock (or attach to `url`) and resolve once /healthz answers 200.
// apiKey is the key the members use when given none; default a fresh random
// one, so that two objects on one server never share an account.
export async function startUcMock({ binary, args = [], apiKey, url, scenario } = {}) {
  if (scenario != null && typeof scenario !== 'string' &&
      (typeof scenario !== 'object' || Array.isArray(scenario))) {
    throw new TypeError('scenario must be an object or the path of a JSON file');
  }
  apiKey = apiKey || `ucmock-${randomBytes(8).toString('hex')}`;
  const deadline = Date.now() + START_TIMEOUT_MS;
  if (url) {
    const baseUrl = url.replace(/\/+$/, '');
    await waitHealthy(baseUrl, deadline);
    const attached = new UcMock({ baseUrl, apiKey });
    if (scenario != null) await attached.loadScenario(scenario);
    return attached;
  }
  binary = binary || process.env.UCMOCK_BIN || findOnPath('ucmock');
  if (!binary) {
    throw new UcMockError('no ucmock binary: pass { binary }, set UCMOCK_BIN or put ucmock on PATH');
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ucmock-'));
  const log = path.join(dir, 'ucmock.log');
  const extra = [];
  if (typeof scenario === 'string') {
    extra.push('--scenario', path.resolve(scenario));
  } else if (scenario != null) {
    fs.writeFileSync(path.join(dir, 'scenario.json'), JSON.stringify(scenario));
    extra.push('--scenario', path.join(dir, 'scenario.json'));
  }
  const logFd = fs.openSync(log, 'w');
  const proc = spawn(binary, ['--listen', '127.0.0.1:0', '--data-dir', path.join(dir, 'data'),
    ...args.map(String), ...extra], { stdio: ['ignore', 'pipe', logFd] });
  fs.closeSync(logFd);
  const mock = new UcMock({ apiKey, proc, dataDir: dir, log });
  const fail = async (e) => {
    if (proc.exitCode === null && proc.signalCode === null && proc.pid) {
      const exited = once(proc, 'exit');
      proc.kill('SIGKILL');
      await exited;
    }
    const text = mock._readLog();
    fs.rmSync(dir, { recursive: true, force: true });
    throw new UcMockError(`${e.message}\n${text.slice(-4000)}`);
  };
  let line;
  try {
    line = await firstLine(proc, deadline);
  } catch (e) {
    return fail(e);
  }
  const m = /^ucmock listening on (\S+) /.exec(line);
  if (!m) return fail(new UcMockError(`ucmock did not start (${JSON.stringify(line)})`));
  mock.baseUrl = m[1];
  proc.stdout.resume();  // nothing more is printed; never let the pipe fill
  try {
    await waitHealthy(mock.baseUrl, deadline, proc);
  } catch (e) {
    return fail(e);
  }
  return mock;
}
