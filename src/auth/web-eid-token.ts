import crypto from 'node:crypto';
import { errors as joseErrors, jwtVerify } from 'jose';
import { z } from 'zod';
import { PortalError } from '../errors/portal-error.ts';
import { DerMemo } from '../pki/der-memo.ts';
import { CHECKED_CERTIFICATES_MAX } from '../pki/validation/checked-certificates.ts';

/**
 * Verifies what the Web eID extension returns for `authenticate(nonce)`, in both formats
 * (protocol-facts §C): the current `web-eid:1.x` JSON token, signed over H(origin) ‖ H(nonce), and
 * the legacy "OpenID X509 ID Token" JWS of web-eid.js 0.0.x. Either way the result is the
 * certificate that signed, proven to hold the key for this origin and this nonce; the certificate
 * itself is validated afterwards by the PKI validators.
 */
export const ALLOWED_CARD_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512'] as const;
type CardAlgorithm = (typeof ALLOWED_CARD_ALGORITHMS)[number];

const MAX_TOKEN_LENGTH = 10_000;
const MAX_CERTIFICATE_BYTES = 16 * 1024;
const LEGACY_CLOCK_TOLERANCE_SECONDS = 60;
const LEGACY_MAX_AGE_SECONDS = 5 * 60;

const standardBase64 = z.string().regex(/^[A-Za-z0-9+/]+={0,2}$/, 'standard base64');

const currentTokenSchema = z.object({
  format: z.string().regex(/^web-eid:1(\.\d+)?$/),
  unverifiedCertificate: standardBase64.max(Math.ceil((MAX_CERTIFICATE_BYTES * 4) / 3) + 4),
  algorithm: z.string(),
  signature: standardBase64.max(2048),
  appVersion: z.string().max(200).optional(),
});

export interface VerifiedCardToken {
  format: 'web-eid:1' | 'jws';
  algorithm: CardAlgorithm;
  certificateDer: Uint8Array;
}

function hashOf(algorithm: CardAlgorithm): 'sha256' | 'sha384' | 'sha512' {
  return `sha${algorithm.slice(2)}` as 'sha256' | 'sha384' | 'sha512';
}

function requireAllowed(algorithm: string): CardAlgorithm {
  if (!(ALLOWED_CARD_ALGORITHMS as readonly string[]).includes(algorithm)) {
    throw new PortalError('card_algorithm_not_allowed', 400, `algorithm ${algorithm}`);
  }
  return algorithm as CardAlgorithm;
}

function decodeBase64Strict(value: string, what: string): Uint8Array {
  const bytes = Buffer.from(value, 'base64');
  // Node's decoder skips garbage silently; a re-encoding must give the same text back.
  if (bytes.toString('base64') !== value) throw new PortalError('card_token_invalid', 400, `${what} is not canonical base64`);
  return new Uint8Array(bytes);
}

/** A card's key per certificate bytes: the same card signs at every login (the key never changes for them). */
const publicKeys = new DerMemo<crypto.KeyObject>(CHECKED_CERTIFICATES_MAX);

function publicKeyOf(certificateDer: Uint8Array): crypto.KeyObject {
  if (certificateDer.byteLength > MAX_CERTIFICATE_BYTES) throw new PortalError('certificate_too_large', 400);
  return publicKeys.get(certificateDer, () => {
    try {
      return new crypto.X509Certificate(certificateDer).publicKey;
    } catch {
      throw new PortalError('certificate_malformed', 400);
    }
  });
}

const CURVE_OF: Record<string, string> = { ES256: 'prime256v1', ES384: 'secp384r1', ES512: 'secp521r1' };

/** The key type and curve must be the ones the algorithm names. */
function requireKeyFits(key: crypto.KeyObject, algorithm: CardAlgorithm) {
  const family = algorithm.slice(0, 2);
  const ok =
    family === 'ES'
      ? key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === CURVE_OF[algorithm]
      : key.asymmetricKeyType === 'rsa' || (family === 'PS' && key.asymmetricKeyType === 'rsa-pss');
  if (!ok) throw new PortalError('card_signature_invalid', 401, `a ${key.asymmetricKeyType} key cannot make ${algorithm}`);
}

