import crypto from 'node:crypto';
import type { Db } from '../../db/current.ts';
import { certificateRules, type CertificateRules } from '../certificate-rules.ts';
import { PkiError } from '../errors.ts';
import { certificateFingerprint } from '../fingerprint.ts';
import { CrlIndex, decodeCrlInput } from '../revocation/crl-index.ts';
import { crlOrderProblem, isNewerCrl, type CrlOrderFacts } from '../revocation/crl-order.ts';
import { readCrlNumber } from '../revocation/read-crl.ts';
import { validateKeyStrength } from '../validation/validate-key-strength.ts';
import { validateNameCharacters } from '../validation/validate-name-characters.ts';
import { validateSignatureAlgorithms } from '../validation/validate-signature-algorithms.ts';
import { validateCertificateVersion } from '../validation/validate-version.ts';
import { x509 } from '../x509.ts';
import { createTrustStore, type TrustStore } from './trust-store.ts';

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

/** One call's trust material: certificates and CRLs that are stored together or not at all. */
export interface TrustMaterialBatch {
  scheme: TrustScheme;
  anchors?: ReadonlyArray<Uint8Array | string>;
  intermediates?: ReadonlyArray<Uint8Array | string>;
  /** `source` is recorded with the CRL (file name, URL, `upload`). */
  crls?: ReadonlyArray<{ input: Uint8Array | string; source: string }>;
}

export interface ImportedTrustCertificate {
  role: TrustRole;
  fingerprint: string;
  subject: string;
}

export interface ImportedCrl {
  source: string;
  issuer: string;
  thisUpdate: Date;
  nextUpdate: Date;
  entries: number;
  crlNumber: bigint | undefined;
  /** The same CRL was already stored: nothing new was written for it. */
  duplicate: boolean;
}

export interface TrustImportOptions {
  /** The installation's minimum RSA size for CA keys (CERTIFICATE_MIN_RSA_BITS); 2048 by default. */
  minRsaBits?: number;
}

/**
 * The checks a trust anchor or issuing CA passes before it is stored: a CA certificate
 * (basicConstraints cA), v3 with its extensions, the same signature algorithm inside and out, a
 * strong enough key (RSA ≥ 2048 or the configured minimum, P-256/384/521), names without control
 * characters. A public CA is never trusted implicitly: only what is imported validates logins.
 */
function checkCaCertificate(certificate: x509.X509Certificate, rules: CertificateRules): void {
  const label = `"${certificate.subject}"`;
  const basic = certificate.getExtension(x509.BasicConstraintsExtension);
  if (!basic?.ca) throw new PkiError('certificate_chain_invalid', `${certificate.subject} is not a CA certificate`);
  validateCertificateVersion(certificate, label);
  validateSignatureAlgorithms(certificate, label);
  validateKeyStrength(certificate, rules.minRsaBits, label);
  validateNameCharacters(certificate);
}

/**
 * Stores one call's trust anchors, issuing CAs and CRLs all or nothing: everything is decoded and
 * checked first — each CRL against the stored CAs of the scheme and those of this call, and
 * against the CRL held for its CA (a lower cRLNumber is refused with `crl_number_out_of_order`,
 * even when dated later) — then written in one transaction. Throws PkiError before writing anything.
 */
export async function importTrustMaterial(prisma: Db, batch: TrustMaterialBatch, options: TrustImportOptions = {}) {
  const rules = certificateRules({ minRsaBits: options.minRsaBits });
  const { scheme } = batch;

  const certificates: Array<ImportedTrustCertificate & { certificate: x509.X509Certificate }> = [];
  for (const [role, inputs] of [['anchor', batch.anchors ?? []], ['intermediate', batch.intermediates ?? []]] as const) {
    for (const input of inputs) {
      for (const certificate of decodeCertificates(input)) {
        checkCaCertificate(certificate, rules);
        certificates.push({ role, fingerprint: certificateFingerprint(certificate), subject: certificate.subject, certificate });
      }
    }
  }

  const crlInputs = batch.crls ?? [];
  const prepared: Array<{ index: CrlIndex; der: Uint8Array; sha256: string; issuer: string; source: string; duplicate: boolean }> = [];
  if (crlInputs.length > 0) {
    const stored = (await prisma.trustCertificate.findMany({ where: { scheme }, select: { der: true } })).map((r) => new x509.X509Certificate(new Uint8Array(r.der)));
    const candidates = [...stored, ...certificates.map((c) => c.certificate)];
    /** The CRL in force per issuing CA: the stored newest, then what this call adds. */
    const held = new Map<string, CrlOrderFacts>();
    for (const { input, source } of crlInputs) {
      const index = await CrlIndex.load(input, candidates);
      // PEM (text, or bytes from a file) is decoded, not parsed a second time: a whole-CRL parse of a
      // large CRL takes a minute. What is stored and hashed is always the DER.
      const der = await decodeCrlInput(input);
      const sha256 = crypto.createHash('sha256').update(der).digest('hex');
      const issuer = certificateFingerprint(index.issuer);
      if (!held.has(issuer)) {
        const newest = await newestStoredCrl(prisma, issuer);
        if (newest) held.set(issuer, newest);
      }
      const facts: CrlOrderFacts = { crlNumber: index.crlNumber, thisUpdate: index.thisUpdate, sha256 };
      const current = held.get(issuer);
      const problem = current && crlOrderProblem(facts, current);
      if (problem) throw new PkiError('crl_number_out_of_order', `CRL of "${index.issuer.subject}" from ${source}: ${problem}`);
      const duplicate = current?.sha256 === sha256 || prepared.some((p) => p.sha256 === sha256) || (await prisma.revocationList.count({ where: { sha256 } })) > 0;
      if (!current || isNewerCrl(facts, current)) held.set(issuer, facts);
      prepared.push({ index, der, sha256, issuer, source, duplicate });
    }
  }

  await prisma.$transaction(async (tx) => {
    for (const c of certificates) {
      await tx.trustCertificate.upsert({
        where: { fingerprint: c.fingerprint },
        create: { fingerprint: c.fingerprint, scheme, role: c.role, subject: c.subject, der: Buffer.from(c.certificate.rawData), notAfter: c.certificate.notAfter },
        update: { scheme, role: c.role },
      });
    }
    for (const crl of prepared) {
      if (crl.duplicate) continue;
      await tx.revocationList.upsert({
        where: { sha256: crl.sha256 },
        create: {
          scheme,
          issuer: crl.issuer,
          der: Buffer.from(crl.der),
          sha256: crl.sha256,
          thisUpdate: crl.index.thisUpdate,
          nextUpdate: crl.index.nextUpdate,
          entries: crl.index.size,
          source: crl.source,
        },
        update: {},
      });
      // Older CRLs of the same CA are superseded: keep only the newest two for the record.
      const older = await tx.revocationList.findMany({ where: { issuer: crl.issuer }, orderBy: { thisUpdate: 'desc' }, skip: 2, select: { id: true } });
      if (older.length) await tx.revocationList.deleteMany({ where: { id: { in: older.map((o) => o.id) } } });
    }
  });

  return {
    certificates: certificates.map(({ role, fingerprint, subject }) => ({ role, fingerprint, subject })),
    crls: prepared.map(
      (c): ImportedCrl => ({
        source: c.source,
        issuer: c.index.issuer.subject,
        thisUpdate: c.index.thisUpdate,
        nextUpdate: c.index.nextUpdate,
        entries: c.index.size,
        crlNumber: c.index.crlNumber,
        duplicate: c.duplicate,
      }),
    ),
  };
}

