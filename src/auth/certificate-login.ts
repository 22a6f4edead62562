import type { Db } from '../db/current.ts';
import { PortalError } from '../errors/portal-error.ts';
import { validateCertificate } from '../pki/validation/validate-certificate.ts';
import { crlRevocationChecker } from '../pki/revocation/crl-revocation-checker.ts';
import { ocspRevocationChecker } from '../pki/revocation/ocsp-revocation-checker.ts';
import { certificateFingerprint } from '../pki/fingerprint.ts';
import { acceptedHcRoles } from '../pki/hcrole/schemes.ts';
import type { TrustStoreCache } from '../pki/trust/trust-store-cache.ts';
import { parseStoredHcRoles, type StoredHcRole } from '../practitioners/practitioner.ts';
import { crlDistributionUrls } from '../pki/revocation/crl-distribution-points.ts';
import { useKnownCertificate } from '../practitioners/certificate-use.ts';
import { driverOf } from '../db/driver-of.ts';
import { ACR } from './assurance.ts';
import type { Assurance, AuthResult } from './login-method.ts';

/** What an HPKI card or certificate login proves: smart card, PIN, hardware key; the highest level. */
export const HPKI_CERTIFICATE_ASSURANCE: Assurance = { amr: ['sc', 'pin', 'hwk'], acr: ACR.hpki };

export interface CertificateLoginDependencies {
  prisma: Db;
  trust: TrustStoreCache;
  /** Enrol a practitioner from an unknown but valid HPKI certificate (a setting; on in the demo). */
  autoEnrol: boolean;
  /** Ask the OCSP responder a certificate names before its CRL (the CRL decides when OCSP cannot). */
  ocsp: boolean;
  /** The outbound fetch for OCSP requests (src/net/outbound-fetch.ts); a strict one when absent. */
  fetch?: typeof fetch;
}

/** Codes that mean the input itself was broken, as opposed to a certificate that is refused. */
const MALFORMED = new Set(['certificate_malformed', 'certificate_too_large']);

/**
 * The shared second half of every HPKI certificate login (card through the extension, TLS client
 * certificate): validate the certificate for authentication, then find — or enrol — its holder.
 * The certificate's hcRoles become this login's qualification claims.
 */
export async function authenticateHpkiCertificate(
  deps: CertificateLoginDependencies,
  der: Uint8Array,
  method: string,
): Promise<AuthResult> {
  const trustStore = await deps.trust.get('hpki');
  if (!trustStore) throw new PortalError('trust_store_unavailable', 503);
  const crl = crlRevocationChecker(trustStore);
  const result = await validateCertificate(der, {
    trustStore,
    profile: 'hpki-auth',
    revocationCheckers: deps.ocsp ? [ocspRevocationChecker({ fetch: deps.fetch }), crl] : [crl],
  });
  if (!result.ok) throw new PortalError(result.code, MALFORMED.has(result.code) ? 400 : 401, result.detail);

  const fingerprint = certificateFingerprint(result.certificate);
  // Validation refuses a role under any other coding scheme (hcrole_scheme_unknown); the filter keeps that true here.
  const hcRoles: StoredHcRole[] = acceptedHcRoles(result.hcRoles).map((r) => ({ role: r.role, codingScheme: r.codingScheme }));
  const { prisma } = deps;
  // The usual login: a known certificate, its holder not locked, whose roles the record already has — one statement.
  const holder = await useKnownCertificate(driverOf(prisma), fingerprint, new Date());
  const practitionerId = holder && !addsRoles(parseStoredHcRoles(holder.hcRoles), hcRoles) ? holder.practitionerId : await recordCertificateHolder(prisma, result, fingerprint, hcRoles, deps.autoEnrol);
  return {
    practitionerId,
    method,
    amr: [...HPKI_CERTIFICATE_ASSURANCE.amr],
    acr: HPKI_CERTIFICATE_ASSURANCE.acr,
    hcRoles,
    certificate: {
      issuer: result.issuer,
      serialNumber: result.serialNumber,
      notBefore: result.notBefore.toISOString(),
      notAfter: result.notAfter.toISOString(),
    },
  };
}

