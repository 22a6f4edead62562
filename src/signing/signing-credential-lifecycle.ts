import type { Db } from '../db/current.ts';
import { PortalError } from '../errors/portal-error.ts';
import { x509 } from '../pki/x509.ts';
import type { KeyStores } from './key-store-factory.ts';
import { KeyStoreError } from './key-store.ts';

/**
 * The second certificate's lifecycle (seed 002: one escrowed key per person; the expert meeting
 * lists 暗号鍵のライフサイクル・失効・廃棄 among what key custody must settle):
 *
 *   pending-certificate → active → revoked → destroyed
 *                           └──── renewed: retired (key destroyed, certificate kept)
 *
 * - revoke: signing with the credential stops at once (signHash checks the status on every call)
 *   and its live authorisations end. Final: a revoked credential is never active again.
 * - destroy: every escrowed key of the practitioner is deleted from its store (the PKCS#11 objects,
 *   or the sealed blob's row); the certificates stay to verify earlier signatures.
 * - renew: a new key (a row of its own, not current yet); attaching its certificate retires the
 *   credential it renews and destroys that key.
 */
export type SigningCredentialStatus = 'pending-certificate' | 'active' | 'revoked' | 'destroyed' | 'retired';

type Tx = Parameters<Parameters<Db['$transaction']>[0]>[0];
type Credential = NonNullable<Awaited<ReturnType<Db['signingCredential']['findUnique']>>>;

/** Lets a caller that holds the provider end an authorisation's grant and tokens too. */
export type EndGrant = (grantId: string) => Promise<void>;

async function endAuthorisations(prisma: Db | Tx, credentialIds: string[], now: Date, endGrant?: EndGrant): Promise<number> {
  if (credentialIds.length === 0) return 0;
  const live = await prisma.signingAuthorisation.findMany({ where: { credentialId: { in: credentialIds }, revokedAt: null, expiresAt: { gt: now } }, select: { grantId: true } });
  await prisma.signingAuthorisation.updateMany({ where: { credentialId: { in: credentialIds }, revokedAt: null }, data: { revokedAt: now } });
  if (endGrant) for (const { grantId } of live) await endGrant(grantId);
  return live.length;
}

async function currentCredential(prisma: Db, practitionerId: string): Promise<Credential> {
  const credential = await prisma.signingCredential.findUnique({ where: { practitionerId } });
  if (!credential) throw new PortalError('signing_credential_missing', 404);
  return credential;
}

/** The administrator (or the operator's command) revokes the practitioner's second certificate. */
export async function revokeSigningCredential(prisma: Db, practitionerId: string, options: { now?: Date; endGrant?: EndGrant } = {}) {
  const now = options.now ?? new Date();
  const credential = await currentCredential(prisma, practitionerId);
  // A conditional update: two revocations at once change it once.
  const { count } = await prisma.signingCredential.updateMany({
    where: { id: credential.id, status: { in: ['active', 'pending-certificate'] } },
    data: { status: 'revoked', revokedAt: now },
  });
  const endedAuthorisations = await endAuthorisations(prisma, [credential.id], now, options.endGrant);
  return { credentialId: credential.id, changed: count === 1, endedAuthorisations };
}

/**
 * Deletes every escrowed key of the practitioner that still exists (the current one, a pending
 * renewal, a retired one whose deletion failed earlier). The credentials are marked revoked first,
 * so nothing signs while the keys go; a key the store no longer has counts as deleted.
 */
