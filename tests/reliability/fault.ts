import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { openDatabase } from '../../src/db/open-database.ts';
import { verifyAuditChain, type AuditChainReport } from '../../src/audit/verify-audit-chain.ts';
import { storedPayloadId } from '../../src/oidc/payload-store.ts';
import type { PortalProcess } from '../support/portal-process.ts';
import type { SoftwareAuthenticator } from '../support/software-authenticator.ts';
import { cardLogin, consentToCode, exchangeCode, passkeyLogin, registerPasskey, type Server } from './flows.ts';
import { adminCookie, auditSnapshot, type ReliabilityFixture } from './portal-target.ts';

const root = path.resolve(import.meta.dirname, '../..');

export interface FaultResult {
  database: string;
  runMs: number;
  restartMs: number;
  /** consents: codes whose login asked consent and got it; codes: every code issued. */
  acknowledged: { logins: number; codes: number; consents: number; registrations: number; auditEntries: number };
  /** Requests that failed while the server was up (before the kill): must be 0. */
  errorsBeforeKill: string[];
  /** Requests cut off by the kill (expected, not acknowledged). */
  cutOff: number;
  afterRestart: {
    registrationsPresent: number;
    passkeyLoginsOk: number;
    codesPresent: number;
    grantsPresent: number;
    codesRedeemed: number;
    auditEntriesPresent: number;
    auditEntriesChanged: number;
    auditEventsRegistration: number;
    auditEventsConsent: number;
    chain: AuditChainReport;
    auditVerifyExit: number | null;
    auditVerifyOutput: string;
  };
  lost: string[];
}

/**
 * Concurrent card logins with consent (acknowledged when the code arrives) and passkey
 * registrations (acknowledged on HTTP 200) against the real process; `kill -9` right after
 * reading the audit log; restart on the same database and look for every acknowledged write.
 */
