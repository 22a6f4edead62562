// npm run reliability [-- load replay fuzz fault] — the reliability runs of issue 8 against the
// production server process (server.ts, `next build` output) on 127.0.0.1:
//   load   60 s of 50 concurrent full HPKI card logins → 0 errors, p50/p99
//   replay 1,000 replayed card challenges and 1,000 replayed authorization codes → 0 accepted
//   fuzz   10,000 mutated certificates and tokens through every verification endpoint → 0 5xx, no crash
//   fault  kill -9 during logins, consents and registrations; restart; every acknowledged write is there
//   flood  20,000 card challenges and 2,000 spoofed-certificate-header requests from one address while
//          10 honest browsers (other addresses, a login every ~0.5 s each) log in → 0 honest errors,
//          p50 ≤ 2× the quiet run's (120 s, long enough for the heap to settle), RSS peak ≤ 50 MB over the quiet run's, ≤ 100 audit rows
//          from the flood (issue 12). FLOOD_CHALLENGES, FLOOD_SPOOFED, FLOOD_QUIET_SECONDS.
// on PGlite, and on a fresh PostgreSQL database too when DATABASE_URL points to one.
// Settings: RELIABILITY_LOAD_SECONDS (60), RELIABILITY_CONCURRENCY (50), FUZZ_SEED (random),
// FUZZ_CASES (10000), FUZZ_CASE=<i,j> (replay single cases). Exit 1 on any failure.
import 'reflect-metadata';
import fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PortalProcess } from '../../tests/support/portal-process.ts';
import { createTestDatabase, type TestDatabase } from '../../tests/support/test-database.ts';
import { adminCookie, auditSnapshot, createReliabilityMaterial, enrolSigningCredentialOffline, seedDatabase, type ReliabilityMaterial } from '../../tests/reliability/portal-target.ts';
import { fullCardLogin, type Server } from '../../tests/reliability/flows.ts';
import { runLoad } from '../../tests/reliability/load.ts';
import { runReplay } from '../../tests/reliability/replay.ts';
import { FUZZ_TARGETS, runFuzz } from '../../tests/reliability/fuzz.ts';
import { prepareFuzzContext } from '../../tests/reliability/fuzz-context.ts';
import { faultProblems, runFault } from '../../tests/reliability/fault.ts';
import { runFlood } from '../../tests/reliability/flood.ts';
import { openDatabase } from '../../src/db/open-database.ts';
import { LIMITS_OUT_OF_REACH } from '../../src/config/rate-limits.ts';

const selected = new Set(process.argv.slice(2).filter((a) => !a.startsWith('-')));
const wants = (run: string) => selected.size === 0 || selected.has(run);
const loadSeconds = Number(process.env.RELIABILITY_LOAD_SECONDS ?? 60);
const concurrency = Number(process.env.RELIABILITY_CONCURRENCY ?? 50);
const seed = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const fuzzCases = Number(process.env.FUZZ_CASES ?? 10_000);
const onlyCases = process.env.FUZZ_CASE?.split(',').map(Number);
const floodChallenges = Number(process.env.FLOOD_CHALLENGES ?? 20_000);
const floodSpoofed = Number(process.env.FLOOD_SPOOFED ?? 2_000);
const floodQuietMs = Number(process.env.FLOOD_QUIET_SECONDS ?? 120) * 1000;
const postgresUrl = /^postgres(ql)?:\/\//.test(process.env.DATABASE_URL ?? '') ? process.env.DATABASE_URL : undefined;

const failures: string[] = [];
const summary: string[] = [];
const log = (line: string) => console.log(`[reliability] ${line}`);
const check = (ok: boolean, what: string) => {
  if (!ok) failures.push(what);
  return ok ? 'ok' : 'FAILED';
};

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function pgliteDatabase(label: string): TestDatabase {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `hpki-${label}-`));
  return { url: `pglite:${dir}/db`, kind: 'pglite', drop: async () => fs.rmSync(dir, { recursive: true, force: true }) };
}

// The load, replay, fuzz and fault runs come from one address by the thousand: the abuse limits are
// lifted for them (the flood run measures the limits themselves).
const serverEnv = { HPKI_AUTO_ENROL: 'true', TRUSTED_PROXIES: '127.0.0.1', CRL_FETCH: 'false', OCSP: 'false', RATE_LIMITS: LIMITS_OUT_OF_REACH };

