import crypto from 'node:crypto';
import type { Db } from '../db/current.ts';
import { driverOf } from '../db/driver-of.ts';
import { INT, JSONB, TEXT, TIMESTAMP } from '../db/sql-arg-types.ts';
import type { AuthResult } from './login-method.ts';
import { parseStoredHcRoles, type StoredHcRole } from '../practitioners/practitioner.ts';
import { prepared } from '../db/prepared-statements.ts';
import { copyValue } from '../db/copy-value.ts';

const INSERT_EVIDENCE = prepared(`INSERT INTO login_evidence (id, practitioner_id, login_ts, method, certificate, hc_roles, created_at)
          VALUES ($1::uuid, $2::uuid, $3, $4, $5::jsonb, $6::jsonb, $7)`);

// On globalThis: Next.js bundles page code separately from server.ts, and both must share one memory.
const RECENT_KEY = Symbol.for('hpki-sso.login-evidence');
const recent: Map<string, LoginEvidence> = ((globalThis as { [RECENT_KEY]?: Map<string, LoginEvidence> })[RECENT_KEY] ??= new Map());
const RECENT_MAX = 10_000;

/**
 * What a login proved beyond acr/amr (the certificate used, its hcRoles) is kept per practitioner
 * and login time (`auth_time`), so every token minted from that login carries the same claims.
 */
export async function recordLoginEvidence(prisma: Db, auth: AuthResult, loginTs: number): Promise<void> {
  if (!auth.certificate && !auth.hcRoles) return;
  // Fixed SQL through the driver (driverOf): every card login writes one.
  await driverOf(prisma).executeRaw({
    sql: INSERT_EVIDENCE,
    args: [crypto.randomUUID(), auth.practitionerId, loginTs, auth.method, auth.certificate ? JSON.stringify(auth.certificate) : null, auth.hcRoles ? JSON.stringify(auth.hcRoles) : null, new Date()],
    argTypes: [TEXT, TEXT, INT, TEXT, JSONB, JSONB, TIMESTAMP],
  });
  // The newest row for a login time is the one that counts (findLoginEvidence): this one, now.
  remember(`${auth.practitionerId}|${loginTs}`, { method: auth.method, certificate: auth.certificate ?? null, hcRoles: auth.hcRoles ?? null });
}

export interface LoginEvidence {
  method: string;
  certificate: { issuer: string; serialNumber: string; notBefore: string; notAfter: string } | null;
  hcRoles: StoredHcRole[] | null;
}

/**
 * Evidence never changes once written (one row per login), so every token and refresh grant of a
 * login can share one read: kept in memory for the most recent logins. A login with no evidence
 * row is not remembered, so a row written later is still found.
 */

export async function findLoginEvidence(prisma: Db, practitionerId: string, loginTs: number): Promise<LoginEvidence | null> {
  const key = `${practitionerId}|${loginTs}`;
  const known = recent.get(key);
  if (known) return copyValue(known);
  const row = await prisma.loginEvidence.findFirst({ where: { practitionerId, loginTs }, orderBy: { createdAt: 'desc' } });
  if (!row) return null;
  const evidence: LoginEvidence = {
    method: row.method,
    certificate: (row.certificate as LoginEvidence['certificate']) ?? null,
    hcRoles: row.hcRoles === null ? null : parseStoredHcRoles(row.hcRoles),
  };
  remember(key, evidence);
  return copyValue(evidence);
}

function remember(key: string, evidence: LoginEvidence): void {
  if (recent.size >= RECENT_MAX) recent.delete(recent.keys().next().value!);
  recent.set(key, copyValue(evidence));
}

/** Evidence outlives the longest-lived token of its login (refresh tokens: 12 h). */
export async function deleteOldLoginEvidence(prisma: Db, olderThan = new Date(Date.now() - 24 * 3600_000)): Promise<number> {
  const { count } = await prisma.loginEvidence.deleteMany({ where: { createdAt: { lt: olderThan } } });
  return count;
}
