// npm run bench: each figure next to a floor measured in the same run on this machine.
// Only 127.0.0.1 is used. Writes into bench/.work/ (git-ignored) and removes it at the end.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const bin = path.join(root, 'bin', 'cerby-guests');
const work = path.join(here, '.work');
const SEND_ROWS = Number(process.env.BENCH_SEND_ROWS ?? 10_000);
const PARSE_ROWS = Number(process.env.BENCH_PARSE_ROWS ?? 100_000);
const LIST_ROWS = Number(process.env.BENCH_LIST_ROWS ?? 100_000);
// BENCH_LARGE=1: the million-row figures too (several minutes more).
const LARGE = process.env.BENCH_LARGE === '1';
const LARGE_ROWS = Number(process.env.BENCH_LARGE_ROWS ?? 1_000_000);
const LARGE_SEND_ROWS = Number(process.env.BENCH_LARGE_SEND_ROWS ?? LARGE_ROWS);
const CONNECTIONS = 4;
// BENCH_ONLY=send,team: only those sections (send, parse, list, startup, hostile, join, team), for a
// quicker loop while working on one figure; a full run is what the README's table comes from.
const ONLY = process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(',')) : undefined;
const runs = (section) => !ONLY || ONLY.has(section);
// BENCH_PAIRS=5: more send pairs (an odd number; the median pair is reported) on a noisy machine.
const PAIRS = Number(process.env.BENCH_PAIRS ?? 3);
if (!Number.isInteger(PAIRS) || PAIRS < 1 || PAIRS % 2 === 0) throw new Error('BENCH_PAIRS must be an odd number');

fs.rmSync(work, { recursive: true, force: true });
fs.mkdirSync(work, { recursive: true });

function writeCsv(file, rows) {
  const fd = fs.openSync(file, 'w');
  let chunk = 'email,name,family_name\n';
  for (let i = 0; i < rows; i++) {
    chunk += `guest${i}@partner.example,Guest ${i},"Family, ${i}"\n`;
    if (chunk.length > 1 << 20) {
      fs.writeSync(fd, chunk);
      chunk = '';
    }
  }
  fs.writeSync(fd, chunk);
  fs.closeSync(fd);
}

