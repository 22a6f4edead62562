import type { Account, KoaContextWithOIDC } from 'oidc-provider';
import { findLoginEvidence, type LoginEvidence } from '../auth/login-evidence.ts';
import { readServicePolicy } from '../clients/service-policy.ts';
import type { SqlQueryable } from '@prisma/driver-adapter-utils';
import type { Db } from '../db/current.ts';
import { memoised } from '../db/request-memo.ts';
import { describeHcRole } from '../pki/hcrole/display-names.ts';
import { acceptedHcRoles } from '../pki/hcrole/schemes.ts';
import { parseStoredHcRoles, type StoredHcRole } from '../practitioners/practitioner.ts';
import { readAccountRow } from '../practitioners/account-row.ts';

/**
 * The `hcRole` claim: each qualification as in the certificate, its coding scheme and display names,
 * and whether the portal's hcRole table knows the string (`known`) and has its English spelling
 * checked against a real certificate or the CP (`confirmed`). An unknown string under the HPKI scheme
 * passes through with `known: false` (SPEC §4); a role under any other scheme is never released.
 */
export function hcRoleClaim(roles: StoredHcRole[]) {
  return acceptedHcRoles(roles).map((r) => {
    const d = describeHcRole(r.role, r.codingScheme);
    return { role: d.role, codingScheme: d.codingScheme, displayJa: d.displayJa, displayEn: d.displayEn, known: d.known, confirmed: d.confirmed };
  });
}

/** The login time behind a token: codes and refresh tokens carry it; access tokens via their session. */
async function loginTimeOf(ctx: KoaContextWithOIDC, token: unknown): Promise<number | undefined> {
  const t = token as { authTime?: number; sessionUid?: string } | undefined;
  if (typeof t?.authTime === 'number') return t.authTime;
  if (t?.sessionUid) {
    const session = await ctx.oidc.provider.Session.findByUid(t.sessionUid);
    return session?.loginTs;
  }
  return ctx.oidc.session?.loginTs;
}

/** findAccount: a practitioner who is locked or gone has no account, which ends their sessions. */
export function findAccountIn(prisma: () => Db, sql: () => SqlQueryable) {
  return async (ctx: KoaContextWithOIDC, sub: string, token?: unknown): Promise<Account | undefined> => {
    // oidc-provider asks for the account several times per request; one read answers them all.
    const clientId = ctx.oidc.client?.clientId;
    const p = await memoised(`account:${sub}:${clientId ?? ''}`, () => readAccountRow(sql(), sub, clientId));
    if (!p || p.locked) return undefined;
    return {
      accountId: p.id,
      // Claims are read only when a token or userinfo is being made, not at every account check.
      async claims() {
        const loginTs = await loginTimeOf(ctx, token);
        // Only what the service's policy releases (all but birthdate when it says nothing).
        const released = readServicePolicy(ctx.oidc.client?.metadata()).released_claims ?? ['profile', 'hcRole', 'hpki', 'linked_account'];
        const linkedAccount = clientId && released.includes('linked_account') ? (p.linkedAccount ?? undefined) : undefined;
        const evidence: LoginEvidence | null = loginTs ? await findLoginEvidence(prisma(), p.id, loginTs) : null;
        const kanji = p.familyNameKanji && p.givenNameKanji ? `${p.familyNameKanji} ${p.givenNameKanji}` : undefined;
        const profile = released.includes('profile')
          ? {
              name: `${p.givenName} ${p.familyName}`,
              family_name: p.familyName,
              given_name: p.givenName,
              'name#ja-Hani-JP': kanji,
              'family_name#ja-Hani-JP': p.familyNameKanji ?? undefined,
              'given_name#ja-Hani-JP': p.givenNameKanji ?? undefined,
            }
          : {};
        return {
          sub: p.id,
          ...profile,
          birthdate: released.includes('birthdate') ? (p.birthDate ?? undefined) : undefined,
          // A certificate login states the qualification of the certificate used; other methods the
          // qualifications that HPKI certificates established on the record.
          hcRole: released.includes('hcRole') ? hcRoleClaim(evidence?.hcRoles ?? parseStoredHcRoles(p.hcRoles)) : undefined,
          hpki: released.includes('hpki') ? (evidence?.certificate ?? undefined) : undefined,
          // The service's own user ID, only ever for the service that linked it.
          linked_account: linkedAccount,
        };
      },
    };
  };
}
