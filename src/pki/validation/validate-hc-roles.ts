import { PkiError } from '../errors.ts';
import { describeHcRole } from '../hcrole/display-names.ts';
import type { HcRoleDescription } from '../hcrole/display-names.ts';
import { parseHcRoles } from '../hcrole/parse-hc-roles.ts';
import { acceptedHcRoleSchemes, isAcceptedHcRoleScheme } from '../hcrole/schemes.ts';
import type { x509 } from '../x509.ts';
import { textProblem } from './validate-name-characters.ts';

/** The longest role string a practitioner record holds (storedHcRoleSchema). */
export const MAX_HCROLE_LENGTH = 200;

/**
 * Last step: the certificate's hcRoles (subjectDirectoryAttributes → 1.0.17090.0.1 → HCActor →
 * CodedData). A role under a coding scheme other than the accepted ones (hcrole/schemes.ts) makes
 * the certificate refused with `hcrole_scheme_unknown`: the portal cannot say what it means, and a
 * certificate whose qualification cannot be read is not logged in as someone without one. A role
 * string with control characters, not well-formed, or over 200 characters → `hcrole_malformed`.
 * Unknown strings under the HPKI scheme pass through (SPEC §4), described as `known: false`.
 */
export function validateHcRoles(certificate: x509.X509Certificate): readonly HcRoleDescription[] {
  let valid = validated.get(certificate);
  if (!valid) validated.set(certificate, (valid = Object.freeze(checkedRoles(certificate).map((r) => Object.freeze(r)))));
  return valid;
}

/** Roles that passed, per certificate object (immutable): a remembered card's roles are read once. */
const validated = new WeakMap<x509.X509Certificate, readonly HcRoleDescription[]>();

function checkedRoles(certificate: x509.X509Certificate): HcRoleDescription[] {
  const roles = parseHcRoles(certificate);
  for (const { role, codingScheme } of roles) {
    if (!isAcceptedHcRoleScheme(codingScheme)) {
      throw new PkiError(
        'hcrole_scheme_unknown',
        `hcRole "${role.slice(0, 100)}" is coded under scheme ${codingScheme}, not ${acceptedHcRoleSchemes.map((s) => s.oid).join(' or ')}`,
      );
    }
    const problem = textProblem(role);
    if (problem) throw new PkiError('hcrole_malformed', `an hcRole string ${problem}`);
    if (role.length > MAX_HCROLE_LENGTH) throw new PkiError('hcrole_malformed', `an hcRole string has ${role.length} characters (at most ${MAX_HCROLE_LENGTH})`);
  }
  return roles.map((r) => describeHcRole(r.role, r.codingScheme));
}
