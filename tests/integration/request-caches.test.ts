import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPortal, type TestPortal } from '../support/test-portal.ts';
import { forget, memoised, rememberWritten, withRequestMemo } from '../../src/db/request-memo.ts';
import { cachedClient } from '../../src/db/client-cache.ts';
import { upsertClient } from '../../src/clients/clients.ts';

let t: TestPortal;
beforeAll(async () => {
  t = await startTestPortal('caches');
});
afterAll(() => t?.close());

describe('request memo', () => {
  it('reads once per request and hands every caller its own copy', async () => {
    let loads = 0;
    const load = async () => ({ n: ++loads, nested: { at: new Date(0) }, bytes: new Uint8Array([1, 2]), list: [{ x: 1 }] });
    await withRequestMemo(async () => {
      const a = await memoised('k', load);
      a.nested.at.setTime(1);
      a.bytes[0] = 9;
      a.list[0]!.x = 5;
      a.list.push({ x: 6 });
      const b = await memoised('k', load);
      expect(loads).toBe(1);
      expect(b.nested.at).toBeInstanceOf(Date);
      expect(b.nested.at.getTime()).toBe(0);
      expect(b.bytes).toBeInstanceOf(Uint8Array);
      expect([...b.bytes]).toEqual([1, 2]);
      expect(b.list).toEqual([{ x: 1 }]);
      rememberWritten('k', { n: 99, nested: { at: new Date(2) } });
      expect((await memoised('k', load)).n).toBe(99);
      forget('k');
      expect((await memoised('k', load)).n).toBe(2);
    });
    // Another request, or no request at all, reads again.
    await withRequestMemo(() => memoised('k', load));
    await memoised('k', load);
    expect(loads).toBe(4);
  });

  it('does not remember a failed read', async () => {
    let calls = 0;
    await withRequestMemo(async () => {
      await expect(memoised('f', async () => Promise.reject(new Error(`fail ${++calls}`)))).rejects.toThrow('fail 1');
      await expect(memoised('f', async () => ++calls)).resolves.toBe(2);
    });
  });
});

describe('client cache', () => {
  it('serves repeated reads from memory and forgets on any write through the database handle', async () => {
    const clientId = 'cache-rp';
    await upsertClient(t.portal.prisma, { clientId, name: 'Cache RP', secret: 's'.repeat(32), redirectUris: ['https://rp.example/cb'] });
    let loads = 0;
    const read = () =>
      cachedClient(clientId, async () => {
        loads++;
        return t.portal.prisma.oidcClient.findUnique({ where: { clientId } });
      });
    const first = await read();
    expect(first?.enabled).toBe(true);
    // What a caller does to its copy never reaches the next caller.
    const metadata = first!.metadata as { redirect_uris: string[] };
    metadata.redirect_uris.push('https://evil.example/cb');
    first!.enabled = false;
    const second = await read();
    expect((second!.metadata as { redirect_uris: string[] }).redirect_uris).toEqual(['https://rp.example/cb']);
    expect(second?.enabled).toBe(true);
    expect(loads).toBe(1);
    // A direct Prisma write (as the admin console or a test makes) clears the cache at once.
    await t.portal.prisma.oidcClient.update({ where: { clientId }, data: { enabled: false } });
    expect((await read())?.enabled).toBe(false);
    expect(loads).toBe(2);
  });
});
