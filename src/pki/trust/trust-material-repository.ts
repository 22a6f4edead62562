import crypto from 'node:crypto';
import type { Db } from '../../db/current.ts';
import { PkiError } from '../errors.ts';
import { certificateFingerprint } from '../fingerprint.ts';
import { CrlIndex, decodeCrlInput } from '../revocation/CrlIndex.ts';
import { x509 } from '../x509.ts';
import { createTrustStore, type TrustStore } from './TrustStore.ts';

/** Which family of certificates a trust anchor serves: HPKI (qualification) or JPKI (My Number Card). */
export type TrustScheme = 'hpki' | 'jpki';
export type TrustRole = 'anchor' | 'intermediate';

function decodeCertificates(input: Uint8Array | string): x509.X509Certificate[] {
  try {
    const text = typeof input === 'string' ? input : Buffer.from(input).toString('latin1');
    if (text.includes('-----BEGIN')) return x509.PemConverter.decode(text).map((der) => new x509.X509Certificate(der));
    const der = typeof input === 'string' ? Buffer.from(input, 'latin1') : input;
    return [new x509.X509Certificate(new Uint8Array(der))];
  } catch (cause) {
    throw new PkiError('certificate_malformed', 'not a DER or PEM certificate', { cause });
  }
}

/**
 * Stores trust anchors or issuing CAs (PEM bundle or DER). A public CA is never trusted
 * implicitly: only what is imported here validates logins. An anchor must be a CA certificate.
 */
export async function importTrustCertificates(prisma: Db, scheme: TrustScheme, role: TrustRole, input: Uint8Array | string) {
  const imported: { fingerprint: string; subject: string }[] = [];
  for (const certificate of decodeCertificates(input)) {
    const basic = certificate.getExtension(x509.BasicConstraintsExtension);
    if (!basic?.ca) throw new PkiError('certificate_chain_invalid', `${certificate.subject} is not a CA certificate`);
    const fingerprint = certificateFingerprint(certificate);
    await prisma.trustCertificate.upsert({
      where: { fingerprint },
      create: { fingerprint, scheme, role, subject: certificate.subject, der: Buffer.from(certificate.rawData), notAfter: certificate.notAfter },
      update: { scheme, role },
    });
    imported.push({ fingerprint, subject: certificate.subject });
  }
  return imported;
}

/** Verifies a CRL against the stored CAs of its scheme and keeps it (duplicates are ignored). */
export async function importCrl(prisma: Db, scheme: TrustScheme, input: Uint8Array | string, source: string) {
  const cas = (await prisma.trustCertificate.findMany({ where: { scheme } })).map((r) => new x509.X509Certificate(new Uint8Array(r.der)));
  const index = await CrlIndex.load(input, cas);
  // PEM text is decoded, not parsed a second time: a whole-CRL parse of a large CRL takes a minute.
  const der = typeof input === 'string' ? await decodeCrlInput(input) : input;
  const sha256 = crypto.createHash('sha256').update(der).digest('hex');
  const issuer = certificateFingerprint(index.issuer);
  await prisma.revocationList.upsert({
    where: { sha256 },
    create: {
      scheme,
      issuer,
      der: Buffer.from(der),
      sha256,
      thisUpdate: index.thisUpdate,
      nextUpdate: index.nextUpdate,
      entries: index.size,
      source,
    },
    update: {},
  });
  // Older CRLs of the same CA are superseded: keep only the newest two for the record.
  const older = await prisma.revocationList.findMany({ where: { issuer }, orderBy: { thisUpdate: 'desc' }, skip: 2, select: { id: true } });
  if (older.length) await prisma.revocationList.deleteMany({ where: { id: { in: older.map((o) => o.id) } } });
  return { issuer: index.issuer.subject, thisUpdate: index.thisUpdate, nextUpdate: index.nextUpdate, entries: index.size };
}

/** The trust store for one scheme as stored now: anchors, intermediates and the newest CRL per CA. */
export async function loadTrustStore(prisma: Db, scheme: TrustScheme): Promise<TrustStore | null> {
  const certificates = await prisma.trustCertificate.findMany({ where: { scheme } });
  if (!certificates.some((c) => c.role === 'anchor')) return null;
  const crls = await prisma.revocationList.findMany({ where: { scheme }, orderBy: { thisUpdate: 'desc' } });
  const newest = new Map<string, Uint8Array>();
  for (const crl of crls) if (!newest.has(crl.issuer)) newest.set(crl.issuer, new Uint8Array(crl.der));
  return createTrustStore({
    anchors: certificates.filter((c) => c.role === 'anchor').map((c) => new Uint8Array(c.der)),
    intermediates: certificates.filter((c) => c.role === 'intermediate').map((c) => new Uint8Array(c.der)),
    crls: [...newest.values()],
  });
}
