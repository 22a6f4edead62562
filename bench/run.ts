/**
 * npm run bench [-- --seconds 12 --cards 50 --skip-crl --profile --concurrency N]
 *
 * Builds the pages if needed, makes a fresh database (PGlite folder, or a new PostgreSQL database
 * when DATABASE_URL=postgres://… is set), seeds it in a tsx child process, starts the portal
 * (server.ts, production mode) as its own process and drives it over HTTP from another process
 * (bench/driver.ts: undici for the login flow, autocannon for refresh grants and signHash). Then
 * measures the crypto ceiling (bench/ceiling.ts) and revocation at 1,000,000 serials
 * (bench/crl.ts), prints one table and writes bench/results.json.
 * On a machine with ≥ 2 cores the portal is pinned to CPU 1 and the driver to CPU 0 (taskset).
 * --profile: run the portal with --cpu-prof during one login run and summarise the profile instead.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase } from '../tests/support/test-database.ts';
import { PortalProcess } from '../tests/support/portal-process.ts';
import { printProfileSummary, summariseProfile, type ProfileSummary } from './profile-summary.ts';
import { LIMITS_OUT_OF_REACH } from '../src/config/rate-limits.ts';

const root = path.resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const value = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const SECONDS = value('seconds', 12);
const CARDS = value('cards', 50);
const PROFILE = flag('profile');
/** `--profile` alone profiles logins; `--profile refresh` or `--profile signhash` that run instead. */
const PROFILE_RUN = PROFILE ? (['refresh', 'signhash'].find((r) => args[args.indexOf('--profile') + 1] === r) ?? 'login') : undefined;
const LOGIN_CONCURRENCY = args.includes('--concurrency') ? [value('concurrency', 4)] : PROFILE ? [4] : [1, 4, 16];
const HTTP_CONNECTIONS = 16;
const cpus = os.cpus().length;
const hasTaskset = spawnSync('taskset', ['-V']).status === 0;
const pin = (cpu: number, cmd: string[]) => (cpus >= 2 && hasTaskset ? ['taskset', '-c', String(cpu), ...cmd] : cmd);
const log = (line: string) => console.log(`[bench] ${line}`);

// ---------------------------------------------------------------------------------------------

function machine() {
  const cpuinfo = fs.readFileSync('/proc/cpuinfo', 'utf8');
  const meminfo = fs.readFileSync('/proc/meminfo', 'utf8');
  return {
    cpuModel: /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1]?.trim() ?? os.cpus()[0]?.model,
    cores: cpus,
    ramGb: Math.round(Number(/MemTotal:\s+(\d+)/.exec(meminfo)?.[1] ?? 0) / 1048576),
    node: process.version,
    os: `${os.type()} ${os.release()}`,
    pinning: cpus >= 2 && hasTaskset ? 'portal on CPU 1, driver and ceiling on CPU 0/1 (taskset); database server unpinned' : 'none',
  };
}

function newestMtime(p: string): number {
  if (!fs.existsSync(p)) return 0;
  const stat = fs.statSync(p);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = 0;
  for (const entry of fs.readdirSync(p)) if (entry !== 'generated') newest = Math.max(newest, newestMtime(path.join(p, entry)));
  return newest;
}

/** Same rule as `npm start`: build when .next is missing or older than the sources. */
function buildIfNeeded() {
  const buildId = path.join(root, '.next/BUILD_ID');
  const builtAt = fs.existsSync(buildId) ? fs.statSync(buildId).mtimeMs : 0;
  const sources = ['app', 'src', 'public', 'next.config.mjs', 'postcss.config.mjs', 'package-lock.json'];
  if (builtAt > 0 && !sources.some((s) => newestMtime(path.join(root, s)) > builtAt)) return false;
  log('building the pages (next build)…');
  const build = spawnSync('npx', ['--no-install', 'next', 'build'], { cwd: root, stdio: 'inherit', env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' } });
  if (build.status !== 0) throw new Error('next build failed');
  return true;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Runs a tsx child to completion and returns the JSON after its `RESULT ` line. */
function runChild<T>(label: string, cmd: string[], env: Record<string, string> = {}, timeoutMs = 600_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd[0]!, cmd.slice(1), { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (err += c));
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (code === 0 && line) resolve(JSON.parse(line.slice(7)) as T);
      else if (code === 0 && label === 'seed' && out.includes('SEEDED')) resolve(undefined as T);
      else reject(new Error(`${label} failed (${code ?? signal}):\n${out.slice(-3000)}\n${err.slice(-3000)}`));
    });
  });
}

