import { PkiError } from '../errors.ts';
import type { x509 } from '../x509.ts';
import { certificateTbsLayout } from './tbs-layout.ts';

const VERSION_NAMES = ['v1', 'v2', 'v3'];

/**
 * RFC 5280 §4.1.2.1/§4.1.2.9: extensions appear only in v3 certificates, unique identifiers only in
 * v2 or v3. A v1 or v2 certificate carrying extensions (or an unknown version) is not the profile
 * anything here was checked against → `certificate_version_invalid`. `label` names the certificate
 * in the detail (the leaf, or a CA of the chain).
 */
export function validateCertificateVersion(certificate: x509.X509Certificate, label = 'the certificate'): void {
  const layout = certificateTbsLayout(certificate, label);
  const name = VERSION_NAMES[layout.version];
  if (!name) throw new PkiError('certificate_version_invalid', `${label} has version value ${layout.version}, which X.509 does not define`);
  if (layout.hasExtensions && layout.version !== 2) throw new PkiError('certificate_version_invalid', `${label} is ${name} but carries extensions (only v3 may)`);
  if (layout.hasUniqueIdentifiers && layout.version === 0) throw new PkiError('certificate_version_invalid', `${label} is v1 but carries unique identifiers`);
}
