import type { Account, KoaContextWithOIDC } from 'oidc-provider';
import type { Db } from '../db/current.ts';
import { describeHcRole } from '../pki/hcrole/displayNames.ts';
import { parseStoredHcRoles, type StoredHcRole } from '../practitioners/practitioner.ts';

/** The `hcRole` claim: each qualification as in the certificate, its coding scheme and display names. */
export function hcRoleClaim(roles: StoredHcRole[]) {
  return roles.map((r) => {
    const d = describeHcRole(r.role, r.codingScheme);
    return { role: d.role, codingScheme: d.codingScheme, displayJa: d.displayJa, displayEn: d.displayEn };
  });
}

/** findAccount: a practitioner who is locked or gone has no account, which ends their sessions. */
export function findAccountIn(prisma: () => Db) {
  return async (_ctx: KoaContextWithOIDC, sub: string): Promise<Account | undefined> => {
    if (!/^[0-9a-f-]{36}$/i.test(sub)) return undefined;
    const p = await prisma().practitioner.findUnique({ where: { id: sub } });
    if (!p || p.lockedAt) return undefined;
    return {
      accountId: p.id,
      async claims() {
        const kanji = p.familyNameKanji && p.givenNameKanji ? `${p.familyNameKanji} ${p.givenNameKanji}` : undefined;
        return {
          sub: p.id,
          name: `${p.givenName} ${p.familyName}`,
          family_name: p.familyName,
          given_name: p.givenName,
          'name#ja-Hani-JP': kanji,
          'family_name#ja-Hani-JP': p.familyNameKanji ?? undefined,
          'given_name#ja-Hani-JP': p.givenNameKanji ?? undefined,
          hcRole: hcRoleClaim(parseStoredHcRoles(p.hcRoles)),
        };
      },
    };
  };
}
