import { PkiError } from '../errors.ts';
import { OID } from '../oids.ts';
import type { x509 } from '../x509.ts';

/**
 * RFC 5280 §4.2.1.8: conforming CAs MUST mark subjectDirectoryAttributes (which carries hcRole)
 * non-critical, as the MHLW certificates do. A critical one comes from a non-conforming issuer:
 * refused with `certificate_extension_invalid` rather than read as a qualification.
 */
export function validateSubjectDirectoryAttributes(certificate: x509.X509Certificate): void {
  const critical = certificate.extensions.find((e) => e.type === OID.subjectDirectoryAttributes && e.critical);
  if (critical) throw new PkiError('certificate_extension_invalid', 'subjectDirectoryAttributes (2.5.29.9) is marked critical, which RFC 5280 §4.2.1.8 forbids');
}
