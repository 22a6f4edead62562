import crypto from 'node:crypto';
import { BRIDGE_PROTOCOL_VERSION } from '../protocol.ts';
import { BridgeError } from './errors.ts';

/**
 * The two token formats (protocol-facts §C1, §C5), checked by the server's
 * src/auth/web-eid-token.ts. The card signs a SHA-256 digest with PKCS#1 v1.5
 * (both card types hold RSA-2048 authentication keys), hence RS256.
 */
export const APP_VERSION = `https://github.com/hpki-sso/card-bridge/releases/${BRIDGE_PROTOCOL_VERSION}`;
export const LEGACY_TOKEN_LIFETIME_SECONDS = 5 * 60;

export type SignDigest = (sha256Digest: Uint8Array) => Promise<Uint8Array>;

const sha256 = (data: Buffer | string) => crypto.createHash('sha256').update(data).digest();
const b64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');

export function requireRsaCertificate(certificateDer: Uint8Array): { keyBytes: number; subject: string } {
  let cert: crypto.X509Certificate;
  try {
    cert = new crypto.X509Certificate(certificateDer);
  } catch {
    throw new BridgeError('card_error', 'the certificate on the card does not parse');
  }
  const key = cert.publicKey;
  if (key.asymmetricKeyType !== 'rsa') throw new BridgeError('card_error', `the card's ${key.asymmetricKeyType} key is not supported (RSA only)`);
  return { keyBytes: Math.ceil(key.asymmetricKeyDetails!.modulusLength! / 8), subject: cert.subject };
}

/** web-eid:1.0: the card signs SHA-256(SHA-256(origin) ‖ SHA-256(nonce)). */
export async function webEidToken(certificateDer: Uint8Array, origin: string, nonce: string, sign: SignDigest) {
  const digest = sha256(Buffer.concat([sha256(origin), sha256(nonce)]));
  const signature = await sign(digest);
  return {
    format: 'web-eid:1.0' as const,
    unverifiedCertificate: Buffer.from(certificateDer).toString('base64'),
    algorithm: 'RS256' as const,
    signature: Buffer.from(signature).toString('base64'),
    appVersion: APP_VERSION,
  };
}

/** The legacy "OpenID X509 ID Token" JWS (web-eid.js 0.0.x): `aud` = origin, `nonce`, iat/exp 5 min. */
export async function legacyJwsToken(certificateDer: Uint8Array, origin: string, nonce: string, sign: SignDigest, now = Date.now()) {
  const certificate = Buffer.from(certificateDer).toString('base64');
  const iat = Math.floor(now / 1000);
  const header = { typ: 'JWT', alg: 'RS256', x5c: [certificate] };
  const payload = {
    iss: 'https://self-issued.me',
    aud: origin,
    sub: sha256(Buffer.from(certificateDer)).toString('base64url'),
    nonce,
    iat,
    exp: iat + LEGACY_TOKEN_LIFETIME_SECONDS,
    cnf: { tbh: '' },
  };
  const signingInput = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  const signature = await sign(sha256(signingInput));
  return `${signingInput}.${b64url(Buffer.from(signature))}`;
}
