import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlQueryable } from '@prisma/driver-adapter-utils';
import { startTestPortal, type TestPortal } from '../support/test-portal.ts';
import { prismaAdapterFactory } from '../../src/oidc/prisma-adapter.ts';
import { storedPayloadId } from '../../src/oidc/payload-store.ts';
import { batchProviderWrites, sendDeferredWrites } from '../../src/oidc/provider-write-batch.ts';
import { withRequestMemo } from '../../src/db/request-memo.ts';

/**
 * Issue 18: oidc-provider's writes within one of its requests go to the database in one statement
 * at the end of the request — and every read, consume or delete in between still sees them.
 * On the database of the run (PGlite, or PostgreSQL with DATABASE_URL).
 */
let t: TestPortal;
beforeAll(async () => {
  t = await startTestPortal('provider-write-batch');
});
afterAll(() => t?.close());

/** The portal's driver, with every statement sent through it written down. */
function recordingSql(failWrites = false) {
  const sent: string[] = [];
  const sql = (): SqlQueryable =>
    new Proxy(t.portal.sql, {
      get(target, name, receiver) {
        if (name === 'queryRaw' || name === 'executeRaw') {
          return async (query: { sql: string }) => {
            sent.push(query.sql.trim().split(/\s+/)[0]!.toUpperCase());
            if (failWrites && name === 'executeRaw') throw new Error('database unavailable');
            return (target[name] as (q: unknown) => Promise<unknown>).call(target, query);
          };
        }
        return Reflect.get(target, name, receiver);
      },
    });
  return { sent, Adapter: prismaAdapterFactory(() => t.portal.prisma, sql, t.portal.kek) };
}

const stored = (model: string, id: string) => t.portal.prisma.oidcPayload.findUnique({ where: { model_id: { model, id: storedPayloadId(model, id) } } });
const asProviderRequest = (run: () => Promise<void>) => withRequestMemo(() => batchProviderWrites({}, run));

