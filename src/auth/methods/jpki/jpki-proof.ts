import crypto from 'node:crypto';
import { z } from 'zod';
import type { Db } from '../../../db/current.ts';
import { PortalError } from '../../../errors/portal-error.ts';
import { validateCertificate } from '../../../pki/validation/validate-certificate.ts';
import { crlRevocationChecker } from '../../../pki/revocation/crl-revocation-checker.ts';
import { certificateFingerprint } from '../../../pki/fingerprint.ts';
import type { TrustStoreCache } from '../../../pki/trust/trust-store-cache.ts';
import { consumeChallenge, issueChallenge, type ChallengePurpose } from '../../challenges.ts';

/** Same rules as the HPKI card: ≥ 256-bit nonce, single use, 5 minutes, bound to what it was issued for. */
export const JPKI_CHALLENGE_SECONDS = 300;

export interface JpkiDependencies {
  prisma: Db;
  trust: TrustStoreCache;
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

const proofSchema = z.object({
  nonce: z.string().min(43).max(128),
  certificate: z.string().regex(/^[A-Za-z0-9+/]+={0,2}$/).max(22_000),
  signature: z.string().regex(/^[A-Za-z0-9+/]+={0,2}$/).max(1_400),
});

export interface JpkiIdentity {
  fingerprint: string;
  issuer: string;
  /** The subject of the user-authentication certificate: an opaque ID, no name or address. */
  subject: string;
}

/**
 * Checks a My Number Card's answer: the nonce is ours and unspent, the certificate chains to a
 * configured JPKI anchor under the user-authentication policy and is not revoked, and the RSA
 * PKCS#1 v1.5 signature over SHA-256(nonce) verifies with its key.
 */
export async function verifyJpkiProof(deps: JpkiDependencies, body: unknown, purpose: ChallengePurpose, boundTo: string): Promise<JpkiIdentity> {
  const parsed = proofSchema.safeParse(body);
  if (!parsed.success) throw new PortalError('jpki_proof_invalid', 400, 'body must be { nonce, certificate, signature } in base64');
  const { nonce, certificate, signature } = parsed.data;
  const spent = await consumeChallenge(deps.prisma, purpose, boundTo, nonce);
  if (!spent.ok) throw new PortalError('card_challenge_invalid', 400, spent.reason);

  const der = new Uint8Array(Buffer.from(certificate, 'base64'));
  const trustStore = await deps.trust.get('jpki');
  if (!trustStore) throw new PortalError('trust_store_unavailable', 503, 'no JPKI trust anchor');
  const result = await validateCertificate(der, { trustStore, profile: 'jpki-auth', revocationCheckers: [crlRevocationChecker(trustStore)] });
  if (!result.ok) throw new PortalError(result.code, result.code === 'certificate_malformed' || result.code === 'certificate_too_large' ? 400 : 401, result.detail);

  let valid = false;
  try {
    const key = new crypto.X509Certificate(der).publicKey;
    valid = key.asymmetricKeyType === 'rsa' && crypto.verify('sha256', Buffer.from(nonce), { key, padding: crypto.constants.RSA_PKCS1_PADDING }, Buffer.from(signature, 'base64'));
  } catch {
    valid = false;
  }
  if (!valid) throw new PortalError('card_signature_invalid', 401);
  return {
    fingerprint: certificateFingerprint(result.certificate),
    issuer: result.issuer,
    subject: result.subject.commonName ?? result.certificate.subject,
  };
}