/** Wall time of a command, ms; with GNU time, also its peak RSS in KB. */
function timed(command, args, env = {}) {
  const useTime = fs.existsSync('/usr/bin/time');
  const started = process.hrtime.bigint();
  const result = useTime
    ? spawnSync('/usr/bin/time', ['-f', '%M', command, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 1 << 30 })
    : spawnSync(command, args, { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 1 << 30 });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const rssKb = useTime ? Number(result.stderr.trim().split('\n').pop()) : NaN;
  return { ms, rssKb, status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function must(result, what) {
  if (result.status !== 0) {
    console.error(`${what} failed (exit ${result.status}):\n${result.stderr.slice(-2000)}`);
    process.exit(1);
  }
  return result;
}

function init(db) {
  must(timed(process.execPath, [bin, '--db', db, 'init', '--workspace', 'Bench', '--owner', 'owner@bench.example']), 'init');
}

async function startSink() {
  const child = spawn(process.execPath, [path.join(here, 'sink.mjs')], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = readline.createInterface({ input: child.stdout });
  const queue = [];
  let waiting;
  lines.on('line', (line) => (waiting ? (waiting(line), (waiting = undefined)) : queue.push(line)));
  const nextLine = () => (queue.length ? Promise.resolve(queue.shift()) : new Promise((resolve) => (waiting = resolve)));
  const port = Number(await nextLine());
  return {
    port,
    async count(command = 'count') {
      child.stdin.write(`${command}\n`);
      return Number(await nextLine());
    },
    stop: () => child.stdin.end('quit\n'),
  };
}

const figures = [];

/** `rows` sent invites, through the tool's own store module (same schema), in one transaction; returns their time. */
async function fillGuests(db, rows) {
  const { openStore } = await import(path.join(root, 'dist', 'store', 'store.js'));
  const store = openStore(db, { create: false });
  const at = new Date().toISOString();
  const expires = new Date(Date.now() + 7 * 86400_000).toISOString();
  await store.write(async (tx) => {
    // In batches, as a bulk run records them (a million rows as one JSON parameter would be 250 MB).
    for (let first = 0; first < rows; first += 10_000) {
      const batch = Array.from({ length: Math.min(10_000, rows - first) }, (_, k) => first + k);
      const ids = await tx.guests.insertMany(
        batch.map((i) => ({ email: `guest${i}@partner.example`, emailKey: `guest${i}@partner.example`, name: `Guest ${i}`, familyName: null, invitedBy: 'owner@bench.example', invitedVia: 'members', message: null, invitedAt: at, expiresAt: expires })),
      );
      const guestIds = batch.map((i) => ids.get(`guest${i}@partner.example`));
      await tx.outbox.insertMany(
        batch.map((i, k) => ({ guestId: guestIds[k], sendNumber: 1, messageId: `<b.${i}@bench.example>`, recipient: `guest${i}@partner.example`, inviter: 'owner@bench.example', customMessage: null, expiresAt: expires, createdAt: at, route: 'smtp', linkToken: `token${i}` })),
      );
      await tx.guests.setLastMessages(guestIds);
    }
  });
  await store.close();
  return at;
}

/** What `list --json` selects, for sqlite3 -json: the same columns and joins. */
function listSql(at) {
  return `SELECT g.email, g.name, g.family_name AS familyName,
      CASE WHEN g.status = 'pending' AND g.expires_at <= '${at}' THEN 'expired' ELSE g.status END AS status,
      p.name AS partner, g.partner_role AS partnerRole, g.invited_by AS invitedBy, g.invited_at AS invitedAt, g.last_sent_at AS lastSentAt,
      g.send_count AS sendCount, g.expires_at AS expiresAt, g.joined_at AS joinedAt,
      CASE WHEN o.state IS NULL OR o.state = 'sending' THEN 'queued' ELSE o.state END AS delivery
    FROM guests g LEFT JOIN outbox o ON o.id = g.last_message_id LEFT JOIN partners p ON p.id = g.partner_id
    ORDER BY g.invited_at, g.email;`;
}
function report(name, value, floor, target, unit = 'ms', note = '') {
  const ratio = floor ? value / floor : NaN;
  figures.push({ name, value, floor, ratio, target, unit, note });
}

/** A figure with an absolute target (≤ target, in its unit), not a ratio. */
function absolute(name, value, target, unit, note = '') {
  figures.push({ name, value, floor: NaN, ratio: NaN, target, unit, note, absolute: true });
}

/** A new store at `db`, then the CSV sent from it to the sink: wall time and peak RSS. */
function toolInvite(sink, csv, db) {
  init(db);
  return must(timed(process.execPath, [bin, '--db', db, '--smtp', `smtp://127.0.0.1:${sink.port}`, 'invite', '--csv', csv, '--concurrency', String(CONNECTIONS)]), 'invite --csv');
}

/** The same, the sink reset before and checked after: it must have every invite. */
async function toolSend(sink, csv, rows, db) {
  await sink.count('reset');
  const run = toolInvite(sink, csv, db);
  const received = await sink.count();
  if (received !== rows) throw new Error(`the sink got ${received} of ${rows} invites`);
  return run;
}

/**
 * BENCH_PAIRS pairs (3 unless set) run back to back, each a bare nodemailer pool and
 * `toolRun(round)` (which sends the CSV to the same sink); the median pair, reported against
 * `target`. The order alternates (bare first, then the tool first, …): on a VM whose speed drifts
 * over minutes, the run that always went second would always meet the drift later.
 */
async function sendPairs(sink, name, target, toolRun) {
  const pairs = [];
  const bareRun = async () => {
    await sink.count('reset');
    const bare = must(timed(process.execPath, [path.join(here, 'bare-send.mjs'), String(sink.port), String(SEND_ROWS), String(CONNECTIONS)]), 'bare send');
    if ((await sink.count()) !== SEND_ROWS) throw new Error('the sink did not get every bare message');
    return bare;
  };
  const toolOnce = async (round) => {
    await sink.count('reset');
    const tool = await toolRun(round);
    if ((await sink.count()) !== SEND_ROWS) throw new Error(`${name}: the sink did not get every invite`);
    return tool;
  };
  for (let round = 0; round < PAIRS; round++) {
    let bare;
    let tool;
    if (round % 2 === 0) {
      bare = await bareRun();
      tool = await toolOnce(round);
    } else {
      tool = await toolOnce(round);
      bare = await bareRun();
    }
    pairs.push({ tool: tool.ms, floor: bare.ms, ratio: tool.ms / bare.ms });
  }
  const mid = [...pairs].sort((a, b) => a.ratio - b.ratio)[(PAIRS - 1) / 2];
  report(name, mid.tool, mid.floor, target, 'ms', `pairs ${pairs.map((p) => p.ratio.toFixed(2)).join(', ')}`);
}

// 1. 10,000-row CSV → SMTP sink in another process, vs a bare nodemailer pool sending the same
// rendered emails. Three pairs, run back to back; the median pair's ratio (on two cores the sink
// competes for the CPU and single runs vary by ±10%).
if (runs('send')) {
  const csv = path.join(work, 'send.csv');
  writeCsv(csv, SEND_ROWS);
  const sink = await startSink();
  await sendPairs(sink, `invite --csv, ${SEND_ROWS.toLocaleString('en-US')} rows → SMTP (${CONNECTIONS} connections), median of ${PAIRS} pairs`, 1.2, (round) =>
    // sendPairs resets and counts the sink around each run.
    toolInvite(sink, csv, path.join(work, `send-${round}.db`)),
  );
  sink.stop();
}

// 2 and 5. 100,000-row CSV --dry-run vs bare csv-parse; peak RSS of that run.
if (runs('parse')) {
  const csv = path.join(work, 'parse.csv');
  writeCsv(csv, PARSE_ROWS);
  const db = path.join(work, 'parse.db');
  init(db);
  const floors = [];
  const tools = [];
  let rss = 0;
  for (let round = 0; round < 3; round++) {
    floors.push(must(timed(process.execPath, [path.join(here, 'bare-parse.mjs'), csv]), 'bare parse').ms);
    const run = must(timed(process.execPath, [bin, '--db', db, 'invite', '--csv', csv, '--dry-run']), 'invite --csv --dry-run');
    tools.push(run.ms);
    rss = Math.max(rss, run.rssKb);
  }
  report(`invite --csv --dry-run, ${PARSE_ROWS.toLocaleString('en-US')} rows`, median(tools), median(floors), 3);
  figures.push({ name: `peak RSS of that run`, value: rss / 1024, floor: NaN, ratio: NaN, target: 150, unit: 'MB', note: '' });
}

// 3. list --json over 100,000 guests vs sqlite3 -json selecting the same columns.
if (runs('list')) {
  const db = path.join(work, 'list.db');
  init(db);
  const at = await fillGuests(db, LIST_ROWS);
  const sql = listSql(at);
  const hasSqlite = spawnSync('sqlite3', ['-version']).status === 0;
  const tools = [];
  const floors = [];
  for (let round = 0; round < 3; round++) {
    const run = must(timed(process.execPath, [bin, '--db', db, 'list', '--json']), 'list --json');
    if (JSON.parse(run.stdout).length !== LIST_ROWS) throw new Error('list --json returned the wrong count');
    tools.push(run.ms);
    if (hasSqlite) floors.push(must(timed('sqlite3', ['-json', db, sql]), 'sqlite3 -json').ms);
  }
  if (hasSqlite) report(`list --json, ${LIST_ROWS.toLocaleString('en-US')} guests`, median(tools), median(floors), 3);
  else report(`list --json, ${LIST_ROWS.toLocaleString('en-US')} guests`, median(tools), NaN, 3, 'ms', 'skipped the floor: no sqlite3 CLI');
}

// 4. --version vs node -e 0.
if (runs('startup')) {
  const tools = [];
  const floors = [];
  for (let round = 0; round < 15; round++) {
    floors.push(must(timed(process.execPath, ['-e', '0']), 'node -e 0').ms);
    tools.push(must(timed(process.execPath, [bin, '--version']), '--version').ms);
  }
  report('cerby-guests --version', median(tools), median(floors), 1.3);
}

// 4b. list on a 10-guest store vs node -e 0: what every interactive command pays to start.
if (runs('startup')) {
  const db = path.join(work, 'ten.db');
  init(db);
  const csv = path.join(work, 'ten.csv');
  writeCsv(csv, 10);
  must(timed(process.execPath, [bin, '--db', db, 'invite', '--csv', csv]), 'invite ten');
  const tools = [];
  const floors = [];
  for (let round = 0; round < 15; round++) {
    floors.push(must(timed(process.execPath, ['-e', '0']), 'node -e 0').ms);
    tools.push(must(timed(process.execPath, [bin, '--db', db, 'list']), 'list').ms);
  }
  report('list, a 10-guest store', median(tools), median(floors), 2.5);
}

// 4c. Hostile sizes: a 50 MB record (header or data, with or without a newline) is refused fast and small.
if (runs('hostile')) {
  const db = path.join(work, 'hostile.db');
  init(db);
  const big = 'x'.repeat(50 * 1024 * 1024);
  const cases = {
    'a data line without a newline': `email\n${big}`,
    'a header line': big,
    'a data line, then a good row': `email\n${big}\nok@partner.example\n`,
  };
  let worstMs = 0;
  let worstKb = 0;
  for (const [name, content] of Object.entries(cases)) {
    const file = path.join(work, 'hostile.csv');
    fs.writeFileSync(file, content);
    const run = timed(process.execPath, [bin, '--db', db, 'invite', '--csv', file]);
    if (run.status !== 2) throw new Error(`${name}: exit ${run.status}, expected 2`);
    worstMs = Math.max(worstMs, run.ms);
    worstKb = Math.max(worstKb, run.rssKb);
  }
  absolute('invite --csv, a 50 MB line (worst of header, data, data + newline): time', worstMs, 1000, 'ms');
  absolute('… and its peak RSS', worstKb / 1024, 100, 'MB');
}

// 5. join --email-file: a hostile 5 MB email (blank lines of spaces) vs a 1 KB one, same path (refused, exit 2).
if (runs('hostile')) {
  const db = path.join(work, 'join.db');
  init(db);
  const hostile = path.join(work, 'hostile.eml');
  const small = path.join(work, 'small.eml');
  const head = 'From: a@b.example\r\nTo: c@d.example\r\nSubject: x\r\nContent-Type: text/plain\r\n\r\n';
  fs.writeFileSync(hostile, head + `${' '.repeat(200)}\n`.repeat(Math.floor((5 * 1024 * 1024 - 8192) / 201)));
  fs.writeFileSync(small, head + `${' '.repeat(200)}\n`.repeat(5));
  const tools = [];
  const floors = [];
  for (let round = 0; round < 5; round++) {
    for (const [file, into] of [[hostile, tools], [small, floors]]) {
      const run = timed(process.execPath, [bin, '--db', db, 'join', '--email-file', file]);
      if (run.status !== 2) throw new Error(`join --email-file ${file}: exit ${run.status}`);
      into.push(run.ms);
    }
  }
  report('join --email-file, hostile 5 MB email (vs 1 KB)', median(tools), median(floors), 3, 'ms', 'the issue asks < 1 s');
}

// 6. Sign-in with a wrong own password: an unknown username vs a known one (real scrypt both ways).
if (runs('join')) {
  const db = path.join(work, 'signin.db');
  init(db);
  const outbox = path.join(work, 'signin.outbox');
  must(timed(process.execPath, [bin, '--db', db, 'invite', 'known@partner.example']), 'invite');
  const eml = path.join(path.dirname(db), 'signin.outbox', fs.readdirSync(outbox)[0]);
  const pw = path.join(work, 'pw.txt');
  fs.writeFileSync(pw, 'a long enough passphrase for the bench\n', { mode: 0o600 });
  const declined = timed(process.execPath, [bin, '--db', db, 'join', '--email-file', eml, '--new-password-file', pw, '--name', 'K', '--family-name', 'N', '--decline-tos']);
  if (declined.status !== 1 || !/declined the Terms/.test(declined.stderr)) throw new Error(`join did not stop at the terms: ${declined.stderr}`);
  const wrong = path.join(work, 'wrong.txt');
  fs.writeFileSync(wrong, 'not the password at all, no\n', { mode: 0o600 });
  const unknown = [];
  const known = [];
  // Alternating, 4 each: the known guest locks at the 5th failure (then unlock would be needed).
  for (let round = 0; round < 4; round++) {
    unknown.push(timed(process.execPath, [bin, '--db', db, 'join', '--username', 'nobody@partner.example', '--password-file', wrong]).ms);
    known.push(timed(process.execPath, [bin, '--db', db, 'join', '--username', 'known@partner.example', '--password-file', wrong]).ms);
  }
  report('join, wrong password: unknown username (vs known)', median(unknown), median(known), 1.25, 'ms', 'no enumeration by time: ≈ 1×');
}

// 7. The team store (issue 15): the 10,000-row send with --db postgres://… (a server this run
// starts on 127.0.0.1, as the tests do), and 4 processes in 4 working folders inviting one
// 2,000-row CSV into one database at once: each guest emailed exactly once, no errors.
if (runs('pg') || runs('team')) {
  const pgDir = path.join(work, 'pg-harness');
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const compiled = spawnSync(process.execPath, [tsc, path.join(root, 'test', 'pg-server.ts'), '--outDir', pgDir, '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--skipLibCheck'], { encoding: 'utf8' });
  if (compiled.status !== 0) throw new Error(`the PostgreSQL harness did not compile: ${compiled.stdout}${compiled.stderr}`);
  const { startPg } = await import(path.join(pgDir, 'pg-server.js'));
  const server = await startPg();
  const pgEnv = { PGPASSWORD: server.password };
  const count = (url, sql) => Number(server.psql(sql, url.split('/').pop()));
  const initOn = (url) => must(timed(process.execPath, [bin, '--db', url, 'init', '--workspace', 'Bench', '--owner', 'owner@bench.example'], pgEnv), 'init on PostgreSQL');
  try {
    const csv = path.join(work, 'send.csv');
    if (!fs.existsSync(csv)) writeCsv(csv, SEND_ROWS);
    const sink = await startSink();
    if (runs('pg')) await sendPairs(
      sink,
      `invite --csv, ${SEND_ROWS.toLocaleString('en-US')} rows → SMTP (${CONNECTIONS} connections), --db postgres:// (PostgreSQL ${server.psql('SHOW server_version')} on loopback), median of ${PAIRS} pairs`,
      1.4,
      (round) => {
        const url = server.createDatabase(`send${round}`);
        initOn(url);
        return must(timed(process.execPath, [bin, '--db', url, '--smtp', `smtp://127.0.0.1:${sink.port}`, 'invite', '--csv', csv, '--concurrency', String(CONNECTIONS)], pgEnv), 'invite --csv on PostgreSQL');
      },
    );

    // Four machines at once, one CSV.
    if (runs('team')) {
      const rows = 2000;
      const shared = path.join(work, 'team.csv');
      writeCsv(shared, rows);
      const url = server.createDatabase('team');
      initOn(url);
      await sink.count('reset');
      const started = process.hrtime.bigint();
      const children = await Promise.all(
        [0, 1, 2, 3].map((i) => {
          const cwd = path.join(work, `machine${i}`);
          fs.mkdirSync(cwd);
          return new Promise((resolve) => {
            const child = spawn(process.execPath, [bin, '--db', url, '--smtp', `smtp://127.0.0.1:${sink.port}`, 'invite', '--csv', shared, '--json'], {
              cwd,
              env: { ...process.env, ...pgEnv },
              stdio: ['ignore', 'pipe', 'pipe'],
            });
            let stdout = '';
            let stderr = '';
            child.stdout.on('data', (d) => (stdout += d));
            child.stderr.on('data', (d) => (stderr += d));
            child.on('close', (status) => resolve({ status, stdout, stderr }));
          });
        }),
      );
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      for (const run of children) if (run.status !== 0) throw new Error(`a team run failed (exit ${run.status}): ${run.stderr.slice(-500)}`);
      const counts = children.map((run) => JSON.parse(run.stdout).counts);
      const invited = counts.reduce((n, c) => n + c.invited, 0);
      const failed = counts.reduce((n, c) => n + c.failed, 0);
      const emails = await sink.count();
      const sent = count(url, "SELECT count(*) FROM outbox WHERE state = 'sent'");
      const guests = count(url, 'SELECT count(*) FROM guests');
      const once = invited === rows && failed === 0 && emails === rows && sent === rows && guests === rows;
      figures.push({
        name: `4 processes in 4 folders, one ${rows.toLocaleString('en-US')}-row CSV, one PostgreSQL database: emails per guest`,
        value: emails / rows,
        floor: NaN,
        ratio: NaN,
        target: 1,
        unit: '×',
        note: `${once ? 'each guest once' : 'NOT each guest once'}: ${emails} emails, invited ${counts.map((c) => c.invited).join(' + ')}, ${failed} failed, ${(ms / 1000).toFixed(1)} s`,
        exact: true,
        once,
      });
    }
    sink.stop();
  } finally {
    server.stop();
  }
}

// Large (BENCH_LARGE=1): a million rows.
if (LARGE) {
  const n = LARGE_ROWS.toLocaleString('en-US');
  const csv = path.join(work, 'large.csv');
  writeCsv(csv, LARGE_ROWS);
  // --dry-run: time and memory.
  {
    const db = path.join(work, 'large-dry.db');
    init(db);
    const run = must(timed(process.execPath, [bin, '--db', db, 'invite', '--csv', csv, '--dry-run']), 'large dry run');
    absolute(`invite --csv --dry-run, ${n} rows: time`, run.ms, 8000, 'ms');
    absolute('… and its peak RSS', run.rssKb / 1024, 150, 'MB');
  }
  // list --json over a million guests vs sqlite3 -json.
  {
    const db = path.join(work, 'large-list.db');
    init(db);
    const at = await fillGuests(db, LARGE_ROWS);
    const sql = listSql(at);
    const tool = must(timed(process.execPath, [bin, '--db', db, 'list', '--json']), 'large list --json');
    if (spawnSync('sqlite3', ['-version']).status === 0) {
      const floor = must(timed('sqlite3', ['-json', db, sql]), 'sqlite3 -json');
      report(`list --json, ${n} guests`, tool.ms, floor.ms, 2);
    }
    absolute('… and its peak RSS', tool.rssKb / 1024, 150, 'MB');
  }
  // A real run to the sink: constant memory (RSS at a million vs at a tenth of it).
  {
    const sink = await startSink();
    const tenth = Math.round(LARGE_SEND_ROWS / 10);
    const smallCsv = path.join(work, 'large-tenth.csv');
    writeCsv(smallCsv, tenth);
    const bigCsv = LARGE_SEND_ROWS === LARGE_ROWS ? csv : path.join(work, 'large-send.csv');
    if (bigCsv !== csv) writeCsv(bigCsv, LARGE_SEND_ROWS);
    const small = await toolSend(sink, smallCsv, tenth, path.join(work, 'large-tenth.db'));
    const big = await toolSend(sink, bigCsv, LARGE_SEND_ROWS, path.join(work, 'large-send.db'));
    sink.stop();
    absolute(`invite --csv, ${LARGE_SEND_ROWS.toLocaleString('en-US')} rows → SMTP: peak RSS`, big.rssKb / 1024, 200, 'MB', `${(big.ms / 1000).toFixed(0)} s`);
    report(`… its RSS vs ${tenth.toLocaleString('en-US')} rows`, big.rssKb / 1024, small.rssKb / 1024, 1.2, 'MB');
  }
}

fs.rmSync(work, { recursive: true, force: true });

console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`);
console.log('| figure | value | floor | ratio | target | result |');
console.log('|---|---|---|---|---|---|');
let failures = 0;
for (const f of figures) {
  const isRatio = Number.isFinite(f.ratio);
  const ok = isRatio ? f.ratio <= f.target : f.exact ? f.value === f.target && f.once : f.absolute || f.unit === 'MB' ? f.value <= f.target : true;
  if (!ok) failures++;
  const fmt = (v) => (Number.isFinite(v) ? `${v.toFixed(f.unit === 'MB' || f.exact ? 1 : 0)} ${f.unit}` : '—');
  console.log(
    `| ${f.name} | ${fmt(f.value)} | ${fmt(f.floor)} | ${isRatio ? `${f.ratio.toFixed(2)}×` : '—'} | ${isRatio ? `≤ ${f.target}×` : f.exact ? `= ${f.target} ${f.unit}` : `≤ ${f.target} ${f.unit}`} | ${ok ? 'met' : 'NOT met'}${f.note ? ` (${f.note})` : ''} |`,
  );
}
process.exitCode = failures ? 1 : 0;