/**
 * The other logins: a renewed card (same CA, same subject serialNumber, new certificate), a
 * certificate that proves a role the record lacks, an unknown holder (enrolled when the setting
 * allows), or a locked one (refused). Returns the holder's id once the certificate and roles are stored.
 */
async function recordCertificateHolder(prisma: Db, result: Validated, fingerprint: string, hcRoles: StoredHcRole[], autoEnrol: boolean): Promise<string> {
  const known = await prisma.practitionerCertificate.findUnique({ where: { fingerprint }, include: { practitioner: true } });
  let practitioner = known?.practitioner;
  if (!practitioner && result.subject.serialNumber) {
    const previous = await prisma.practitionerCertificate.findFirst({
      where: { issuer: result.issuer, subjectSerialNumber: result.subject.serialNumber },
      include: { practitioner: true },
    });
    practitioner = previous?.practitioner;
  }
  if (!practitioner) {
    if (!autoEnrol) throw new PortalError('certificate_not_enrolled', 403);
    practitioner = await enrolFromCertificate(prisma, result);
  }
  if (practitioner.lockedAt) throw new PortalError('practitioner_locked', 403);

  const certificateRow = {
    practitionerId: practitioner.id,
    kind: 'authentication',
    issuer: result.issuer,
    serialNumber: result.serialNumber,
    subjectSerialNumber: result.subject.serialNumber ?? null,
    hcRoles,
    crlUrls: crlDistributionUrls(result.certificate),
    notBefore: result.notBefore,
    notAfter: result.notAfter,
    lastUsedAt: new Date(),
  };
  const mergedRoles = mergeRoles(parseStoredHcRoles(practitioner.hcRoles), hcRoles);
  await retryOnUniqueConflict(() =>
    prisma.$transaction([
      prisma.practitionerCertificate.upsert({ where: { fingerprint }, create: { fingerprint, ...certificateRow }, update: { lastUsedAt: new Date(), hcRoles } }),
      // The record keeps every qualification an HPKI certificate has proven (one role per card, JAHIS).
      prisma.practitioner.update({ where: { id: practitioner.id }, data: { hcRoles: mergedRoles } }),
    ]),
  );
  return practitioner.id;
}

/** Whether the certificate proves a qualification the record does not have yet. */
function addsRoles(stored: StoredHcRole[], proven: StoredHcRole[]): boolean {
  return mergeRoles(stored, proven).length !== acceptedHcRoles(stored).length;
}

/** The record's qualifications and the certificate's, as (scheme, value) pairs under an accepted scheme. */
function mergeRoles(existing: StoredHcRole[], proven: StoredHcRole[]): StoredHcRole[] {
  const key = (r: StoredHcRole) => `${r.codingScheme}|${r.role}`;
  const merged = new Map(acceptedHcRoles(existing).map((r) => [key(r), r]));
  for (const r of proven) merged.set(key(r), r);
  return [...merged.values()];
}

type Validated = Extract<Awaited<ReturnType<typeof validateCertificate>>, { ok: true }>;

/**
 * Prisma's upsert is a read then a write: two first logins with the same new card at once can both
 * try the insert. The loser's unique violation (P2002) means the row now exists: do it again.
 */
async function retryOnUniqueConflict<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if ((error as { code?: string }).code !== 'P2002') throw error;
    return operation();
  }
}

/** A practitioner made from the certificate's subject: romanised CN, kanji from subjectAltName. */
async function enrolFromCertificate(prisma: Db, cert: Validated) {
  return retryOnUniqueConflict(() => createFromCertificate(prisma, cert));
}

async function createFromCertificate(prisma: Db, cert: Validated) {
  const cn = cert.subject.commonName ?? cert.subject.serialNumber ?? 'Unknown';
  const [given, ...rest] = cn.split(/\s+/);
  const family = rest.length ? rest.join(' ') : given!;
  const registrationNumber = `hpki:${cert.subject.serialNumber ?? cert.serialNumber}`;
  return prisma.practitioner.upsert({
    where: { registrationNumber },
    create: {
      registrationNumber,
      givenName: rest.length ? given! : '',
      familyName: family,
      familyNameKanji: cert.subject.kanji?.familyName ?? null,
      givenNameKanji: cert.subject.kanji?.givenName ?? null,
      facility: cert.subject.organization ?? null,
    },
    update: {},
  });
}
