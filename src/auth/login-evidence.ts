import type { Db } from '../db/current.ts';
import type { AuthResult } from './login-method.ts';
import { parseStoredHcRoles, type StoredHcRole } from '../practitioners/practitioner.ts';

/**
 * What a login proved beyond acr/amr (the certificate used, its hcRoles) is kept per practitioner
 * and login time (`auth_time`), so every token minted from that login carries the same claims.
 */
export async function recordLoginEvidence(prisma: Db, auth: AuthResult, loginTs: number): Promise<void> {
  if (!auth.certificate && !auth.hcRoles) return;
  await prisma.loginEvidence.create({
    data: {
      practitionerId: auth.practitionerId,
      loginTs,
      method: auth.method,
      certificate: auth.certificate ?? undefined,
      hcRoles: auth.hcRoles ?? undefined,
    },
  });
}

export interface LoginEvidence {
  method: string;
  certificate: { issuer: string; serialNumber: string; notBefore: string; notAfter: string } | null;
  hcRoles: StoredHcRole[] | null;
}

export async function findLoginEvidence(prisma: Db, practitionerId: string, loginTs: number): Promise<LoginEvidence | null> {
  const row = await prisma.loginEvidence.findFirst({ where: { practitionerId, loginTs }, orderBy: { createdAt: 'desc' } });
  if (!row) return null;
  return {
    method: row.method,
    certificate: (row.certificate as LoginEvidence['certificate']) ?? null,
    hcRoles: row.hcRoles === null ? null : parseStoredHcRoles(row.hcRoles),
  };
}

/** Evidence outlives the longest-lived token of its login (refresh tokens: 12 h). */
export async function deleteOldLoginEvidence(prisma: Db, olderThan = new Date(Date.now() - 24 * 3600_000)): Promise<number> {
  const { count } = await prisma.loginEvidence.deleteMany({ where: { createdAt: { lt: olderThan } } });
  return count;
}
