import { z } from 'zod';
import type { Db } from '../db/current.ts';
import { PkiError } from '../pki/errors.ts';
import { importCrl, importTrustCertificates, type TrustImportOptions } from '../pki/trust/trust-material-repository.ts';
import { AdminError } from './admin-error.ts';
import { pemToDer } from './decode-upload.ts';

export const trustUploadKindSchema = z.enum(['anchor', 'intermediate', 'crl']);
export const trustSchemeSchema = z.enum(['hpki', 'jpki']);

/** How soon before a CRL's nextUpdate the console warns (a CRL past it makes logins fail closed). */
export const CRL_WARNING_MS = 24 * 3600 * 1000;
/** How soon before a CA certificate expires the console warns. */
export const CERTIFICATE_WARNING_MS = 30 * 24 * 3600 * 1000;

/**
 * Stores an uploaded trust anchor, issuing CA or CRL (PEM or DER). A CRL must verify against a CA
 * already stored for the scheme, and its cRLNumber may not be lower than the one held for that CA
 * (`crl_number_out_of_order`). The caller invalidates the trust-store cache afterwards.
 */
export async function uploadTrustMaterial(
  prisma: Db,
  scheme: z.infer<typeof trustSchemeSchema>,
  kind: z.infer<typeof trustUploadKindSchema>,
  file: Uint8Array,
  options: TrustImportOptions = {},
) {
  try {
    if (kind === 'crl') {
      const crl = await importCrl(prisma, scheme, pemToDer(file, 'X509 CRL'), 'upload', options);
      return { kind, crl: { issuer: crl.issuer, thisUpdate: crl.thisUpdate, nextUpdate: crl.nextUpdate ?? null, entries: crl.entries } };
    }
    return { kind, certificates: await importTrustCertificates(prisma, scheme, kind, file, options) };
  } catch (error) {
    if (error instanceof PkiError) throw new AdminError('admin_trust_invalid', 400, { detail: `${error.code}: ${error.detail}` }, { pkiError: error.code });
    throw error;
  }
}

export type TrustWarning = 'expired' | 'expires_soon' | 'crl_expired' | 'crl_due' | 'crl_missing';

/** Every stored anchor and CA with its newest CRL, and what needs attention now. */
export async function listTrustMaterial(prisma: Db, now = new Date()) {
  const [certificates, crls] = await Promise.all([
    prisma.trustCertificate.findMany({ orderBy: [{ scheme: 'asc' }, { role: 'asc' }, { subject: 'asc' }] }),
    prisma.revocationList.findMany({ orderBy: { thisUpdate: 'desc' } }),
  ]);
  const newest = new Map<string, (typeof crls)[number]>();
  for (const crl of crls) if (!newest.has(crl.issuer)) newest.set(crl.issuer, crl);
  const t = now.getTime();
  const crlWarning = (next: Date | null): TrustWarning | null =>
    !next ? null : next.getTime() <= t ? 'crl_expired' : next.getTime() - t <= CRL_WARNING_MS ? 'crl_due' : null;
  const certificateRows = certificates.map((c) => {
    const crl = newest.get(c.fingerprint);
    const warnings: TrustWarning[] = [];
    if (c.notAfter.getTime() <= t) warnings.push('expired');
    else if (c.notAfter.getTime() - t <= CERTIFICATE_WARNING_MS) warnings.push('expires_soon');
    const w = crl ? crlWarning(crl.nextUpdate) : 'crl_missing';
    if (w) warnings.push(w);
    return {
      fingerprint: c.fingerprint,
      scheme: c.scheme,
      role: c.role,
      subject: c.subject,
      notAfter: c.notAfter,
      crl: crl ? { thisUpdate: crl.thisUpdate, nextUpdate: crl.nextUpdate, entries: crl.entries, source: crl.source, loadedAt: crl.loadedAt } : null,
      warnings,
    };
  });
  const subjects = new Map(certificates.map((c) => [c.fingerprint, c.subject]));
  const crlRows = [...newest.values()].map((crl) => ({
    id: crl.id,
    scheme: crl.scheme,
    issuer: subjects.get(crl.issuer) ?? crl.issuer,
    thisUpdate: crl.thisUpdate,
    nextUpdate: crl.nextUpdate,
    entries: crl.entries,
    source: crl.source,
    warning: crlWarning(crl.nextUpdate),
  }));
  return { certificates: certificateRows, crls: crlRows };
}