export async function runFault(
  portal: PortalProcess,
  fixture: ReliabilityFixture,
  options: { runMs: number; loginWorkers: number; registrationWorkers: number; log?: (line: string) => void },
): Promise<FaultResult> {
  const server: Server = { url: portal.url, origin: portal.url };
  const log = options.log ?? (() => {});
  let killed = false;
  const errorsBeforeKill: string[] = [];
  let cutOff = 0;
  const codes: { code: string; verifier: string; at: number; consented: boolean }[] = [];
  let logins = 0;
  const registrations: { practitionerId: string; credentialId: string; authenticator: SoftwareAuthenticator }[] = [];
  const failed = (error: unknown) => {
    if (killed) cutOff++;
    else errorsBeforeKill.push(String((error as Error).message).slice(0, 300));
  };

  let card = 0;
  const loginWorker = async () => {
    while (!killed) {
      try {
        // Newcomer cards first (each asks consent: a grant is remembered per practitioner), then known ones.
        const i = card++;
        const next = fixture.newcomers[i] ?? fixture.cards[i % fixture.cards.length]!;
        const login = await cardLogin(server, fixture.rp, next);
        if (!killed) logins++;
        const { code, consented } = await consentToCode(server, fixture.rp, login.jar, login.redirectTo);
        codes.push({ code, verifier: login.verifier, at: Date.now(), consented });
      } catch (error) {
        failed(error);
      }
    }
  };
  let nextRegistrant = 0;
  const registrationWorker = async () => {
    while (!killed && nextRegistrant < fixture.registrants.length) {
      const registrant = fixture.registrants[nextRegistrant++]!;
      try {
        const done = await registerPasskey(server, registrant);
        registrations.push({ practitionerId: registrant.practitionerId, ...done });
      } catch (error) {
        failed(error);
      }
    }
  };
  const started = Date.now();
  const workers = [
    ...Array.from({ length: options.loginWorkers }, loginWorker),
    ...Array.from({ length: options.registrationWorkers }, registrationWorker),
  ];
  await new Promise((resolve) => setTimeout(resolve, options.runMs));
  // What the server has written so far, read by the server itself; the kill follows at once.
  const snapshot = await auditSnapshot(portal.url, adminCookie(portal.url, fixture.adminSessionId));
  // From here on a failed request is one the kill cut off; an answer that still arrives was acknowledged.
  killed = true;
  await portal.stop('SIGKILL');
  const runMs = Date.now() - started;
  await Promise.all(workers);
  const consents = codes.filter((c) => c.consented).length;
  const acknowledged = { logins, codes: codes.length, consents, registrations: registrations.length, auditEntries: snapshot.size };
  log(`killed after ${runMs} ms: ${logins} logins, ${codes.length} codes (${consents} after consent), ${registrations.length} registrations acknowledged, ${snapshot.size} audit entries read, ${cutOff} requests cut off`);

  const restartStarted = Date.now();
  await portal.start();
  const restartMs = Date.now() - restartStarted;

  // Over HTTP, as the clients would: each registered phone logs in, each code is redeemed.
  let passkeyLoginsOk = 0;
  for (const r of registrations) {
    try {
      await passkeyLogin(server, fixture.rp, r.authenticator);
      passkeyLoginsOk++;
    } catch (error) {
      log(`passkey login after restart failed: ${(error as Error).message}`);
    }
  }
  let codesRedeemed = 0;
  for (const c of codes) {
    const res = await exchangeCode(server, fixture.rp, c.code, c.verifier);
    if (res.status === 200) codesRedeemed++;
    else log(`code issued ${Math.round((Date.now() - c.at) / 1000)} s ago not redeemed after restart: ${res.status} ${await res.text()}`);
  }
  // An embedded database has one owner: read it after the server stops.
  const embedded = portal.databaseUrl.startsWith('pglite:');
  if (embedded) await portal.stop();

  const database = await openDatabase({ url: portal.databaseUrl, migrate: false });
  const lost: string[] = [];
  let registrationsPresent = 0;
  let codesPresent = 0;
  let grantsPresent = 0;
  let auditEntriesPresent = 0;
  let auditEntriesChanged = 0;
  let chain: AuditChainReport;
  let auditEventsRegistration: number;
  let auditEventsConsent: number;
  try {
    const prisma = database.prisma;
    for (const r of registrations) {
      const row = await prisma.passkeyCredential.findUnique({ where: { id: r.credentialId } });
      if (row?.practitionerId === r.practitionerId) registrationsPresent++;
      else lost.push(`registration of ${r.practitionerId} (credential ${r.credentialId})`);
    }
    for (const c of codes) {
      const row = await prisma.oidcPayload.findUnique({ where: { model_id: { model: 'AuthorizationCode', id: storedPayloadId('AuthorizationCode', c.code) } } });
      if (!row) {
        lost.push(`authorization code ${c.code.slice(0, 8)}…`);
        continue;
      }
      codesPresent++;
      const grant = row.grantId ? await prisma.oidcPayload.findUnique({ where: { model_id: { model: 'Grant', id: row.grantId } } }) : null;
      if (grant) grantsPresent++;
      else lost.push(`grant ${row.grantId} of code ${c.code.slice(0, 8)}…`);
    }
    const rows = await prisma.auditEvent.findMany({ where: { seq: { in: [...snapshot.keys()].map((s) => BigInt(s)) } }, select: { seq: true, hash: true } });
    const present = new Map(rows.map((r) => [r.seq.toString(), r.hash]));
    for (const [seq, hash] of snapshot) {
      const found = present.get(seq);
      if (found === undefined) lost.push(`audit entry #${seq}`);
      else if (found !== hash) {
        auditEntriesChanged++;
        lost.push(`audit entry #${seq} changed`);
      } else auditEntriesPresent++;
    }
    chain = await verifyAuditChain(prisma);
    auditEventsRegistration = await prisma.auditEvent.count({ where: { event: 'registration.passkey', result: 'success' } });
    auditEventsConsent = await prisma.auditEvent.count({ where: { event: 'consent', result: 'success' } });
  } finally {
    await database.close();
  }
  if (auditEventsRegistration < registrations.length) lost.push(`only ${auditEventsRegistration} registration audit entries for ${registrations.length} acknowledged registrations`);
  if (auditEventsConsent < consents) lost.push(`only ${auditEventsConsent} consent audit entries for ${consents} acknowledged consents`);

  // The operator's command, as a separate process on the same database.
  const verify = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/audit-verify.ts'], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: portal.databaseUrl, KEY_ENCRYPTION_KEY_FILE: portal.keyEncryptionKeyFile, AUDIT_CHECKPOINT_FILE: portal.auditCheckpointFile, DEMO: 'false' },
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (!embedded) await portal.stop();

  return {
    database: embedded ? 'PGlite' : 'PostgreSQL',
    runMs,
    restartMs,
    acknowledged,
    errorsBeforeKill,
    cutOff,
    afterRestart: {
      registrationsPresent,
      passkeyLoginsOk,
      codesPresent,
      grantsPresent,
      codesRedeemed,
      auditEntriesPresent,
      auditEntriesChanged,
      auditEventsRegistration,
      auditEventsConsent,
      chain,
      auditVerifyExit: verify.status,
      auditVerifyOutput: `${verify.stdout ?? ''}${verify.stderr ?? ''}`.trim().slice(0, 500),
    },
    lost,
  };
}

/** Every way a fault run can fail, as sentences (empty when it passed). */
export function faultProblems(r: FaultResult): string[] {
  const problems = [...r.lost];
  if (r.errorsBeforeKill.length) problems.push(`${r.errorsBeforeKill.length} requests failed before the kill: ${r.errorsBeforeKill[0]}`);
  if (r.afterRestart.passkeyLoginsOk !== r.acknowledged.registrations) problems.push(`${r.afterRestart.passkeyLoginsOk}/${r.acknowledged.registrations} registered passkeys log in after the restart`);
  if (r.afterRestart.codesRedeemed !== r.acknowledged.codes) problems.push(`${r.afterRestart.codesRedeemed}/${r.acknowledged.codes} codes redeemed after the restart`);
  if (!r.afterRestart.chain.ok) problems.push(`audit chain broken: ${JSON.stringify(r.afterRestart.chain, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}`);
  if (r.afterRestart.auditVerifyExit !== 0) problems.push(`npm run audit:verify exited ${r.afterRestart.auditVerifyExit}: ${r.afterRestart.auditVerifyOutput}`);
  if (r.acknowledged.consents === 0 || r.acknowledged.registrations === 0) problems.push('nothing was acknowledged before the kill: the run proves nothing');
  return problems;
}
