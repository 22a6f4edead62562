import crypto from 'node:crypto';
import { SignJWT } from 'jose';
import type { IssuedCertificate } from '../../src/pki/test-pki/index.ts';

/**
 * What a Web eID extension answers to `authenticate(nonce)`, made in Node with a test card's key:
 * the legacy JWS (web-eid.js 0.0.x) and the current `web-eid:1.0` JSON token.
 */
async function nodeKey(card: IssuedCertificate): Promise<crypto.KeyObject> {
  const pkcs8 = await crypto.webcrypto.subtle.exportKey('pkcs8', card.keys.privateKey);
  return crypto.createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' });
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

export async function legacyJwsToken(
  card: IssuedCertificate,
  claims: { origin: string; nonce: string; iat?: number; exp?: number; alg?: string; x5c?: string[] },
): Promise<string> {
  const key = await nodeKey(card);
  const alg = claims.alg ?? (key.asymmetricKeyType === 'ec' ? 'ES256' : 'RS256');
  const iat = claims.iat ?? Math.floor(Date.now() / 1000);
  return new SignJWT({ nonce: claims.nonce, sub: card.certificate.subject, cnf: { tbh: '' } })
    .setProtectedHeader({ typ: 'JWT', alg, x5c: claims.x5c ?? [b64(card.der)] })
    .setIssuer('https://self-issued.me')
    .setAudience(claims.origin)
    .setIssuedAt(iat)
    .setExpirationTime(claims.exp ?? iat + 300)
    .sign(key);
}

export async function webEidToken(
  card: IssuedCertificate,
  claims: { origin: string; nonce: string; algorithm?: string; certificate?: IssuedCertificate },
): Promise<Record<string, string>> {
  const key = await nodeKey(card);
  const algorithm = claims.algorithm ?? (key.asymmetricKeyType === 'ec' ? 'ES256' : 'RS256');
  const hash = `sha${algorithm.slice(2)}`;
  const data = Buffer.concat([
    crypto.createHash(hash).update(claims.origin).digest(),
    crypto.createHash(hash).update(claims.nonce).digest(),
  ]);
  const signature = crypto.sign(
    hash,
    data,
    algorithm.startsWith('ES')
      ? { key, dsaEncoding: 'ieee-p1363' }
      : algorithm.startsWith('PS')
        ? { key, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: crypto.constants.RSA_PSS_SALTLEN_DIGEST }
        : key,
  );
  return {
    format: 'web-eid:1.0',
    unverifiedCertificate: b64((claims.certificate ?? card).der),
    algorithm,
    signature: signature.toString('base64'),
    appVersion: 'https://web-eid.eu/web-eid-app/releases/2.5.0',
  };
}
