import type { Adapter, AdapterPayload } from 'oidc-provider';
import { currentProviderRequest } from './provider-request.ts';
import type { SqlQueryable } from '@prisma/driver-adapter-utils';
import type { Db } from '../db/current.ts';
import { forget, memoised, rememberWritten } from '../db/request-memo.ts';
import { cachedClient } from '../db/client-cache.ts';
import { newestConsentGrant, payloadStore } from './payload-store.ts';
import { rotatedFromOf } from './refresh-token-retry.ts';
import { deferWrite, sendDeferredWrites } from './provider-write-batch.ts';
import type { KeyEncryptionKey } from '../crypto/key-encryption.ts';

/**
 * Models read several times within one request (see request-memo.ts). Tokens and codes are never
 * memoised: their consumption must always be read from the database. Clients have their own
 * cross-request cache (client-cache.ts), cleared by any write to their table.
 */
const MEMOISED = new Set(['Interaction', 'Session', 'Grant']);

/**
 * Codes and tokens whose grant and session oidc-provider reads right after them (token endpoint,
 * refresh grant): read together, the grant and session then come from the request memo.
 */
const READ_WITH_GRANT_AND_SESSION = new Set(['AuthorizationCode', 'RefreshToken']);

/**
 * Resuming a login, oidc-provider reads the pushed authorization request and marks it used right
 * after (respond.js: find → refuse if used → consume), so there it is read and marked in one
 * statement (payload-store.ts findAndConsume); the `consume` that follows has nothing left to do.
 * Kept per provider request (oidc-provider's own request context).
 */
const CONSUMED_WHEN_READ: Readonly<Record<string, string>> = { PushedAuthorizationRequest: 'resume' };
const consumedInRequest = new WeakMap<object, Set<string>>();

/** Where a model's payload is memoised for the request (request-memo.ts). */
function memoKey(model: string, id: string): string {
  return `oidc:${model}:${id}`;
}

/**
 * The id of the practitioner's newest consent to this service (payload-store.ts), its grant
 * remembered for this request: the `Grant.find` oidc-provider makes with the id reads no more.
 */
export async function newestConsentGrantId(sql: SqlQueryable, accountId: string, clientId: string): Promise<string | undefined> {
  await sendDeferredWrites();
  const found = await newestConsentGrant(sql, accountId, clientId);
  if (!found) return undefined;
  rememberWritten(memoKey('Grant', found.id), found.payload);
  return found.id;
}

/**
 * oidc-provider storage in PostgreSQL: every model (Session, Grant, AuthorizationCode, RefreshToken,
 * PushedAuthorizationRequest, Interaction, …) is a row of `oidc_payload` (payload-store.ts), so a
 * restart logs nobody out and several instances share state. Clients come from `oidc_client`,
 * managed by the portal through the Prisma client.
 */
export function prismaAdapterFactory(prisma: () => Db, sql: () => SqlQueryable, kek: KeyEncryptionKey) {
  // A session's id (its cookie) is stored sealed; bound to its purpose, so no other sealed value opens as one.
  const store = payloadStore(sql, { seal: (id) => kek.encrypt(id, 'oidc-session-id'), open: (sealed) => kek.decrypt(sealed, 'oidc-session-id') });
  return class PrismaAdapter implements Adapter {
    private readonly memo: boolean;
    constructor(private readonly model: string) {
      this.memo = MEMOISED.has(model);
    }

    private key(id: string) {
      return memoKey(this.model, id);
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
      if (this.model === 'Client') {
        const metadata = JSON.parse(JSON.stringify(payload));
        await prisma().oidcClient.upsert({
          where: { clientId: id },
          create: { clientId: id, name: String(payload.client_name ?? id), metadata },
          update: { metadata },
        });
        return;
      }
      // A rotated refresh token carries its lineage from the start (refresh-token-retry.ts).
      const rotatedFrom = this.model === 'RefreshToken' ? rotatedFromOf(id) : undefined;
      const row = {
        model: this.model,
        id,
        payload: rotatedFrom ? { ...payload, rotatedFrom } : payload,
        grantId: payload.grantId,
        userCode: payload.userCode,
        uid: payload.uid,
        // The payload's own `exp` when it has one (sessions, tokens): the row ends exactly when oidc-provider says.
        expiresAt: typeof payload.exp === 'number' ? new Date(payload.exp * 1000) : expiresIn ? new Date(Date.now() + expiresIn * 1000) : null,
      };
      // Within one of oidc-provider's requests, sent with its other writes at the end (provider-write-batch.ts).
      if (!deferWrite(row, store.upsertMany)) await store.upsert(row);
      if (!this.memo) return;
      rememberWritten(this.key(id), payload);
      if (payload.uid) forget(this.key(`uid:${payload.uid}`));
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      await sendDeferredWrites();
      return this.memo ? memoised(this.key(id), () => this.read(id)) : this.read(id);
    }

    private async read(id: string): Promise<AdapterPayload | undefined> {
      if (this.model === 'Client') {
        return cachedClient(id, async () => {
          const client = await prisma().oidcClient.findUnique({ where: { clientId: id } });
          if (!client || !client.enabled) return undefined;
          return { ...(client.metadata as AdapterPayload), client_id: client.clientId };
        });
      }
      const ctx = currentProviderRequest();
      if (ctx && ctx.oidc?.route === CONSUMED_WHEN_READ[this.model]) {
        let consumed = consumedInRequest.get(ctx);
        if (!consumed) consumedInRequest.set(ctx, (consumed = new Set()));
        consumed.add(id);
        return store.findAndConsume(this.model, id);
      }
      if (READ_WITH_GRANT_AND_SESSION.has(this.model)) {
        const found = await store.findWithGrantAndSession(this.model, id);
        if (found?.grant) rememberWritten(memoKey('Grant', found.grant.id), found.grant.payload);
        if (found?.session) rememberWritten(memoKey('Session', `uid:${found.session.uid}`), found.session.payload);
        return found?.payload;
      }
      return store.find(this.model, id);
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      await sendDeferredWrites();
      const read = () => store.findByUid(this.model, uid);
      return this.memo ? memoised(this.key(`uid:${uid}`), read) : read();
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      await sendDeferredWrites();
      return store.findByUserCode(this.model, userCode);
    }

    async consume(id: string): Promise<void> {
      const ctx = currentProviderRequest();
      if (ctx && consumedInRequest.get(ctx)?.has(id)) return;
      await sendDeferredWrites();
      await store.consume(this.model, id);
    }

    async destroy(id: string): Promise<void> {
      await sendDeferredWrites();
      // Which uid key pointed here is not known: this request forgets everything it read.
      if (this.memo) forget();
      if (this.model === 'Client') {
        await prisma().oidcClient.deleteMany({ where: { clientId: id } });
        return;
      }
      await store.destroy(this.model, id);
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await sendDeferredWrites();
      forget();
      await store.revokeByGrantId(grantId);
    }
  };
}

/** Expired provider state is removed in the background; reads already ignore it. */
export async function deleteExpiredOidcPayloads(prisma: Db, now = new Date()): Promise<number> {
  const { count } = await prisma.oidcPayload.deleteMany({ where: { expiresAt: { lt: now } } });
  return count;
}
