import crypto from 'node:crypto';
import { z } from 'zod';
import type { Db } from '../../../db/current.ts';
import { PortalError } from '../../../errors/portal-error.ts';
import type { TrustStoreCache } from '../../../pki/trust/trust-store-cache.ts';
import { consumeChallenge, issueChallenge, type ChallengePurpose } from '../../challenges.ts';
import { verifyCardToken } from '../../web-eid-token.ts';
import { validateJpkiCertificate, type JpkiIdentity } from '../../my-number-card-certificate.ts';

export type { JpkiIdentity };

/** Same rules as the HPKI card: ≥ 256-bit nonce, single use, 5 minutes, bound to what it was issued for. */
export const JPKI_CHALLENGE_SECONDS = 300;

export interface JpkiDependencies {
  prisma: Db;
  trust: TrustStoreCache;
  /** Accept the page-made proof that names no origin (the demo's software card; JPKI_UNBOUND_PROOF). */
  allowUnboundProof: boolean;
}

/**
 * The challenge the card signs: the page hashes nothing itself, it sends the card the DigestInfo of
 * `digest` = SHA-256(nonce) (protocol-facts §B2: the card pads a given DigestInfo, PKCS#1 v1.5).
 */
export async function issueJpkiChallenge(deps: JpkiDependencies, purpose: ChallengePurpose, boundTo: string) {
  const nonce = crypto.randomBytes(32).toString('base64url');
  const issued = await issueChallenge(deps.prisma, purpose, boundTo, JPKI_CHALLENGE_SECONDS, nonce);
  const digest = crypto.createHash('sha256').update(nonce).digest('base64');
  return { nonce, digest, expiresAt: issued.expiresAt.toISOString() };
}

const base64 = z.string().regex(/^[A-Za-z0-9+/]+={0,2}$/);

/**
 * Two shapes: the card bridge's token (`web-eid:1.0` object or legacy JWS: the card signed this
 * nonce for this origin), or the page's own PC/SC exchange (`certificate` + `signature` over
 * SHA-256(nonce), no origin in it) — the latter only where {@link JpkiDependencies.allowUnboundProof}.
 */
const proofSchema = z.union([
  z.object({ nonce: z.string().min(43).max(128), token: z.union([z.string().min(1).max(10_000), z.record(z.string(), z.unknown())]) }).strict(),
  z.object({ nonce: z.string().min(43).max(128), certificate: base64.max(22_000), signature: base64.max(1_400) }).strict(),
]);

/**
 * Checks a My Number Card's answer: the nonce is ours and unspent, the card's key signed it — for
 * this origin (the bridge's token) or, where allowed, alone (the page's proof) — and the certificate
 * chains to a configured JPKI anchor under the user-authentication policy and is not revoked.
 */
export async function verifyJpkiProof(
  deps: JpkiDependencies,
  body: unknown,
  purpose: ChallengePurpose,
  boundTo: string,
  origin: string,
): Promise<JpkiIdentity> {
  const parsed = proofSchema.safeParse(body);
  if (!parsed.success) throw new PortalError('jpki_proof_invalid', 400, 'body must be { nonce, token } from the card bridge');
  const proof = parsed.data;
  // Refused before the nonce is spent: a page that cannot bind the origin may not use up the login's challenge.
  if ('signature' in proof && !deps.allowUnboundProof) throw new PortalError('jpki_proof_unbound', 400, 'the proof names no origin');
  const { nonce } = proof;
  // Spent before anything else, so a replayed or foreign nonce never gets further.
  const spent = await consumeChallenge(deps.prisma, purpose, boundTo, nonce);
  if (!spent.ok) throw new PortalError('card_challenge_invalid', 400, spent.reason);

  // The bridge's token proves the key signed this nonce for this origin; the page's proof, the nonce only.
  const der = 'token' in proof ? (await verifyCardToken(proof.token, { origin, nonce })).certificateDer : new Uint8Array(Buffer.from(proof.certificate, 'base64'));
  const identity = await validateJpkiCertificate(deps.trust, der);
  if ('signature' in proof && !verifiesNonce(der, nonce, proof.signature)) throw new PortalError('card_signature_invalid', 401);
  return identity;
}

/** The page's proof: RSA PKCS#1 v1.5 over SHA-256(nonce) by the certificate's key (protocol-facts §B2). */
function verifiesNonce(der: Uint8Array, nonce: string, signature: string): boolean {
  try {
    const key = new crypto.X509Certificate(der).publicKey;
    return key.asymmetricKeyType === 'rsa' && crypto.verify('sha256', Buffer.from(nonce), { key, padding: crypto.constants.RSA_PKCS1_PADDING }, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}
