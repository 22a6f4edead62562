import { OID } from '../oids.ts';

/**
 * The hcRole coding schemes whose roles count as qualifications, in one table (SPEC §12: compared
 * as (scheme, value) everywhere). A role string means something only together with its scheme:
 * "Medical Doctor" under any other codingSchemeReference is not an HPKI qualification.
 */
export const acceptedHcRoleSchemes: ReadonlyArray<{ oid: string; name: string }> = Object.freeze([
  { oid: OID.jhpkiCodingScheme, name: 'id-jhpki-cdata: MHLW HPKI hcRole coding scheme' },
]);

const accepted = new Set(acceptedHcRoleSchemes.map((s) => s.oid));

export function isAcceptedHcRoleScheme(codingScheme: string): boolean {
  return accepted.has(codingScheme);
}

/** The same qualification: same role string under the same coding scheme. */
export function sameHcRole(a: { role: string; codingScheme: string }, b: { role: string; codingScheme: string }): boolean {
  return a.role === b.role && a.codingScheme === b.codingScheme;
}

/** Only the roles under an accepted scheme: what may reach a token or a policy decision. */
export function acceptedHcRoles<T extends { codingScheme: string }>(roles: readonly T[]): T[] {
  return roles.filter((r) => isAcceptedHcRoleScheme(r.codingScheme));
}