const tsx = (script: string, nodeArgs: string[] = []) => [process.execPath, ...nodeArgs, '--import', 'tsx', script];

/** Bare oidc-provider (bench/library-ceiling.ts) on the portal's core, with refresh tokens minted for the driver. */
function startLibraryCeiling(stateFile: string, tokensFile: string): Promise<{ url: string; pid: number; stop(): void }> {
  return new Promise((resolve, reject) => {
    const cmd = pin(1, tsx('bench/library-ceiling.ts').concat([stateFile, tokensFile]));
    const child = spawn(cmd[0]!, cmd.slice(1), { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stdout.on('data', (c) => {
      out += c;
      const port = /READY (\d+)/.exec(out)?.[1];
      if (port) {
        clearTimeout(timer);
        resolve({ url: `http://127.0.0.1:${port}`, pid: child.pid!, stop: () => child.kill('SIGTERM') });
      }
    });
    child.stderr.on('data', (c) => (out += c));
    child.on('exit', (code) => reject(new Error(`library ceiling exited (${code}):\n${out.slice(-2000)}`)));
  });
}

function procStatus(pid: number): { rssMb: number; hwmMb: number } {
  try {
    const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(s)?.[1] ?? 0);
    return { rssMb: Math.round(kb('VmRSS') / 1024), hwmMb: Math.round(kb('VmHWM') / 1024) };
  } catch {
    return { rssMb: 0, hwmMb: 0 };
  }
}

/**
 * CPU seconds (user + system) a process has used, from /proc/<pid>/stat, including its reaped
 * children's: a PostgreSQL backend that exits during a run (an idle pool connection closed) moves
 * its time to the postmaster's children time instead of vanishing from the sum.
 */
function cpuSeconds(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / CLOCK_TICKS;
  } catch {
    return 0; // the process ended between listing and reading
  }
}
const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK']).stdout?.toString().trim()) || 100;

/** The local PostgreSQL server's processes (postmaster and backends), when it runs on this machine. */
function postgresPids(): number[] {
  return fs.readdirSync('/proc').flatMap((d) => {
    if (!/^\d+$/.test(d)) return [];
    try {
      return fs.readFileSync(`/proc/${d}/comm`, 'utf8').trim() === 'postgres' ? [Number(d)] : [];
    } catch {
      return [];
    }
  });
}

/**
 * CPU used by the portal and, on PostgreSQL, by the database server during one run, per completed
 * operation: the honest "per core" cost, since on PostgreSQL part of the work runs in another process.
 */
async function withCpu<T extends Throughput>(portalPid: number, withDatabase: boolean, run: () => Promise<T>): Promise<T & { cpu: { portalMsEach: number; databaseMsEach?: number } }> {
  const databaseCpu = () => (withDatabase ? postgresPids().reduce((sum, pid) => sum + cpuSeconds(pid), 0) : 0);
  const portalBefore = cpuSeconds(portalPid);
  const databaseBefore = databaseCpu();
  const result = await run();
  const each = (seconds: number) => (1000 * seconds) / Math.max(1, result.completed);
  return {
    ...result,
    cpu: { portalMsEach: each(cpuSeconds(portalPid) - portalBefore), ...(withDatabase ? { databaseMsEach: each(databaseCpu() - databaseBefore) } : {}) },
  };
}

/**
 * SQL statements the portal has sent to PostgreSQL so far (it prints the count on SIGUSR2 when
 * BENCH_STATEMENT_REPORT=1; src/db/statement-count.ts). PGlite runs inside the portal: not counted.
 */
