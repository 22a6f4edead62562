import crypto from 'node:crypto';
import type { Db } from '../db/current.ts';
import { PortalError } from '../errors/portal-error.ts';
import { x509 } from '../pki/x509.ts';
import { OID, isUnderArc } from '../pki/oids.ts';
import type { KeyStore, SigningKeyAlgorithm } from './key-store.ts';

/**
 * The second certificate's key (seed 002: one escrowed key per person): generated inside the key
 * store; the portal keeps a reference, the public key and, once issued, the certificate.
 */
export async function createSigningKey(prisma: Db, store: KeyStore, practitionerId: string, algorithm: SigningKeyAlgorithm = 'RSA-2048') {
  const existing = await prisma.signingCredential.findUnique({ where: { practitionerId } });
  if (existing) throw new PortalError('invalid_request', 409, 'the practitioner already has a signing key');
  const { keyRef, publicKeySpki } = await store.generateKeyPair(`hpki-second:${practitionerId}`, algorithm);
  return prisma.signingCredential.create({
    data: {
      id: `hpki2-${crypto.randomBytes(12).toString('base64url')}`,
      practitionerId,
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
 * valid now. The chain (issuing CA upwards) is kept to return with signatures.
 */
export async function attachSigningCertificate(prisma: Db, credentialId: string, certificateDer: Uint8Array, chainDer: Uint8Array[] = [], now = new Date()) {
  const credential = await prisma.signingCredential.findUnique({ where: { id: credentialId } });
  if (!credential) throw new PortalError('not_found', 404);
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
  return prisma.signingCredential.update({
    where: { id: credentialId },
    data: { certificate: Buffer.from(certificateDer), chain: chainDer.map((c) => Buffer.from(c)), status: 'active' },
  });
}