describe("a provider request's writes", () => {
  it('are held until the request has been handled, then sent in one statement', async () => {
    const { sent, Adapter } = recordingSql();
    const [codes, sessions] = [new Adapter('AuthorizationCode'), new Adapter('Session')];
    await asProviderRequest(async () => {
      await codes.upsert('batch-code-1', { kind: 'AuthorizationCode', grantId: 'batch-grant', accountId: 'acc' }, 60);
      await sessions.upsert('batch-session-1', { kind: 'Session', uid: 'batch-uid-1', accountId: 'acc', jti: 'batch-session-1' }, 60);
      expect(sent).toEqual([]);
      expect(await stored('AuthorizationCode', 'batch-code-1')).toBeNull();
    });
    expect(sent).toEqual(['INSERT']);
    expect(await stored('AuthorizationCode', 'batch-code-1')).toMatchObject({ grantId: 'batch-grant' });
    // The session's id went in sealed, as always, and comes back whole.
    expect(await new Adapter('Session').findByUid('batch-uid-1')).toMatchObject({ jti: 'batch-session-1', accountId: 'acc' });
    expect(JSON.stringify((await stored('Session', 'batch-session-1'))?.payload)).not.toContain('batch-session-1');
  });

  it('are sent before any other operation of the same request, in order', async () => {
    const { sent, Adapter } = recordingSql();
    const [codes, tokens] = [new Adapter('AuthorizationCode'), new Adapter('AccessToken')];
    await asProviderRequest(async () => {
      await codes.upsert('batch-code-2', { kind: 'AuthorizationCode', grantId: 'g2' }, 60);
      expect(await codes.find('batch-code-2')).toMatchObject({ grantId: 'g2' });
      expect(sent).toEqual(['INSERT', 'SELECT']);
      await tokens.upsert('batch-at-2', { kind: 'AccessToken', grantId: 'g2' }, 60);
      await codes.consume('batch-code-2');
      expect(sent).toEqual(['INSERT', 'SELECT', 'INSERT', 'UPDATE']);
      await tokens.upsert('batch-at-3', { kind: 'AccessToken', grantId: 'g3' }, 60);
      await tokens.revokeByGrantId('g3');
      expect(sent.slice(4)).toEqual(['INSERT', 'DELETE']);
      await tokens.upsert('batch-at-4', { kind: 'AccessToken', grantId: 'g4' }, 60);
      await tokens.destroy('batch-at-4');
      expect(sent.slice(6)).toEqual(['INSERT', 'DELETE']);
    });
    expect(sent).toHaveLength(8);
    expect(typeof (await codes.find('batch-code-2'))?.consumed).toBe('number');
    expect(await tokens.find('batch-at-3')).toBeUndefined();
    expect(await tokens.find('batch-at-4')).toBeUndefined();
  });

  it('keep the last write of a row, and more than eight rows go in chunks of eight', async () => {
    const { sent, Adapter } = recordingSql();
    const grants = new Adapter('Grant');
    await asProviderRequest(async () => {
      await grants.upsert('batch-grant-x', { kind: 'Grant', accountId: 'first' }, 60);
      for (let i = 0; i < 9; i++) await grants.upsert(`batch-grant-${i}`, { kind: 'Grant', accountId: `a${i}` }, 60);
      await grants.upsert('batch-grant-x', { kind: 'Grant', accountId: 'last' }, 60);
    });
    expect(sent).toEqual(['INSERT', 'INSERT']);
    expect((await stored('Grant', 'batch-grant-x'))?.payload).toMatchObject({ accountId: 'last' });
    for (let i = 0; i < 9; i++) expect((await stored('Grant', `batch-grant-${i}`))?.payload).toMatchObject({ accountId: `a${i}` });
  });

  it('are still sent when handling the request throws, and a failed send fails the request', async () => {
    const { Adapter } = recordingSql();
    await expect(
      asProviderRequest(async () => {
        await new Adapter('AccessToken').upsert('batch-at-thrown', { kind: 'AccessToken' }, 60);
        throw new Error('handler failed');
      }),
    ).rejects.toThrow('handler failed');
    expect(await stored('AccessToken', 'batch-at-thrown')).not.toBeNull();

    const failing = recordingSql(true);
    let handled = false;
    await expect(
      asProviderRequest(async () => {
        await new failing.Adapter('AccessToken').upsert('batch-at-lost', { kind: 'AccessToken' }, 60);
        handled = true;
      }),
    ).rejects.toThrow('database unavailable');
    expect(handled).toBe(true);
    expect(await stored('AccessToken', 'batch-at-lost')).toBeNull();
  });

  it('outside a provider request go at once', async () => {
    const { sent, Adapter } = recordingSql();
    await withRequestMemo(() => new Adapter('Interaction').upsert('batch-interaction', { kind: 'Interaction' }, 60));
    expect(sent).toEqual(['INSERT']);
    expect(await stored('Interaction', 'batch-interaction')).not.toBeNull();
    await sendDeferredWrites(); // nothing held, nothing sent
    expect(sent).toEqual(['INSERT']);
  });

  it('do not leak into another request running at the same time', async () => {
    const { sent, Adapter } = recordingSql();
    const tokens = new Adapter('AccessToken');
    let releaseFirst!: () => void;
    const firstMayEnd = new Promise<void>((resolve) => (releaseFirst = resolve));
    const first = asProviderRequest(async () => {
      await tokens.upsert('batch-at-first', { kind: 'AccessToken' }, 60);
      await firstMayEnd;
    });
    await asProviderRequest(async () => {
      await tokens.upsert('batch-at-second', { kind: 'AccessToken' }, 60);
    });
    expect(sent).toEqual(['INSERT']);
    expect(await stored('AccessToken', 'batch-at-second')).not.toBeNull();
    expect(await stored('AccessToken', 'batch-at-first')).toBeNull();
    releaseFirst();
    await first;
    expect(await stored('AccessToken', 'batch-at-first')).not.toBeNull();
  });
});
