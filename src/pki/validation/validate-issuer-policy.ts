import { defaultCertificateRules } from '../certificate-rules.ts';
import type { CertificateRules } from '../certificate-rules.ts';
import { PkiError } from '../errors.ts';
import { namesMatch } from '../distinguished-name.ts';
import { certificateFingerprint } from '../fingerprint.ts';
import { isUnderArc } from '../oids.ts';
import type { CertificateProfile } from '../profiles.ts';
import type { x509 } from '../x509.ts';
import { certificatePolicyOids } from './validate-purpose.ts';

/**
 * Policy chaining (HPKI separates authentication CAs from signing CAs), after the chain is built:
 * - a leaf issued directly by a root anchor (a self-issued trust anchor) → `certificate_issued_by_anchor`,
 *   for profiles that require an issuing CA (HPKI), unless the installation allows it
 *   (rules.allowLeafFromAnchor); an anchor that is itself an issuing CA is checked as one (below);
 * - the leaf's issuing CA must be an authentication CA: its own certificatePolicies name a policy
 *   under one of profile.issuingCaPolicyArcs (HPKI: 1.2.392.100495.1.5.1.2.*, e.g. the
 *   authentication CA policy …1.2.3.1), or its fingerprint is configured as one
 *   (rules.authenticationCaFingerprints) → otherwise `certificate_issuer_not_authentication_ca`.
 *   anyPolicy does not count: it does not say which kind of CA this is.
 */
export function validateIssuerPolicy(chain: readonly x509.X509Certificate[], profile: CertificateProfile, rules: CertificateRules = defaultCertificateRules): void {
  if (!profile.issuingCaPolicyArcs) return;
  const issuer = chain[1];
  if (!issuer) throw new PkiError('certificate_untrusted', 'the chain has no issuer');
  // The chain ends at an anchor: a two-certificate chain whose anchor names itself as issuer is a root.
  if (chain.length === 2 && namesMatch(issuer.subjectName, issuer.issuerName)) {
    if (rules.allowLeafFromAnchor) return;
    throw new PkiError('certificate_issued_by_anchor', `the certificate is signed directly by trust anchor "${issuer.subject}"; ${profile.id} requires an issuing CA (setting HPKI_ALLOW_LEAF_FROM_ROOT)`);
  }
  const fingerprint = certificateFingerprint(issuer);
  if (rules.authenticationCaFingerprints.includes(fingerprint)) return;
  const policies = certificatePolicyOids(issuer);
  if (policies.some((oid) => profile.issuingCaPolicyArcs!.some((arc) => isUnderArc(oid, arc)))) return;
  throw new PkiError(
    'certificate_issuer_not_authentication_ca',
    `issuing CA "${issuer.subject}" is not an authentication CA: its policies (${policies.join(', ') || 'none'}) are not under ${profile.issuingCaPolicyArcs.join(' or ')}, and its fingerprint ${fingerprint} is not configured in HPKI_AUTHENTICATION_CAS`,
  );
}
