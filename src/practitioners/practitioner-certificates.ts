import type { Db } from '../db/current.ts';
import { x509 } from '../pki/x509.ts';
import { certificateFingerprint } from '../pki/fingerprint.ts';
import { normaliseSerialHex } from '../pki/serial.ts';
import { parseHcRoles } from '../pki/hcrole/parse-hc-roles.ts';
import { acceptedHcRoles } from '../pki/hcrole/schemes.ts';
import { readCertificateSubject } from '../pki/validation/read-certificate-subject.ts';
import { crlDistributionUrls } from '../pki/revocation/crl-distribution-points.ts';

/**
 * Records an HPKI certificate as belonging to a practitioner (import by an administrator, the demo
 * data): a later login with it, or with a renewal from the same CA for the same subject
 * serialNumber, resolves to this practitioner.
 */
export async function recordPractitionerCertificate(
  prisma: Db,
  practitionerId: string,
  der: Uint8Array,
  kind: 'authentication' | 'signing',
): Promise<{ fingerprint: string }> {
  const certificate = new x509.X509Certificate(new Uint8Array(der));
  const fingerprint = certificateFingerprint(certificate);
  const subject = readCertificateSubject(certificate);
  const data = {
    practitionerId,
    kind,
    issuer: certificate.issuer,
    serialNumber: normaliseSerialHex(certificate.serialNumber),
    subjectSerialNumber: subject.serialNumber ?? null,
    // Only roles under an accepted coding scheme are qualifications (SPEC §12): (scheme, value).
    hcRoles: acceptedHcRoles(parseHcRoles(certificate)).map((r) => ({ role: r.role, codingScheme: r.codingScheme })),
    crlUrls: crlDistributionUrls(certificate),
    notBefore: certificate.notBefore,
    notAfter: certificate.notAfter,
  };
  await prisma.practitionerCertificate.upsert({ where: { fingerprint }, create: { fingerprint, ...data }, update: data });
  return { fingerprint };
}