function verifyCurrentToken(raw: unknown, origin: string, nonce: string): VerifiedCardToken {
  const parsed = currentTokenSchema.safeParse(raw);
  if (!parsed.success) throw new PortalError('card_token_invalid', 400, 'not a web-eid:1 token');
  const token = parsed.data;
  const algorithm = requireAllowed(token.algorithm);
  const certificateDer = decodeBase64Strict(token.unverifiedCertificate, 'unverifiedCertificate');
  const signature = decodeBase64Strict(token.signature, 'signature');
  const key = publicKeyOf(certificateDer);
  requireKeyFits(key, algorithm);
  const hash = hashOf(algorithm);
  const signed = Buffer.concat([
    crypto.createHash(hash).update(origin, 'utf8').digest(),
    crypto.createHash(hash).update(nonce, 'utf8').digest(),
  ]);
  const family = algorithm.slice(0, 2);
  const verifyKey: crypto.VerifyKeyObjectInput | crypto.VerifyPublicKeyInput =
    family === 'ES'
      ? { key, dsaEncoding: 'ieee-p1363' }
      : family === 'PS'
        ? { key, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: crypto.constants.RSA_PSS_SALTLEN_DIGEST }
        : { key, padding: crypto.constants.RSA_PKCS1_PADDING };
  let valid = false;
  try {
    valid = crypto.verify(hash, signed, verifyKey, signature);
  } catch {
    valid = false;
  }
  // A signature over another origin or nonce fails here too: both are inside the signed bytes.
  if (!valid) throw new PortalError('card_signature_invalid', 401);
  return { format: 'web-eid:1', algorithm, certificateDer };
}

const legacyHeaderSchema = z.object({
  alg: z.string(),
  x5c: z.array(standardBase64).min(1).max(5),
});

async function verifyLegacyJws(jws: string, origin: string, nonce: string): Promise<VerifiedCardToken> {
  const parts = jws.split('.');
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]*$/.test(p))) throw new PortalError('card_token_invalid', 400, 'not a compact JWS');
  let header: z.infer<typeof legacyHeaderSchema>;
  try {
    const parsed = legacyHeaderSchema.safeParse(JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')));
    if (!parsed.success) throw new Error('header');
    header = parsed.data;
  } catch {
    throw new PortalError('card_token_invalid', 400, 'JWS header is not a Web eID header');
  }
  const algorithm = requireAllowed(header.alg);
  const certificateDer = decodeBase64Strict(header.x5c[0]!, 'x5c');
  const key = publicKeyOf(certificateDer);
  requireKeyFits(key, algorithm);
  let payload;
  try {
    ({ payload } = await jwtVerify(jws, key, {
      algorithms: [algorithm],
      audience: origin,
      clockTolerance: LEGACY_CLOCK_TOLERANCE_SECONDS,
      maxTokenAge: LEGACY_MAX_AGE_SECONDS,
      requiredClaims: ['nonce', 'exp', 'iat', 'aud'],
    }));
  } catch (error) {
    if (error instanceof joseErrors.JWSSignatureVerificationFailed) throw new PortalError('card_signature_invalid', 401);
    if (error instanceof joseErrors.JWTExpired) throw new PortalError('card_token_expired', 401);
    if (error instanceof joseErrors.JWTClaimValidationFailed && error.claim === 'aud') throw new PortalError('card_origin_mismatch', 401);
    if (error instanceof joseErrors.JWTClaimValidationFailed && error.claim === 'iat') throw new PortalError('card_token_expired', 401);
    throw new PortalError('card_token_invalid', 400, (error as Error).message);
  }
  if (typeof payload.nonce !== 'string' || !crypto.timingSafeEqual(Buffer.from(sha(payload.nonce)), Buffer.from(sha(nonce)))) {
    throw new PortalError('card_challenge_invalid', 401, 'the token names another nonce');
  }
  return { format: 'jws', algorithm, certificateDer };
}

function sha(value: string) {
  return crypto.createHash('sha256').update(value).digest();
}

/** Accepts the token as the extension gave it: a JWS string, a JSON string or an object. */
export async function verifyCardToken(token: unknown, expected: { origin: string; nonce: string }): Promise<VerifiedCardToken> {
  if (typeof token === 'string') {
    if (token.length > MAX_TOKEN_LENGTH) throw new PortalError('card_token_invalid', 400, 'token too long');
    const trimmed = token.trim();
    if (trimmed.startsWith('{')) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(trimmed);
      } catch {
        throw new PortalError('card_token_invalid', 400, 'token is not JSON');
      }
      return verifyCurrentToken(parsed, expected.origin, expected.nonce);
    }
    return verifyLegacyJws(trimmed, expected.origin, expected.nonce);
  }
  if (token && typeof token === 'object' && !Array.isArray(token)) {
    if (JSON.stringify(token).length > MAX_TOKEN_LENGTH) throw new PortalError('card_token_invalid', 400, 'token too long');
    return verifyCurrentToken(token, expected.origin, expected.nonce);
  }
  throw new PortalError('card_token_invalid', 400, 'token missing');
}
