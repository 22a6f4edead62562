import { OID } from '../oids.ts';
import type { x509 } from '../x509.ts';

/**
 * Extensions the validators act on (or that carry no constraint). RFC 5280 §4.2 requires refusing
 * a certificate with any other critical extension, e.g. nameConstraints or policyConstraints,
 * which this validator does not implement.
 */
const PROCESSED_EXTENSIONS = new Set<string>([
  OID.keyUsage,
  OID.extKeyUsage,
  OID.basicConstraints,
  OID.certificatePolicies,
  OID.subjectAltName,
  OID.subjectDirectoryAttributes,
  OID.subjectKeyIdentifier,
  OID.authorityKeyIdentifier,
  OID.crlDistributionPoints,
  OID.authorityInfoAccess,
]);

/** OIDs of critical extensions of `certificate` that certificate validation does not process. */
export function unsupportedCriticalExtensions(certificate: x509.X509Certificate): string[] {
  return certificate.extensions.filter((e) => e.critical && !PROCESSED_EXTENSIONS.has(e.type)).map((e) => e.type);
}
