import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import type { Db } from '../db/current.ts';
import type { KeyEncryptionKey } from '../crypto/key-encryption.ts';

/** The provider signs with one RSA key (RS256 for every OIDC client, PS256) and one P-256 key (ES256). */
const KEY_KINDS = [
  { alg: 'RS256', generate: () => generateKeyPair('RS256', { modulusLength: 2048, extractable: true }) },
  { alg: 'ES256', generate: () => generateKeyPair('ES256', { extractable: true }) },
] as const;

/** Retired keys stay published long enough for every token they signed to expire. */
const RETIRED_KEY_PUBLISHED_FOR_MS = 30 * 24 * 3600 * 1000;

const sealContext = (kid: string) => `signing-key:${kid}`;

async function createKey(prisma: Db, kek: KeyEncryptionKey, kind: (typeof KEY_KINDS)[number]): Promise<string> {
  const { privateKey, publicKey } = await kind.generate();
  const privateJwk = await exportJWK(privateKey);
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  const full = { ...privateJwk, kid, use: 'sig' };
  await prisma.signingKey.create({
    data: {
      kid,
      alg: kind.alg,
      publicJwk: { ...publicJwk, kid, use: 'sig' },
      encryptedJwk: kek.encrypt(JSON.stringify(full), sealContext(kid)),
    },
  });
  return kid;
}

/** First start: one active key of each kind. Returns the kids created. */
export async function ensureSigningKeys(prisma: Db, kek: KeyEncryptionKey): Promise<string[]> {
  const created: string[] = [];
  for (const kind of KEY_KINDS) {
    const active = await prisma.signingKey.count({ where: { alg: kind.alg, retiredAt: null } });
    if (active === 0) created.push(await createKey(prisma, kek, kind));
  }
  return created;
}

/** New keys sign from the next start of each instance on; the old ones stay in JWKS for verification. */
export async function rotateSigningKeys(prisma: Db, kek: KeyEncryptionKey, now = new Date()) {
  const retired = await prisma.signingKey.updateMany({ where: { retiredAt: null }, data: { retiredAt: now } });
  const created: string[] = [];
  for (const kind of KEY_KINDS) created.push(await createKey(prisma, kek, kind));
  const removed = await prisma.signingKey.deleteMany({
    where: { retiredAt: { lt: new Date(now.getTime() - RETIRED_KEY_PUBLISHED_FOR_MS) } },
  });
  return { created, retired: retired.count, removed: removed.count };
}

/** Private JWKs for oidc-provider: active keys first (newest first), so they are the ones that sign. */
export async function loadSigningJwks(prisma: Db, kek: KeyEncryptionKey): Promise<{ keys: JWK[] }> {
  const rows = await prisma.signingKey.findMany({ orderBy: [{ createdAt: 'desc' }] });
  const ordered = [...rows.filter((r) => !r.retiredAt), ...rows.filter((r) => r.retiredAt)];
  return { keys: ordered.map((r) => JSON.parse(kek.decrypt(r.encryptedJwk, sealContext(r.kid))) as JWK) };
}
