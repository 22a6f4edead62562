import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { Db } from '../db/current.ts';
import { forget, memoised, rememberWritten } from '../db/request-memo.ts';
import { cachedClient } from '../clients/client-cache.ts';

/**
 * Models read several times within one request (see request-memo.ts). Tokens and codes are never
 * memoised: their consumption must always be read from the database.
 */
const MEMOISED = new Set(['Client', 'Interaction', 'Session', 'Grant']);

/**
 * oidc-provider storage in PostgreSQL: every model (Session, Grant, AuthorizationCode, RefreshToken,
 * PushedAuthorizationRequest, Interaction, …) is a row of `oidc_payload`, so a restart logs nobody
 * out and several instances share state. Clients come from `oidc_client`, managed by the portal.
 */
export function prismaAdapterFactory(prisma: () => Db) {
  return class PrismaAdapter implements Adapter {
    private readonly memo: boolean;
    constructor(private readonly model: string) {
      this.memo = MEMOISED.has(model);
    }

    private key(id: string) {
      return `oidc:${this.model}:${id}`;
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
      await this.write(id, payload, expiresIn);
      if (!this.memo) return;
      // A client row has more than its metadata (enabled): read it again when asked.
      if (this.model === 'Client') forget(this.key(id));
      else rememberWritten(this.key(id), payload);
      if (payload.uid) forget(this.key(`uid:${payload.uid}`));
    }

    private async write(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
      if (this.model === 'Client') {
        const metadata = JSON.parse(JSON.stringify(payload));
        await prisma().oidcClient.upsert({
          where: { clientId: id },
          create: { clientId: id, name: String(payload.client_name ?? id), metadata },
          update: { metadata },
        });
        return;
      }
      const row = {
        payload: JSON.parse(JSON.stringify(payload)),
        grantId: payload.grantId ?? null,
        userCode: payload.userCode ?? null,
        uid: payload.uid ?? null,
        expiresAt: expiresIn ? new Date(Date.now() + expiresIn * 1000) : null,
      };
      await prisma().oidcPayload.upsert({
        where: { model_id: { model: this.model, id } },
        create: { model: this.model, id, ...row },
        update: row,
      });
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
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
      return this.rowToPayload(await prisma().oidcPayload.findUnique({ where: { model_id: { model: this.model, id } } }));
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      const read = async () => this.rowToPayload(await prisma().oidcPayload.findFirst({ where: { model: this.model, uid } }));
      return this.memo ? memoised(this.key(`uid:${uid}`), read) : read();
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      return this.rowToPayload(await prisma().oidcPayload.findFirst({ where: { model: this.model, userCode } }));
    }

    async consume(id: string): Promise<void> {
      await prisma().oidcPayload.updateMany({
        where: { model: this.model, id, consumedAt: null },
        data: { consumedAt: new Date() },
      });
    }

    async destroy(id: string): Promise<void> {
      // Which uid key pointed here is not known: this request forgets everything it read.
      if (this.memo) forget();
      if (this.model === 'Client') {
        await prisma().oidcClient.deleteMany({ where: { clientId: id } });
        return;
      }
      await prisma().oidcPayload.deleteMany({ where: { model: this.model, id } });
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      forget();
      await prisma().oidcPayload.deleteMany({ where: { grantId } });
    }

    private rowToPayload(
      row: { payload: unknown; expiresAt: Date | null; consumedAt: Date | null } | null,
    ): AdapterPayload | undefined {
      if (!row) return undefined;
      if (row.expiresAt && row.expiresAt.getTime() <= Date.now()) return undefined;
      const payload = row.payload as AdapterPayload;
      return row.consumedAt ? { ...payload, consumed: Math.floor(row.consumedAt.getTime() / 1000) } : payload;
    }
  };
}

/** Expired provider state is removed in the background; reads already ignore it. */
export async function deleteExpiredOidcPayloads(prisma: Db, now = new Date()): Promise<number> {
  const { count } = await prisma.oidcPayload.deleteMany({ where: { expiresAt: { lt: now } } });
  return count;
}
