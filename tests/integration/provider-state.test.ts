import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import crypto from 'node:crypto';
import { startTestPortal, type TestPortal } from '../support/test-portal.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { prismaAdapterFactory, deleteExpiredOidcPayloads } from '../../src/oidc/prisma-adapter.ts';
import { payloadStore, storedPayloadId } from '../../src/oidc/payload-store.ts';
import { withRequestMemo } from '../../src/db/request-memo.ts';
import { upsertClient } from '../../src/clients/clients.ts';
import { rotateSigningKeys, loadSigningJwks } from '../../src/oidc/signing-keys.ts';

let t: TestPortal;
beforeAll(async () => {
  t = await startTestPortal('provider-state');
});
afterAll(() => t?.close());

describe('Prisma adapter for oidc-provider models', () => {
  const Adapter = () => prismaAdapterFactory(() => t.portal.prisma, () => t.portal.sql, t.portal.kek);

  it('stores, finds, consumes and destroys a model', async () => {
    const codes = new (Adapter())('AuthorizationCode');
    await codes.upsert('code-1', { grantId: 'g-1', accountId: 'a', kind: 'AuthorizationCode' }, 60);
    expect(await codes.find('code-1')).toMatchObject({ grantId: 'g-1', accountId: 'a' });
    expect((await codes.find('code-1'))?.consumed).toBeUndefined();
    await codes.consume('code-1');
    expect(typeof (await codes.find('code-1'))?.consumed).toBe('number');
    await codes.destroy('code-1');
    expect(await codes.find('code-1')).toBeUndefined();
  });

  it('keeps models apart by name and finds sessions by uid', async () => {
    const sessions = new (Adapter())('Session');
    const grants = new (Adapter())('Grant');
    await sessions.upsert('same-id', { uid: 'uid-1', kind: 'Session' }, 60);
    await grants.upsert('same-id', { kind: 'Grant' }, 60);
    expect((await sessions.findByUid('uid-1'))?.kind).toBe('Session');
    expect((await grants.find('same-id'))?.kind).toBe('Grant');
  });

  it('revokes every artefact of a grant', async () => {
    const at = new (Adapter())('AccessToken');
    const rt = new (Adapter())('RefreshToken');
    await at.upsert('at-1', { grantId: 'grant-x' }, 60);
    await rt.upsert('rt-1', { grantId: 'grant-x' }, 60);
    await rt.upsert('rt-2', { grantId: 'grant-y' }, 60);
    await at.revokeByGrantId('grant-x');
    expect(await at.find('at-1')).toBeUndefined();
    expect(await rt.find('rt-1')).toBeUndefined();
    expect(await rt.find('rt-2')).toBeDefined();
  });

  it('reads a code or refresh token with its grant and session: within the request they come from memory', async () => {
    const A = Adapter();
    const [rt, codes, grants, sessions] = [new A('RefreshToken'), new A('AuthorizationCode'), new A('Grant'), new A('Session')];
    await grants.upsert('grant-ctx', { kind: 'Grant', accountId: 'acc-1', clientId: 'rp' }, 60);
    await sessions.upsert('session-ctx-id', { kind: 'Session', uid: 'uid-ctx', accountId: 'acc-1', jti: 'session-ctx-id' }, 60);
    await rt.upsert('rt-ctx', { kind: 'RefreshToken', grantId: 'grant-ctx', sessionUid: 'uid-ctx', accountId: 'acc-1' }, 60);
    await codes.upsert('code-ctx', { kind: 'AuthorizationCode', grantId: 'grant-ctx', sessionUid: 'uid-gone' }, 60);
    const removeBoth = () =>
      t.portal.prisma.oidcPayload.deleteMany({ where: { OR: [{ model: 'Grant', id: 'grant-ctx' }, { model: 'Session', uid: 'uid-ctx' }] } });

    await withRequestMemo(async () => {
      expect(await rt.find('rt-ctx')).toMatchObject({ grantId: 'grant-ctx', jti: 'rt-ctx' });
      // Gone from the database now, yet this request already holds what it read with the token.
      await removeBoth();
      expect(await grants.find('grant-ctx')).toMatchObject({ accountId: 'acc-1' });
      // The session's id comes back unsealed, as a read by uid gives it.
      expect(await sessions.findByUid('uid-ctx')).toMatchObject({ accountId: 'acc-1', jti: 'session-ctx-id' });
    });
    // Another request reads the database: both are gone.
    await withRequestMemo(async () => {
      expect(await grants.find('grant-ctx')).toBeUndefined();
      expect(await sessions.findByUid('uid-ctx')).toBeUndefined();
    });

    // A token naming no live grant or session leaves nothing behind for them.
    await grants.upsert('grant-ctx', { kind: 'Grant', accountId: 'acc-2' }, 60);
    await t.portal.prisma.oidcPayload.update({
      where: { model_id: { model: 'Grant', id: 'grant-ctx' } },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    await withRequestMemo(async () => {
      expect(await codes.find('code-ctx')).toMatchObject({ grantId: 'grant-ctx' });
      expect(await grants.find('grant-ctx')).toBeUndefined();
      expect(await sessions.findByUid('uid-gone')).toBeUndefined();
    });
    // The token's own consumption is read with it.
    await codes.consume('code-ctx');
    expect(typeof (await codes.find('code-ctx'))?.consumed).toBe('number');
    expect(await codes.find('no-such-code')).toBeUndefined();
  });

  it('reads and marks a row used in one statement; of concurrent uses exactly one finds it unused', async () => {
    const store = payloadStore(() => t.portal.sql, { seal: (id) => id, open: (id) => id });
    for (let round = 0; round < 5; round++) {
      const id = `par-once-${round}`;
      await store.upsert({ model: 'PushedAuthorizationRequest', id, payload: { kind: 'PushedAuthorizationRequest', jti: id, request: 'x' }, expiresAt: new Date(Date.now() + 60_000) });
      const uses = await Promise.all(Array.from({ length: 6 }, () => store.findAndConsume('PushedAuthorizationRequest', id)));
      expect(uses.every((u) => u?.jti === id && u.request === 'x')).toBe(true);
      expect(uses.filter((u) => u?.consumed === undefined)).toHaveLength(1);
      const first = uses.find((u) => u?.consumed !== undefined)!.consumed;
      expect(uses.filter((u) => u?.consumed !== undefined).every((u) => u!.consumed === first)).toBe(true);
      expect((await store.find('PushedAuthorizationRequest', id))?.consumed).toBe(first);
    }
    expect(await store.findAndConsume('PushedAuthorizationRequest', 'par-never-pushed')).toBeUndefined();
    await store.upsert({ model: 'PushedAuthorizationRequest', id: 'par-expired', payload: { kind: 'PushedAuthorizationRequest' }, expiresAt: new Date(Date.now() - 1000) });
    expect(await store.findAndConsume('PushedAuthorizationRequest', 'par-expired')).toBeUndefined();
  });

  it('treats expired rows as absent and removes them in housekeeping', async () => {
    const at = new (Adapter())('AccessToken');
    await at.upsert('old', { grantId: 'g' }, 60);
    await t.portal.prisma.oidcPayload.update({
      where: { model_id: { model: 'AccessToken', id: storedPayloadId('AccessToken', 'old') } },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    expect(await at.find('old')).toBeUndefined();
    expect(await deleteExpiredOidcPayloads(t.portal.prisma)).toBeGreaterThanOrEqual(1);
  });

  it('reads clients from the client table, and not disabled ones', async () => {
    const clients = new (Adapter())('Client');
    await upsertClient(t.portal.prisma, { clientId: 'adapter-rp', name: 'RP', redirectUris: ['https://rp.example/cb'] });
    expect(await clients.find('adapter-rp')).toMatchObject({ client_id: 'adapter-rp', subject_type: 'pairwise' });
    await t.portal.prisma.oidcClient.update({ where: { clientId: 'adapter-rp' }, data: { enabled: false } });
    expect(await clients.find('adapter-rp')).toBeUndefined();
  });
});

describe('signing keys', () => {
  it('are stored encrypted and published in JWKS without private parts', async () => {
    const rows = await t.portal.prisma.signingKey.findMany();
    expect(rows.map((r) => r.alg).sort()).toEqual(['ES256', 'RS256']);
    for (const row of rows) {
      expect(row.encryptedJwk.startsWith('v1.')).toBe(true);
      expect(row.encryptedJwk).not.toContain('"d"');
    }
    const jwks = await (await fetch(`${t.url}/oidc/jwks`)).json();
    expect(jwks.keys.map((k: { kid: string }) => k.kid).sort()).toEqual(rows.map((r) => r.kid).sort());
    for (const key of jwks.keys) expect(key.d).toBeUndefined();
  });

  it('rotate: new keys sign first, retired keys stay published', async () => {
    const before = (await t.portal.prisma.signingKey.findMany()).map((r) => r.kid);
    const result = await rotateSigningKeys(t.portal.prisma, t.portal.kek);
    expect(result.created).toHaveLength(2);
    expect(result.retired).toBe(2);
    const { keys } = await loadSigningJwks(t.portal.prisma, t.portal.kek);
    expect(keys.slice(0, 2).map((k) => k.kid).sort()).toEqual([...result.created].sort());
    expect(keys.slice(2).map((k) => k.kid).sort()).toEqual([...before].sort());
    expect(keys.every((k) => typeof k.d === 'string')).toBe(true);
  });
});

describe('key-encryption key', () => {
  it('cannot open keys sealed under another key', async () => {
    const { KeyEncryptionKey } = await import('../../src/crypto/key-encryption.ts');
    const other = KeyEncryptionKey.fromSecret(crypto.randomBytes(32).toString('base64url'));
    await expect(loadSigningJwks(t.portal.prisma, other)).rejects.toThrow(/key-encryption key/);
  });
});

describe('several instances on one PostgreSQL', () => {
  let db: TestDatabase;
  it.runIf(process.env.DATABASE_URL?.startsWith('postgres'))('share sessions, codes and keys', async () => {
    db = await createTestDatabase('shared');
    const kek = crypto.randomBytes(32).toString('base64url');
    const a = await startTestPortal('a', { databaseUrl: db.url, keyEncryptionKey: kek });
    // Module-level handles live on globalThis; a second portal in one process replaces them, so
    // each instance is exercised through its own adapter and its own HTTP listener.
    const sessionsA = new (prismaAdapterFactory(() => a.portal.prisma, () => a.portal.sql, a.portal.kek))('Session');
    await sessionsA.upsert('shared-session', { uid: 'u', accountId: 'x' }, 60);
    const b = await startTestPortal('b', { databaseUrl: db.url, keyEncryptionKey: kek });
    const sessionsB = new (prismaAdapterFactory(() => b.portal.prisma, () => b.portal.sql, b.portal.kek))('Session');
    expect(await sessionsB.find('shared-session')).toMatchObject({ accountId: 'x' });
    const jwksA = await (await fetch(`${a.url}/oidc/jwks`)).json();
    const jwksB = await (await fetch(`${b.url}/oidc/jwks`)).json();
    expect(jwksB).toEqual(jwksA);
    await b.close();
    await a.close();
    await db.drop();
  });
});