async function loadReplayFuzz(material: ReliabilityMaterial) {
  const database = postgresUrl ? await createTestDatabase('reliability') : pgliteDatabase('reliability');
  // A registration case whose passkey is accepted spends its code: enough for every fuzz case of
  // that target (one in FUZZ_TARGETS.length), or the remainder would be skipped.
  const registrantsNeeded = wants('fuzz') ? Math.ceil(fuzzCases / FUZZ_TARGETS.length) + 60 : 60;
  const fixture = await seedDatabase(database.url, material, registrantsNeeded);
  const portal = new PortalProcess(await freePort(), database.url, serverEnv);
  const server: Server = { url: portal.url, origin: portal.url };
  log(`server: production process on ${portal.url}, ${database.kind} (${database.url})`);
  try {
    await portal.start();
    if (wants('load')) {
      const r = await runLoad(server, fixture.rp, fixture.cards, { durationMs: loadSeconds * 1000, concurrency });
      summary.push(
        `load     ${database.kind}: ${r.logins} full card logins in ${r.seconds} s at ${concurrency} concurrent (${r.perSecond}/s, ${fixture.cards.length} cards), errors ${r.errors} [${check(r.errors === 0 && r.logins > 0, 'load: errors')}], p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, max ${r.maxMs} ms`,
      );
      for (const [kind, n] of Object.entries(r.errorKinds)) summary.push(`           ${n}× ${kind}`);
      for (const line of portal.log.split('\n').filter((l) => /unexpected error/.test(l)).slice(0, 3)) summary.push(`           server log: ${line.slice(0, 600)}`);
      fs.writeFileSync(path.join(os.tmpdir(), 'reliability-load-server.log'), portal.log);
    }
    if (wants('replay')) {
      const r = await runReplay(server, fixture.rp, fixture.cards, { sources: 50, perSource: 20 });
      summary.push(
        `replay   card challenges: ${r.challengeReplays} replayed, ${r.challengeAccepted} accepted [${check(r.challengeAccepted === 0 && r.challengeReplays === 1000, 'replay: challenge accepted')}] ${JSON.stringify(r.challengeOutcomes)}`,
        `replay   authorization codes: ${r.codeReplays} replayed, ${r.codeAccepted} accepted [${check(r.codeAccepted === 0 && r.codeReplays === 1000, 'replay: code accepted')}] ${JSON.stringify(r.codeOutcomes)}; access tokens of the first exchange still valid after the replay: ${r.tokensStillValidAfterReplay}/50`,
      );
    }
    if (wants('fuzz')) {
      // The signing practitioner is enrolled by a first card login; its key is made while the server is stopped.
      const context = await prepareFuzzContext(server, fixture, async (signer) => {
        await portal.stop();
        const credentialId = await enrolSigningCredentialOffline(database.url, portal.keyEncryptionKeyFile, signer, fixture.hpki);
        await portal.start();
        return credentialId;
      });
      const r = await runFuzz(context, { seed, cases: fuzzCases, only: onlyCases, log });
      const alive = portal.isRunning();
      summary.push(
        `fuzz     seed ${seed}: ${r.cases} cases (${r.skipped} skipped) ${JSON.stringify(r.byTarget)}; statuses ${JSON.stringify(r.byStatus)}`,
        `fuzz     5xx: ${r.serverErrors.length} [${check(r.serverErrors.length === 0, 'fuzz: 5xx')}], no response: ${r.noResponse.length} [${check(r.noResponse.length === 0, 'fuzz: no response')}], process alive: ${alive} [${check(alive, 'fuzz: process died')}], discovery answers: ${r.stillAnswersDiscovery} [${check(r.stillAnswersDiscovery, 'fuzz: discovery')}]`,
      );
      for (const f of [...r.serverErrors, ...r.noResponse].slice(0, 20)) summary.push(`           case ${f.index} ${f.target} (${f.how}) → ${f.status} ${f.body}`);
      if (r.serverErrors.length) summary.push(`           reproduce: FUZZ_SEED=${seed} FUZZ_CASE=${r.serverErrors.map((f) => f.index).slice(0, 20).join(',')} npm run reliability -- fuzz`);
      const unexpected = portal.log.split('\n').filter((l) => /unexpected error/.test(l));
      if (unexpected.length) summary.push(`           server log: ${unexpected.length} unexpected errors, first: ${unexpected[0]!.slice(0, 400)}`);
      fs.writeFileSync(path.join(os.tmpdir(), 'reliability-fuzz-server.log'), portal.log);
    }
  } finally {
    await portal.stop();
    portal.dispose();
    await database.drop();
  }
}

