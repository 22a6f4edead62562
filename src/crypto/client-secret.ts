import crypto from 'node:crypto';

/**
 * Client secrets are stored only as SHA-256 hashes (a dump of the database yields none): the portal
 * generates them with 256 random bits, so a fast hash is as good as a slow one, and a service's
 * request is checked by hashing what it presents. The stored form is `sha256:<hex>`.
 */
export const CLIENT_SECRET_HASH_PREFIX = 'sha256:';

/** The stored form of a secret: always a hash of what is given, whatever it looks like. */
export function hashClientSecret(secret: string): string {
  return `${CLIENT_SECRET_HASH_PREFIX}${crypto.createHash('sha256').update(secret, 'utf8').digest('hex')}`;
}

const STORED_FORM = /^sha256:[0-9a-f]{64}$/;

/** Client metadata as it may be stored: a plain `client_secret` becomes its hash (a hash stays as it is). */
export function withHashedClientSecret<T>(metadata: T): T {
  if (!metadata || typeof metadata !== 'object' || Array.isArray(metadata)) return metadata;
  const secret = (metadata as Record<string, unknown>).client_secret;
  if (typeof secret !== 'string' || STORED_FORM.test(secret)) return metadata;
  return { ...metadata, client_secret: hashClientSecret(secret) };
}

/**
 * Whether what a service presented is the secret whose hash is stored (constant time). The
 * presented value is always hashed: the stored hash itself, presented as a secret, does not match.
 */
export function clientSecretMatches(presented: string, stored: string): boolean {
  const a = Buffer.from(hashClientSecret(presented));
  const b = Buffer.from(stored);
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}
