import { PkiError } from '../errors.ts';
import { isUnderArc, OID } from '../oids.ts';
import type { CertificateProfile } from '../profiles.ts';
import { x509 } from '../x509.ts';

export function certificatePolicyOids(certificate: x509.X509Certificate): readonly string[] {
  return certificate.getExtension(x509.CertificatePolicyExtension)?.policies ?? [];
}

/**
 * Step 3: the certificate is meant for authentication (Web eID's purpose rule, protocol-facts §C2):
 * - a signing certificate (policy under a signing arc, or keyUsage nonRepudiation without
 *   digitalSignature) → `certificate_signing_not_allowed`;
 * - keyUsage must be present with digitalSignature, EKU if present must list clientAuth, and the
 *   leaf must not be a CA → otherwise `certificate_purpose_invalid`.
 */
export function validateCertificatePurpose(certificate: x509.X509Certificate, profile: CertificateProfile): void {
  const signingPolicy = certificatePolicyOids(certificate).find((oid) => profile.signingPolicyArcs.some((arc) => isUnderArc(oid, arc)));
  if (signingPolicy) throw new PkiError('certificate_signing_not_allowed', `certificate policy ${signingPolicy} is a signing policy`);

  const keyUsage = certificate.getExtension(x509.KeyUsagesExtension);
  if (!keyUsage) throw new PkiError('certificate_purpose_invalid', 'keyUsage extension is missing');
  const digitalSignature = (keyUsage.usages & x509.KeyUsageFlags.digitalSignature) !== 0;
  const nonRepudiation = (keyUsage.usages & x509.KeyUsageFlags.nonRepudiation) !== 0;
  if (nonRepudiation && !digitalSignature) {
    throw new PkiError('certificate_signing_not_allowed', 'keyUsage is nonRepudiation without digitalSignature (a signing key)');
  }
  if (!digitalSignature) throw new PkiError('certificate_purpose_invalid', 'keyUsage lacks digitalSignature');

  const eku = certificate.getExtension(x509.ExtendedKeyUsageExtension);
  if (eku && !eku.usages.map(String).includes(OID.ekuClientAuth)) {
    throw new PkiError('certificate_purpose_invalid', 'extendedKeyUsage does not include clientAuth');
  }
  if (certificate.getExtension(x509.BasicConstraintsExtension)?.ca) {
    throw new PkiError('certificate_purpose_invalid', 'a CA certificate cannot be used to log in');
  }
}