/** The portal process's resident memory now, from /proc (Linux). */
function processRss(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

/**
 * As in the benchmark: on a machine with ≥ 2 cores the portal runs on CPU 1 and the clients (this
 * process: attacker and honest browsers alike) on CPU 0, so the flood's own client cost is not charged
 * to the portal; the database server is not pinned.
 */
const canPin = os.cpus().length >= 2 && spawnSync('taskset', ['-V']).status === 0;

async function flood(material: ReliabilityMaterial, database: TestDatabase) {
  const fixture = await seedDatabase(database.url, material, 0);
  // The real limits (no overrides), no trusted proxy: every address is what its socket says.
  const portal = new PortalProcess(await freePort(), database.url, { HPKI_AUTO_ENROL: 'true', CRL_FETCH: 'false', OCSP: 'false' }, 'server.ts', {
    wrap: canPin ? (command) => ['taskset', '-c', '1', ...command] : undefined,
  });
  if (canPin) spawnSync('taskset', ['-pc', '0', String(process.pid)]);
  const attackerAddress = '127.0.0.1';
  try {
    await portal.start();
    const server: Server = { url: portal.url, origin: portal.url };
    // Every card logs in once first (enrolment, consent), as on any working day before the flood.
    for (const card of fixture.cards) await fullCardLogin(server, fixture.rp, card);
    const before = await auditSnapshot(portal.url, adminCookie(portal.url, fixture.adminSessionId));
    const lastSeq = Math.max(...[...before.keys()].map(Number));
    const r = await runFlood(
      server,
      fixture.rp,
      fixture.cards,
      { challengeRequests: floodChallenges, spoofedRequests: floodSpoofed, honestClients: 10, quietMs: floodQuietMs, attackerConnections: 64, thinkMs: 500, attackerAddress },
      () => processRss(portal.pid),
    );
    // Stopping flushes the refusal summaries; then the rows the flood added are counted.
    await portal.stop();
    const db = await openDatabase({ url: database.url });
    const added = await db.prisma.auditEvent.findMany({ where: { seq: { gt: BigInt(lastSeq) } }, select: { event: true, ip: true, errorCode: true, details: true } });
    await db.close();
    const fromFlood = added.filter((e) => e.ip === attackerAddress);
    const kinds: Record<string, number> = {};
    for (const e of fromFlood) kinds[`${e.event}/${e.errorCode ?? ''}`] = (kinds[`${e.event}/${e.errorCode ?? ''}`] ?? 0) + 1;
    const ratio = r.flood.p50Ms / r.quiet.p50Ms;
    summary.push(
      `flood    ${database.kind}: ${canPin ? 'portal on CPU 1, clients on CPU 0' : 'not pinned'}; ${r.attacker.sent} attacker requests in ${r.attacker.seconds} s (${r.attacker.perSecond}/s) from ${attackerAddress}: ${JSON.stringify(r.attacker.byStatus)}`,
      `flood    ${database.kind}: honest logins (control ${r.control.logins}, errors ${r.control.errors}) quiet ${r.quiet.logins} (p50 ${r.quiet.p50Ms} ms, p99 ${r.quiet.p99Ms} ms), during the flood ${r.flood.logins} (p50 ${r.flood.p50Ms} ms, p99 ${r.flood.p99Ms} ms) → p50 ×${ratio.toFixed(2)} [${check(ratio <= 2, 'flood: honest p50 over 2× quiet')}], errors ${r.quiet.errors + r.flood.errors} [${check(r.quiet.errors + r.flood.errors + r.control.errors === 0 && r.flood.logins > 0, 'flood: honest errors')}]`,
      // On PostgreSQL the portal's memory is the portal's; an embedded database's grows inside it with
      // the rows the honest logins write, so there the growth an honest-only window of the same
      // length shows right after is subtracted (both figures are printed).
      `flood    ${database.kind}: portal RSS ${r.rss!.startMb} MB at the start, peak ${r.rss!.quietPeakMb} MB in the quiet run, ${r.rss!.floodPeakMb} MB in the flood (+${r.rss!.growthMb}), ${r.rss!.controlPeakMb} MB in the honest-only control as long (+${r.rss!.controlGrowthMb}) → the flood's own ${r.rss!.floodOwnMb} MB [${check((database.kind === 'postgres' ? r.rss!.growthMb : r.rss!.floodOwnMb) <= 50, 'flood: RSS growth over 50 MB')}]; audit rows added ${added.length}, from the flood's address ${fromFlood.length} [${check(fromFlood.length <= 100, 'flood: audit rows')}] ${JSON.stringify(kinds)}`,
    );
    for (const [kind, n] of Object.entries({ ...r.quiet.errorKinds, ...r.flood.errorKinds, ...r.control.errorKinds })) summary.push(`           ${n}× ${kind}`);
  } finally {
    await portal.stop();
    portal.dispose();
    await database.drop();
  }
}

async function fault(material: ReliabilityMaterial, database: TestDatabase) {
  const fixture = await seedDatabase(database.url, material, 400);
  const portal = new PortalProcess(await freePort(), database.url, serverEnv);
  try {
    await portal.start();
    const r = await runFault(portal, fixture, { runMs: 8000, loginWorkers: 16, registrationWorkers: 8, log });
    const problems = faultProblems(r);
    problems.forEach((p) => failures.push(`fault ${r.database}: ${p}`));
    const a = r.afterRestart;
    summary.push(
      `fault    ${r.database}: kill -9 after ${r.runMs} ms; acknowledged ${r.acknowledged.logins} logins, ${r.acknowledged.codes} codes (${r.acknowledged.consents} after a consent), ${r.acknowledged.registrations} registrations, ${r.acknowledged.auditEntries} audit entries read before the kill; ${r.cutOff} requests cut off; restart ${r.restartMs} ms`,
      `fault    ${r.database}: after restart registrations ${a.registrationsPresent}/${r.acknowledged.registrations} (passkey logins ${a.passkeyLoginsOk}), codes ${a.codesPresent}/${r.acknowledged.codes} (grants ${a.grantsPresent}, redeemed ${a.codesRedeemed}), audit entries ${a.auditEntriesPresent}/${r.acknowledged.auditEntries} unchanged (${a.auditEntriesChanged} changed), chain ${a.chain.ok ? `intact (${a.chain.entries} entries)` : 'BROKEN'}, audit:verify exit ${a.auditVerifyExit} [${problems.length ? 'FAILED' : 'ok'}]`,
    );
    for (const p of problems.slice(0, 10)) summary.push(`           ${p}`);
  } finally {
    await portal.stop();
    portal.dispose();
    await database.drop();
  }
}

const started = Date.now();
try {
  if (!fs.existsSync(path.resolve(import.meta.dirname, '../../.next/BUILD_ID'))) throw new Error('no production build: run `npm run build` first');
  const material = await createReliabilityMaterial(6, wants('fault') ? 400 : 0);
  if (wants('load') || wants('replay') || wants('fuzz')) await loadReplayFuzz(material);
  if (wants('flood')) {
    await flood(material, pgliteDatabase('flood'));
    if (postgresUrl) await flood(material, await createTestDatabase('flood'));
    else summary.push('flood    PostgreSQL: skipped (DATABASE_URL does not point to PostgreSQL)');
  }
  if (wants('fault')) {
    await fault(material, pgliteDatabase('fault'));
    if (postgresUrl) await fault(material, await createTestDatabase('fault'));
    else summary.push('fault    PostgreSQL: skipped (DATABASE_URL does not point to PostgreSQL)');
  }
} catch (error) {
  failures.push(`run aborted: ${(error as Error).stack ?? error}`);
}
console.log(`\nReliability runs (${Math.round((Date.now() - started) / 1000)} s, Node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'})`);
for (const line of summary) console.log(line);
if (failures.length) {
  console.log(`\nFAILED (${failures.length}):`);
  for (const f of failures) console.log(`  - ${f}`);
  process.exitCode = 1;
} else console.log('\nall reliability runs passed');