export async function destroySigningKeys(prisma: Db, keyStores: KeyStores, practitionerId: string, options: { now?: Date; endGrant?: EndGrant } = {}) {
  const now = options.now ?? new Date();
  const keys = await prisma.signingCredential.findMany({ where: { ownerId: practitionerId, keyDestroyedAt: null }, orderBy: { createdAt: 'asc' } });
  if (keys.length === 0) throw new PortalError('signing_credential_missing', 404, 'no escrowed key is left');
  const usable = keys.filter((k) => k.status === 'active' || k.status === 'pending-certificate').map((k) => k.id);
  await prisma.signingCredential.updateMany({ where: { id: { in: usable } }, data: { status: 'revoked', revokedAt: now } });
  const endedAuthorisations = await endAuthorisations(prisma, keys.map((k) => k.id), now, options.endGrant);
  const destroyed: string[] = [];
  for (const key of keys) {
    await deleteFromStore(keyStores, key);
    await prisma.signingCredential.update({
      where: { id: key.id },
      data: key.status === 'retired' ? { keyDestroyedAt: now } : { status: 'destroyed', keyDestroyedAt: now, practitionerId: null, revokedAt: key.revokedAt ?? now },
    });
    destroyed.push(key.id);
  }
  return { destroyed, endedAuthorisations };
}

async function deleteFromStore(keyStores: KeyStores, key: { keyStore: string; keyRef: string }) {
  try {
    await keyStores.keyStoreFor(key.keyStore).deleteKey(key.keyRef);
  } catch (error) {
    // Already gone from the store: what destroying wants. Anything else (token away) stops here.
    if (error instanceof KeyStoreError && error.code === 'signing_key_not_found') return;
    if (error instanceof KeyStoreError) throw new PortalError(error.code, error.code === 'key_store_unavailable' ? 503 : 500, error.detail);
    throw error;
  }
}

/**
 * Renewal, step 2 (inside attachSigningCertificate's transaction): the replaced credential stops
 * being current and keeps its certificate; its live authorisations end (a consent named that
 * certificate — the practitioner consents again to the new one).
 */
export async function retireReplacedCredential(tx: Tx, credentialId: string, now: Date): Promise<Credential | null> {
  const replaced = await tx.signingCredential.findUnique({ where: { id: credentialId } });
  if (!replaced || replaced.retiredAt) return null;
  const retired = await tx.signingCredential.update({
    where: { id: credentialId },
    // An active credential becomes retired; a revoked or destroyed one keeps saying so.
    data: { status: replaced.status === 'active' ? 'retired' : replaced.status, retiredAt: now, practitionerId: null },
  });
  await endAuthorisations(tx, [credentialId], now);
  return retired;
}

/** Deletes a retired credential's key; a failure leaves keyDestroyedAt empty for `destroy` to finish. */
export async function destroyRetiredKey(prisma: Db, keyStores: KeyStores, credential: Credential, now = new Date()): Promise<boolean> {
  if (credential.keyDestroyedAt) return true;
  try {
    await deleteFromStore(keyStores, credential);
  } catch {
    return false;
  }
  await prisma.signingCredential.update({ where: { id: credential.id }, data: { keyDestroyedAt: now } });
  return true;
}

/** Every credential of the practitioner, newest first, for the console and the commands: no key material. */
export async function listSigningCredentials(prisma: Db, practitionerId: string) {
  const rows = await prisma.signingCredential.findMany({ where: { ownerId: practitionerId }, orderBy: { createdAt: 'desc' } });
  return rows.map((row) => {
    const certificate = row.certificate ? new x509.X509Certificate(new Uint8Array(row.certificate)) : null;
    return {
      id: row.id,
      status: row.status as SigningCredentialStatus,
      current: row.practitionerId !== null,
      renews: row.renewsId,
      keyStore: row.keyStore,
      keyAlgorithm: row.keyAlgorithm,
      keyDestroyedAt: row.keyDestroyedAt?.toISOString() ?? null,
      revokedAt: row.revokedAt?.toISOString() ?? null,
      retiredAt: row.retiredAt?.toISOString() ?? null,
      createdAt: row.createdAt.toISOString(),
      publicKeyPem: x509.PemConverter.encode(new Uint8Array(row.publicKeySpki).buffer as ArrayBuffer, 'PUBLIC KEY'),
      certificate: certificate && {
        subject: certificate.subject,
        issuer: certificate.issuer,
        serialNumber: certificate.serialNumber,
        notBefore: certificate.notBefore.toISOString(),
        notAfter: certificate.notAfter.toISOString(),
      },
    };
  });
}