async function statementsSent(portal: PortalProcess, kind: string): Promise<number | undefined> {
  if (kind !== 'postgres') return undefined;
  const mark = portal.log.lastIndexOf('[statements]');
  process.kill(portal.pid, 'SIGUSR2');
  for (let i = 0; i < 100; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    const at = portal.log.lastIndexOf('[statements]');
    if (at > mark) {
      const count = /^\[statements\] (\d+)$/m.exec(portal.log.slice(at));
      if (count) return Number(count[1]);
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------

type Throughput = { perSecond: number; p50Ms: number; p99Ms: number; completed: number; errorCount: number; [k: string]: unknown };
type Ceiling = { ops: Record<string, { name: string; perSecond: number; microsEach: number }>; flows: Record<string, { operations: string[]; perSecond: number }> };

const started = Date.now();
const info = machine();
const built = buildIfNeeded();
const database = await createTestDatabase('bench');
const secrets = fs.mkdtempSync(path.join(os.tmpdir(), 'hpki-bench-'));
const stateFile = path.join(secrets, 'state.json');
const tokensFile = path.join(secrets, 'refresh-tokens.json');
const profileDir = path.join(secrets, 'profile');
log(`machine: ${info.cpuModel}, ${info.cores} cores, ${info.ramGb} GB, Node ${info.node}; database ${database.kind}${built ? ' (pages rebuilt)' : ''}`);

const results: Record<string, unknown> = { startedAt: new Date(started).toISOString(), machine: { ...info, database: database.kind } };
// --portal-node-arg X (repeatable): a Node/V8 flag for the portal process, to compare settings.
const portalNodeArgs = args.flatMap((a, i) => (a === '--portal-node-arg' && args[i + 1] ? [args[i + 1]!] : []));
const portal = new PortalProcess(await freePort(), database.url, { HPKI_AUTO_ENROL: 'false', CRL_FETCH: 'false', RATE_LIMITS: LIMITS_OUT_OF_REACH, BENCH_STATEMENT_REPORT: '1' }, 'server.ts', {
  nodeArgs: [...portalNodeArgs, ...(PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [])],
  wrap: (command) => pin(1, command),
});
const kekFile = portal.keyEncryptionKeyFile;
let sampler: NodeJS.Timeout | undefined;
try {
  let t = Date.now();
  await runChild('seed', tsx('bench/seed.ts'), { BENCH_DATABASE_URL: database.url, BENCH_KEK_FILE: kekFile, BENCH_STATE_FILE: stateFile, BENCH_CARDS: String(CARDS) });
  log(`seeded ${CARDS} card practitioners, clients and a signing credential in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  await portal.start();
  const idle = procStatus(portal.pid);
  log(`portal ready on ${portal.url} (pid ${portal.pid}, RSS ${idle.rssMb} MB)`);

  const onPostgres = database.kind === 'postgres' && postgresPids().length > 0;
  const driver = async (mode: string, opts: Record<string, unknown>) => {
    const before = await statementsSent(portal, database.kind);
    const result = await withCpu(portal.pid, onPostgres, () =>
      runChild<Throughput>(`driver ${mode}`, pin(0, tsx('bench/driver.ts').concat([mode, JSON.stringify({ base: portal.url, stateFile, ...opts })]))),
    );
    const after = await statementsSent(portal, database.kind);
    return before === undefined || after === undefined ? result : { ...result, statementsEach: (after - before) / Math.max(1, result.completed) };
  };

  // Warm-up (not measured): JIT, Next.js page modules, connection pools — and one login per card,
  // each with its consent, so the measured runs are the everyday login (consent remembered).
  const warm = await driver('login', { concurrency: 2, seconds: 120, maxCount: CARDS, tokensFile });
  log(`warm-up: ${warm.completed} logins (${warm.consentsIncluded} with consent), ${warm.errorCount} errors`);
  const afterWarm = procStatus(portal.pid);

  let peakRss = 0;
  sampler = setInterval(() => (peakRss = Math.max(peakRss, procStatus(portal.pid).rssMb)), 100);
  const logins: Throughput[] = [];
  let measuredFromUs = Number(process.hrtime.bigint() / 1000n);
  for (const concurrency of PROFILE_RUN && PROFILE_RUN !== 'login' ? [] : LOGIN_CONCURRENCY) {
    const r = await driver('login', { concurrency, seconds: SECONDS, tokensFile });
    logins.push(r);
    log(`logins c=${concurrency}: ${r.perSecond.toFixed(1)}/s p50 ${r.p50Ms.toFixed(1)} ms p99 ${r.p99Ms.toFixed(1)} ms, ${r.errorCount} errors, ${r.consentsIncluded} consents${typeof r.statementsEach === 'number' ? `, ${r.statementsEach.toFixed(1)} SQL statements each` : ''}`);
  }
  if (!PROFILE) {
    // A login that shows the consent page and records the decision (prompt=consent), as at a
    // practitioner's first visit to a service.
    const r = await driver('login', { concurrency: 4, seconds: SECONDS, tokensFile, prompt: 'consent' });
    results.consentLogins = r;
    log(`logins with consent c=4: ${r.perSecond.toFixed(1)}/s p50 ${r.p50Ms.toFixed(1)} ms p99 ${r.p99Ms.toFixed(1)} ms, ${r.errorCount} errors, ${r.consentsIncluded} consents`);
  }
  let measuredToUs = Number(process.hrtime.bigint() / 1000n);
  clearInterval(sampler);
  const afterLogins = procStatus(portal.pid);
  results.memory = {
    rssIdleAfterStartMb: idle.rssMb,
    rssAfterWarmupMb: afterWarm.rssMb,
    peakRssDuringLoginsMb: Math.max(peakRss, afterLogins.rssMb),
    vmHwmAfterLoginsMb: afterLogins.hwmMb,
  };
  results.logins = logins;

  if (!PROFILE) {
    const refresh = await driver('refresh', { concurrency: HTTP_CONNECTIONS, seconds: SECONDS, tokensFile });
    log(`refresh grants: ${refresh.perSecond.toFixed(1)}/s, ${refresh.errorCount} errors`);
    const signHash = await driver('signhash', { concurrency: HTTP_CONNECTIONS, seconds: SECONDS });
    log(`signHash: ${signHash.perSecond.toFixed(1)}/s, ${signHash.errorCount} errors`);
    // The same refresh grant against bare oidc-provider on the same core: the library's ceiling.
    const libraryTokens = path.join(secrets, 'library-refresh-tokens.json');
    const library = await startLibraryCeiling(stateFile, libraryTokens);
    try {
      results.libraryRefresh = await withCpu(library.pid, false, () =>
        runChild<Throughput>('driver refresh (library)', pin(0, tsx('bench/driver.ts').concat(['refresh', JSON.stringify({ base: library.url, stateFile, concurrency: HTTP_CONNECTIONS, seconds: SECONDS, tokensFile: libraryTokens })]))),
      );
    } finally {
      library.stop();
    }
    log(`refresh grants, bare oidc-provider: ${(results.libraryRefresh as Throughput).perSecond.toFixed(1)}/s`);
    results.refresh = refresh;
    results.signHash = signHash;
    results.memory = { ...(results.memory as object), vmHwmAtEndMb: procStatus(portal.pid).hwmMb };
  } else if (PROFILE_RUN !== 'login') {
    measuredFromUs = Number(process.hrtime.bigint() / 1000n);
    const r = await driver(PROFILE_RUN!, { concurrency: HTTP_CONNECTIONS, seconds: SECONDS, tokensFile });
    measuredToUs = Number(process.hrtime.bigint() / 1000n);
    log(`${PROFILE_RUN}: ${r.perSecond.toFixed(1)}/s, ${r.errorCount} errors`);
    results[PROFILE_RUN!] = r;
  }
  await portal.stop();

  if (PROFILE) {
    const file = fs.readdirSync(profileDir).find((f) => f.endsWith('.cpuprofile'));
    if (!file) throw new Error('no .cpuprofile written');
    const summary: ProfileSummary = summariseProfile(path.join(profileDir, file), 30, { fromUs: measuredFromUs, toUs: measuredToUs });
    const keep = path.join(os.tmpdir(), `hpki-bench-${PROFILE_RUN}-${database.kind}-${Date.now()}.cpuprofile`);
    fs.copyFileSync(path.join(profileDir, file), keep);
    summary.file = keep;
    const measured = PROFILE_RUN === 'login' ? (results.logins as Throughput[]) : [results[PROFILE_RUN!] as Throughput];
    const count = measured.reduce((n, r) => n + r.completed, 0);
    summary.operations = { name: PROFILE_RUN === 'login' ? 'logins' : PROFILE_RUN === 'refresh' ? 'refresh grants' : 'signHash calls', count, busyMsEach: summary.busyMs / Math.max(1, count) };
    printProfileSummary(summary);
    results.profile = summary;
  } else {
    t = Date.now();
    results.ceiling = await runChild<Ceiling>('ceiling', pin(1, tsx('bench/ceiling.ts')));
    log(`crypto ceiling measured in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    if (!flag('skip-crl')) {
      t = Date.now();
      log('revocation: issuing and loading a CRL with 1,000,000 revoked serials (takes a minute or two)…');
      results.crl = await runChild('crl', pin(1, tsx('bench/crl.ts', ['--max-old-space-size=16384', '--expose-gc'])), {}, 900_000);
      log(`revocation measured in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    }
  }
} catch (error) {
  console.error(portal.log.slice(-4000));
  throw error;
} finally {
  if (sampler) clearInterval(sampler);
  await portal.stop();
  portal.dispose();
  await database.drop();
  fs.rmSync(secrets, { recursive: true, force: true });
}
results.totalSeconds = (Date.now() - started) / 1000;

// ---------------------------------------------------------------------------------------------
// Table and results file.

const fmt = (n: number | undefined, d = 1) => (n === undefined || Number.isNaN(n) ? '—' : n.toFixed(d));
if (!PROFILE) {
  const ceiling = results.ceiling as Ceiling;
  const rows: string[][] = [['row', 'per second', 'p50 ms', 'p99 ms', 'ceiling /s', 'of ceiling', 'CPU ms each', 'SQL each', 'errors']];
  // Portal CPU per operation, plus the PostgreSQL server's when it runs here (PGlite runs inside the portal).
  const cpuOf = (r: Throughput) => (r as Throughput & { cpu?: { portalMsEach: number; databaseMsEach?: number } }).cpu;
  /** CPU ms of portal and database together per operation. */
  const cpuTotal = (r: Throughput) => {
    const c = cpuOf(r);
    return c ? c.portalMsEach + (c.databaseMsEach ?? 0) : NaN;
  };
  const cpuEach = (r: Throughput) => {
    const c = cpuOf(r);
    if (!c) return '';
    return c.databaseMsEach === undefined ? fmt(c.portalMsEach) : `${fmt(c.portalMsEach)} + ${fmt(c.databaseMsEach)} db`;
  };
  // Statements sent to PostgreSQL per operation (BEGIN and COMMIT included).
  const sqlEach = (r: Throughput) => fmt((r as Throughput & { statementsEach?: number }).statementsEach);
  const ratio = (x: number, c: number) => `${((100 * x) / c).toFixed(1)} %`;
  for (const l of results.logins as Throughput[]) {
    rows.push([`HPKI card login, c=${l.concurrency} (consent remembered)`, fmt(l.perSecond), fmt(l.p50Ms), fmt(l.p99Ms), fmt(ceiling.flows.login!.perSecond, 0), ratio(l.perSecond, ceiling.flows.login!.perSecond), cpuEach(l), sqlEach(l), String(l.errorCount)]);
  }
  const cl = results.consentLogins as Throughput;
  rows.push([`HPKI card login with consent page, c=${cl.concurrency}`, fmt(cl.perSecond), fmt(cl.p50Ms), fmt(cl.p99Ms), fmt(ceiling.flows.login!.perSecond, 0), ratio(cl.perSecond, ceiling.flows.login!.perSecond), cpuEach(cl), sqlEach(cl), String(cl.errorCount)]);
  const r = results.refresh as Throughput;
  rows.push([`refresh grant, ${HTTP_CONNECTIONS} conns`, fmt(r.perSecond), fmt(r.p50Ms), fmt(r.p99Ms), fmt(ceiling.flows.refresh!.perSecond, 0), ratio(r.perSecond, ceiling.flows.refresh!.perSecond), cpuEach(r), sqlEach(r), String(r.errorCount)]);
  const lib = results.libraryRefresh as Throughput;
  rows.push([`refresh grant, bare oidc-provider (in-memory), ${HTTP_CONNECTIONS} conns`, fmt(lib.perSecond), fmt(lib.p50Ms), fmt(lib.p99Ms), fmt(ceiling.flows.refresh!.perSecond, 0), ratio(lib.perSecond, ceiling.flows.refresh!.perSecond), cpuEach(lib), '0', String(lib.errorCount)]);
  const s = results.signHash as Throughput;
  rows.push([`signHash (1 hash), ${HTTP_CONNECTIONS} conns`, fmt(s.perSecond), fmt(s.p50Ms), fmt(s.p99Ms), fmt(ceiling.flows.signHash!.perSecond, 0), ratio(s.perSecond, ceiling.flows.signHash!.perSecond), cpuEach(s), sqlEach(s), String(s.errorCount)]);
  const crl = results.crl as
    | { revokedSerials: number; crlBytes: number; loadSeconds: number; issueSeconds: number; peakRssDuringLoadMb: number; heapAfterLoadMb: number; lookupPresent: { meanNs: number; p99Ns: number }; lookupAbsent: { meanNs: number; p99Ns: number } }
    | undefined;
  if (crl) {
    rows.push([`CRL load, ${crl.revokedSerials.toLocaleString('en')} serials (${(crl.crlBytes / 1048576).toFixed(0)} MB)`, `${fmt(crl.loadSeconds)} s`, '', '', '', '', '', '', `peak RSS ${crl.peakRssDuringLoadMb} MB, heap after ${crl.heapAfterLoadMb} MB`]);
    rows.push(['revocation lookup, present serial', `${fmt(crl.lookupPresent.meanNs, 0)} ns`, '', `${crl.lookupPresent.p99Ns} ns`, '', '', '', '', '']);
    rows.push(['revocation lookup, absent serial', `${fmt(crl.lookupAbsent.meanNs, 0)} ns`, '', `${crl.lookupAbsent.p99Ns} ns`, '', '', '', '', '']);
  }
  const m = results.memory as { peakRssDuringLoginsMb: number; rssIdleAfterStartMb: number };
  rows.push(['portal peak RSS during logins', `${m.peakRssDuringLoginsMb} MB`, '', '', '', '', '', '', `idle after start ${m.rssIdleAfterStartMb} MB`]);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  const line = (row: string[]) => `| ${row.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  console.log(`\nMachine: ${info.cpuModel}, ${info.cores} cores, ${info.ramGb} GB RAM, Node ${info.node}, database ${database.kind}; ${info.pinning}`);
  console.log(line(rows[0]!));
  console.log(`|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
  for (const row of rows.slice(1)) console.log(line(row));
  // Throughput per CPU core: operations per second of CPU spent by the portal and the database server.
  const perCore = (label: string, r: Throughput) => {
    if (cpuOf(r)) console.log(`  ${label}: ${fmt(1000 / cpuTotal(r))} per CPU-second`);
  };
  console.log("\nPer core (CPU of portal + database server; Keycloak's sizing guide: 15 password logins and 120 refresh grants per vCPU):");
  const busiest = (results.logins as Throughput[]).at(-1)!;
  perCore(`HPKI card login, c=${busiest.concurrency}`, busiest);
  perCore('HPKI card login with consent page', cl);
  perCore('refresh grant', r);
  perCore('refresh grant, bare oidc-provider', lib);
  console.log(`  portal's refresh grant / the library's: ${fmt(cpuTotal(r) / cpuTotal(lib))}× the CPU`);
  perCore('signHash', s);
  console.log('\nCrypto ceiling (node:crypto, one thread):');
  for (const op of Object.values(ceiling.ops)) console.log(`  ${fmt(op.perSecond, 0).padStart(9)}/s  ${fmt(op.microsEach, 1).padStart(7)} µs  ${op.name}`);
  for (const [name, flow] of Object.entries(ceiling.flows)) console.log(`  ${name}: ${fmt(flow.perSecond, 0)}/s = 1/Σ(${flow.operations.join(' + ')})`);
}

const resultsFile = path.join(root, 'bench/results.json');
const previous = fs.existsSync(resultsFile) ? (JSON.parse(fs.readFileSync(resultsFile, 'utf8')) as { runs?: Record<string, unknown>; profiles?: Record<string, unknown> }) : {};
const key = database.kind;
const merged = PROFILE
  ? { ...previous, profiles: { ...previous.profiles, [`${key}-${PROFILE_RUN}`]: results } }
  : { ...previous, latest: results, runs: { ...previous.runs, [key]: results } };
fs.writeFileSync(resultsFile, `${JSON.stringify(merged, null, 2)}\n`);
log(`wrote bench/results.json (${key}${PROFILE ? ', profile' : ''}) in ${fmt(results.totalSeconds as number)} s total`);
