import type { Db } from '../db/current.ts';
import { crlRevocationChecker } from '../pki/revocation/crl-revocation-checker.ts';
import type { TrustStore } from '../pki/trust/trust-store.ts';
import { validateCertificate } from '../pki/validation/validate-certificate.ts';
import { acceptedHcRoles } from '../pki/hcrole/schemes.ts';
import { parseStoredHcRoles, type StoredHcRole } from '../practitioners/practitioner.ts';
import { recordPractitionerCertificate } from '../practitioners/practitioner-certificates.ts';
import { PortalError } from '../errors/portal-error.ts';
import { AdminError } from './admin-error.ts';
import { pemToDer } from './decode-upload.ts';

export interface CertificateImportOptions {
  /** When the SSO center knows it: the practitioner's registration number (else `hpki:<HPKI ID>`). */
  registrationNumber?: string;
  /** YYYY-MM-DD, the registration password; needed before a registration QR can be issued. */
  birthDate?: string;
}

/**
 * Enrols (or updates) a practitioner from their HPKI authentication certificate: the certificate
 * must validate against the configured HPKI anchors and CRLs like a login would; names come from
 * the subject (romanised CN, kanji from the subjectAltName), qualifications from hcRole, and the
 * certificate is recorded so a login with it, or a renewal, resolves to this practitioner.
 */
export async function importPractitionerCertificate(prisma: Db, trustStore: TrustStore | null, file: Uint8Array, options: CertificateImportOptions = {}) {
  if (!trustStore) throw new PortalError('trust_store_unavailable', 503);
  const der = pemToDer(file, 'CERTIFICATE');
  const result = await validateCertificate(der, { trustStore, profile: 'hpki-auth', revocationCheckers: [crlRevocationChecker(trustStore)] });
  if (!result.ok) throw new AdminError('admin_certificate_invalid', 400, { detail: `${result.code}: ${result.detail}` }, { certificateError: result.code });
  // Validation refuses a role under any other coding scheme (hcrole_scheme_unknown); the filter keeps that true here.
  const hcRoles: StoredHcRole[] = acceptedHcRoles(result.hcRoles).map((r) => ({ role: r.role, codingScheme: r.codingScheme }));

  const byCertificate = await prisma.practitionerCertificate.findFirst({
    where: { OR: [{ issuer: result.issuer, serialNumber: result.serialNumber }, ...(result.subject.serialNumber ? [{ issuer: result.issuer, subjectSerialNumber: result.subject.serialNumber }] : [])] },
    include: { practitioner: true },
  });
  const registrationNumber = options.registrationNumber?.trim() || `hpki:${result.subject.serialNumber ?? result.serialNumber}`;
  const byNumber = await prisma.practitioner.findUnique({ where: { registrationNumber } });
  if (byCertificate && byNumber && byCertificate.practitionerId !== byNumber.id) {
    throw new AdminError('admin_certificate_invalid', 409, { detail: `certificate belongs to ${byCertificate.practitioner.registrationNumber}` }, { certificateError: 'certificate_other_holder' });
  }
  const existing = byCertificate?.practitioner ?? byNumber;
  const cn = result.subject.commonName ?? result.subject.serialNumber ?? 'Unknown';
  const [given, ...rest] = cn.split(/\s+/);
  const names = {
    givenName: rest.length ? given! : '',
    familyName: rest.length ? rest.join(' ') : given!,
    familyNameKanji: result.subject.kanji?.familyName ?? null,
    givenNameKanji: result.subject.kanji?.givenName ?? null,
  };
  const birthDate = options.birthDate || undefined;
  const merged = mergeRoles(parseStoredHcRoles(existing?.hcRoles), hcRoles);
  const practitioner = existing
    ? await prisma.practitioner.update({ where: { id: existing.id }, data: { hcRoles: merged, ...(birthDate ? { birthDate } : {}), facility: existing.facility ?? result.subject.organization ?? null } })
    : await prisma.practitioner.create({ data: { registrationNumber, ...names, birthDate: birthDate ?? null, facility: result.subject.organization ?? null, hcRoles: merged } });
  const { fingerprint } = await recordPractitionerCertificate(prisma, practitioner.id, der, 'authentication');
  return {
    created: !existing,
    practitioner: { id: practitioner.id, registrationNumber: practitioner.registrationNumber, name: `${practitioner.givenName} ${practitioner.familyName}`.trim() },
    hcRoles: hcRoles.map((r) => r.role),
    fingerprint,
  };
}

function mergeRoles(existing: StoredHcRole[], proven: StoredHcRole[]): StoredHcRole[] {
  const key = (r: StoredHcRole) => `${r.codingScheme}|${r.role}`;
  return [...new Map(acceptedHcRoles([...existing, ...proven]).map((r) => [key(r), r])).values()];
}
