import { PkiError } from '../errors.ts';
import { isUnderArc } from '../oids.ts';
import type { CertificateProfile } from '../profiles.ts';
import type { x509 } from '../x509.ts';
import { certificatePolicyOids } from './validate-purpose.ts';

/**
 * Step 4: the leaf carries a certificate policy the profile accepts (for `hpki-auth`: the HPKI
 * authentication arc 1.2.392.100495.1.5.1.2.*) → otherwise `certificate_policy_invalid`.
 */
export function validateCertificatePolicy(certificate: x509.X509Certificate, profile: CertificateProfile): void {
  const policies = certificatePolicyOids(certificate);
  if (policies.some((oid) => profile.acceptedPolicyArcs.some((arc) => isUnderArc(oid, arc)))) return;
  throw new PkiError(
    'certificate_policy_invalid',
    policies.length === 0
      ? 'certificatePolicies extension is missing'
      : `policies ${policies.join(', ')} are not under ${profile.acceptedPolicyArcs.join(' or ')}`,
  );
}
