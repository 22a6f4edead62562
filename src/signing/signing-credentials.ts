import crypto from 'node:crypto';
import type { Db } from '../db/current.ts';
import { PortalError } from '../errors/portal-error.ts';
import { x509 } from '../pki/x509.ts';
import { OID, isUnderArc } from '../pki/oids.ts';
import type { KeyStore, SigningKeyAlgorithm } from './key-store.ts';
import type { KeyStores } from './key-store-factory.ts';
import { destroyRetiredKey, retireReplacedCredential } from './signing-credential-lifecycle.ts';

/**
 * The second certificate's key (seed 002: one escrowed key per person): generated inside the key
 * store; the portal keeps a reference, the public key and, once issued, the certificate. With
 * `renews`, the key of a renewal: not current until its certificate is attached.
 */
export async function createSigningKey(prisma: Db, store: KeyStore, practitionerId: string, algorithm: SigningKeyAlgorithm = 'RSA-2048', renews?: string) {
  if (!renews) {
    const existing = await prisma.signingCredential.findUnique({ where: { practitionerId } });
    if (existing) throw new PortalError('invalid_request', 409, 'the practitioner already has a signing key');
  }
  const { keyRef, publicKeySpki } = await store.generateKeyPair(`hpki-second:${practitionerId}`, algorithm);
  return prisma.signingCredential.create({
    data: {
      id: `hpki2-${crypto.randomBytes(12).toString('base64url')}`,
      practitionerId: renews ? null : practitionerId,
      ownerId: practitionerId,
      renewsId: renews ?? null,
      keyStore: store.kind,
      keyRef,
      keyAlgorithm: algorithm,
      publicKeySpki: Buffer.from(publicKeySpki),
      status: 'pending-certificate',
    },
  });
}

/**
 * Attaches the certificate an HPKI signing CA issued for the key: it must certify exactly this
 * public key, be a signing certificate (policy arc 1.2.392.100495.1.5.1.1, nonRepudiation) and be
 * valid now. The chain (issuing CA upwards) is kept to return with signatures. For a renewal key,
 * the credential it renews is retired in the same transaction (kept to verify its signatures) and,
 * when the key stores are given, its key is destroyed: one escrowed key per person again.
 */
export async function attachSigningCertificate(
  prisma: Db,
  credentialId: string,
  certificateDer: Uint8Array,
  chainDer: Uint8Array[] = [],
  now = new Date(),
  keyStores?: KeyStores,
) {
  const credential = await prisma.signingCredential.findUnique({ where: { id: credentialId } });
  if (!credential) throw new PortalError('not_found', 404);
  if (credential.status !== 'pending-certificate') throw new PortalError('signing_credential_not_pending', 409, `the credential is ${credential.status}`);
  let certificate: x509.X509Certificate;
  try {
    certificate = new x509.X509Certificate(new Uint8Array(certificateDer));
  } catch {
    throw new PortalError('certificate_malformed', 400);
  }
  if (!Buffer.from(certificate.publicKey.rawData).equals(Buffer.from(credential.publicKeySpki))) {
    throw new PortalError('signing_credential_mismatch', 400, 'the certificate is for another key');
  }
  const policies = certificate.getExtension(x509.CertificatePolicyExtension)?.policies ?? [];
  const usage = certificate.getExtension(x509.KeyUsagesExtension)?.usages ?? 0;
  if (!policies.some((p) => isUnderArc(p, OID.hpkiSigningArc)) || !(usage & x509.KeyUsageFlags.nonRepudiation)) {
    throw new PortalError('certificate_policy_invalid', 400, 'not an HPKI signing certificate');
  }
  if (certificate.notBefore > now || certificate.notAfter < now) throw new PortalError('certificate_expired', 400);
  const data = { certificate: Buffer.from(certificateDer), chain: chainDer.map((c) => Buffer.from(c)), status: 'active' };
  if (!credential.renewsId) return prisma.signingCredential.update({ where: { id: credentialId }, data });
  const retired = await prisma.$transaction(async (tx) => {
    const replaced = await retireReplacedCredential(tx, credential.renewsId!, now);
    return { replaced, active: await tx.signingCredential.update({ where: { id: credentialId }, data: { ...data, practitionerId: credential.ownerId } }) };
  });
  if (keyStores && retired.replaced) await destroyRetiredKey(prisma, keyStores, retired.replaced, now);
  return retired.active;
}

/**
 * Renewal, step 1: a new key in the primary store for the certificate the HPKI signing CA will
 * issue. The current credential keeps signing until that certificate is attached. Without a
 * current credential (never enrolled, or its key destroyed) this is a first enrolment.
 */
export async function beginSigningRenewal(prisma: Db, keyStores: KeyStores, practitionerId: string, algorithm: SigningKeyAlgorithm = 'RSA-2048') {
  const current = await prisma.signingCredential.findUnique({ where: { practitionerId } });
  if (!current) return { credential: await createSigningKey(prisma, keyStores.primary, practitionerId, algorithm), renews: null };
  if (!current.certificate) throw new PortalError('signing_credential_pending', 409, 'the current key still waits for its certificate: attach it first');
  const pending = await prisma.signingCredential.findUnique({ where: { renewsId: current.id } });
  // One renewal at a time: asking again shows the key already waiting for its certificate.
  if (pending) return { credential: pending, renews: current.id };
  return { credential: await createSigningKey(prisma, keyStores.primary, practitionerId, algorithm, current.id), renews: current.id };
}

/** The practitioner's key waiting for its certificate (a first enrolment or a renewal), if any. */
export async function pendingSigningKey(prisma: Db, practitionerId: string) {
  return prisma.signingCredential.findFirst({ where: { ownerId: practitionerId, status: 'pending-certificate' }, orderBy: { createdAt: 'desc' } });
}

/** Certificates from a file as the CA delivers them: DER, or PEM with one or more blocks (leaf first). */
export function decodeCertificateFile(bytes: Uint8Array): Uint8Array[] {
  const text = Buffer.from(bytes).toString('latin1');
  if (!text.includes('-----BEGIN')) return [bytes];
  try {
    const blocks = x509.PemConverter.decode(text).map((d) => new Uint8Array(d));
    if (blocks.length) return blocks;
  } catch {
    // reported below
  }
  throw new PortalError('certificate_malformed', 400, 'no certificate in the PEM file');
}