/** The stored CRL in force for a CA (fingerprint): highest cRLNumber, else latest thisUpdate. */
async function newestStoredCrl(prisma: Db, issuer: string): Promise<CrlOrderFacts | undefined> {
  const rows = await prisma.revocationList.findMany({ where: { issuer }, select: { der: true, thisUpdate: true } });
  let newest: CrlOrderFacts | undefined;
  for (const row of rows) {
    // Hashed as DER: rows stored before imports decoded PEM given as bytes hold the PEM.
    const der = await decodeCrlInput(new Uint8Array(row.der));
    const facts: CrlOrderFacts = { crlNumber: readCrlNumber(der), thisUpdate: row.thisUpdate, sha256: crypto.createHash('sha256').update(der).digest('hex') };
    if (!newest || isNewerCrl(facts, newest)) newest = facts;
  }
  return newest;
}

/**
 * Stores trust anchors or issuing CAs (PEM bundle or DER), all or none. An anchor must be a CA
 * certificate; see importTrustMaterial for every check.
 */
export async function importTrustCertificates(prisma: Db, scheme: TrustScheme, role: TrustRole, input: Uint8Array | string, options: TrustImportOptions = {}) {
  const result = await importTrustMaterial(prisma, { scheme, ...(role === 'anchor' ? { anchors: [input] } : { intermediates: [input] }) }, options);
  return result.certificates.map(({ fingerprint, subject }) => ({ fingerprint, subject }));
}

/** Verifies a CRL against the stored CAs of its scheme and keeps it (duplicates are ignored; older cRLNumbers refused). */
export async function importCrl(prisma: Db, scheme: TrustScheme, input: Uint8Array | string, source: string, options: TrustImportOptions = {}) {
  const { crls } = await importTrustMaterial(prisma, { scheme, crls: [{ input, source }] }, options);
  const crl = crls[0]!;
  return { issuer: crl.issuer, thisUpdate: crl.thisUpdate, nextUpdate: crl.nextUpdate, entries: crl.entries, crlNumber: crl.crlNumber, duplicate: crl.duplicate };
}

/**
 * The trust store for one scheme as stored now: anchors, intermediates and, per CA, the CRL in
 * force (highest cRLNumber, else latest thisUpdate), with the installation's certificate rules.
 */
export async function loadTrustStore(prisma: Db, scheme: TrustScheme, rules?: Partial<CertificateRules>): Promise<TrustStore | null> {
  const certificates = await prisma.trustCertificate.findMany({ where: { scheme } });
  if (!certificates.some((c) => c.role === 'anchor')) return null;
  const crls = await prisma.revocationList.findMany({ where: { scheme }, orderBy: { thisUpdate: 'desc' } });
  const newest = new Map<string, { facts: CrlOrderFacts; der: Uint8Array }>();
  for (const crl of crls) {
    const der = new Uint8Array(crl.der);
    const facts: CrlOrderFacts = { crlNumber: readCrlNumber(der), thisUpdate: crl.thisUpdate };
    const current = newest.get(crl.issuer);
    if (!current || isNewerCrl(facts, current.facts)) newest.set(crl.issuer, { facts, der });
  }
  return createTrustStore({
    anchors: certificates.filter((c) => c.role === 'anchor').map((c) => new Uint8Array(c.der)),
    intermediates: certificates.filter((c) => c.role === 'intermediate').map((c) => new Uint8Array(c.der)),
    crls: [...newest.values()].map((n) => n.der),
    rules,
  });
}
