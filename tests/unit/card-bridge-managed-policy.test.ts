/**
 * The extension's reading of the enterprise policy (bridge/extension/src/managed-policy.ts) against
 * Chromium's managed storage as it behaves at browser start: a slow first answer, "no policy" ({})
 * before the policy service is ready, and no storage.onChanged when the policy then arrives.
 */
import { describe, expect, it } from 'vitest';
import { managedPolicy, validOrigins } from '../../bridge/extension/src/managed-policy.ts';

const simpleOrigins = (value: unknown[]) => value.filter((o): o is string => typeof o === 'string' && /^https?:\/\/[^/]+$/.test(o));

/** A managed storage whose answers the test sets, counting reads; `hold` keeps the next read pending. */
function fakeStorage() {
  const storage = {
    value: {} as Record<string, unknown>,
    reads: 0,
    failWith: undefined as Error | undefined,
    held: [] as (() => void)[],
    hold: false,
    read: async (key: string): Promise<Record<string, unknown>> => {
      storage.reads++;
      const value = storage.value; // what the browser knew when asked
      if (storage.hold) await new Promise<void>((resolve) => storage.held.push(resolve));
      if (storage.failWith) throw storage.failWith;
      return key in value ? { [key]: value[key] } : {};
    },
    release() {
      for (const resolve of storage.held.splice(0)) resolve();
    },
  };
  return storage;
}

function setup() {
  const storage = fakeStorage();
  let clock = 1_000;
  const policy = managedPolicy({ read: (k) => storage.read(k), normalise: simpleOrigins, recheckMs: 2_000, now: () => clock });
  return { storage, policy, advance: (ms: number) => (clock += ms) };
}

describe('the enterprise policy as the extension knows it', () => {
  it('a policy that is read is kept, without reading again, until the managed area changes', async () => {
    const { storage, policy, advance } = setup();
    storage.value = { allowedOrigins: ['https://sso.example.jp', 'not an origin', 42] };
    expect(await policy.origins()).toEqual(['https://sso.example.jp']);
    advance(60_000);
    expect(await policy.origins()).toEqual(['https://sso.example.jp']);
    expect(storage.reads).toBe(1);

    storage.value = { allowedOrigins: ['https://other.example.jp'] };
    policy.changed();
    expect(await policy.origins()).toEqual(['https://other.example.jp']);
    expect(storage.reads).toBe(2);
  });

  it('"no policy" before the policy service is ready is asked again once it is old, and the late policy wins without onChanged', async () => {
    const { storage, policy, advance } = setup();
    expect(await policy.origins()).toBeNull();
    advance(1_999);
    expect(await policy.origins()).toBeNull();
    expect(storage.reads).toBe(1); // not older than recheckMs: answered from memory

    storage.value = { allowedOrigins: ['https://sso.example.jp'] }; // the policy arrives, no event
    advance(1);
    expect(await policy.origins()).toEqual(['https://sso.example.jp']);
    expect(storage.reads).toBe(2);
    advance(60_000);
    expect(await policy.origins()).toEqual(['https://sso.example.jp']);
    expect(storage.reads).toBe(2);
  });

  it('an empty list in the policy is a policy (nobody may use the bridge), not "no policy"', async () => {
    const { storage, policy, advance } = setup();
    storage.value = { allowedOrigins: [] };
    expect(await policy.origins()).toEqual([]);
    advance(10_000);
    expect(await policy.origins()).toEqual([]);
    expect(storage.reads).toBe(1);
  });

  it('a value that is not a list, and a storage that rejects (Firefox without policy), are "no policy", asked again later', async () => {
    const { storage, policy, advance } = setup();
    storage.value = { allowedOrigins: 'https://sso.example.jp' };
    expect(await policy.origins()).toBeNull();
    storage.value = {};
    storage.failWith = new Error('Managed storage manifest not found');
    advance(2_000);
    expect(await policy.origins()).toBeNull();
    expect(storage.reads).toBe(2);
  });

  it('callers during a slow first read share it; none starts another', async () => {
    const { storage, policy, advance } = setup();
    storage.hold = true;
    storage.value = { allowedOrigins: ['https://sso.example.jp'] };
    const first = policy.origins();
    advance(5_000);
    const second = policy.origins();
    expect(storage.reads).toBe(1);
    storage.release();
    expect(await first).toEqual(['https://sso.example.jp']);
    expect(await second).toEqual(['https://sso.example.jp']);
  });

  it('a read that was under way when the managed area changed does not mark the newer state as "no policy"', async () => {
    const { storage, policy, advance } = setup();
    storage.hold = true;
    const stale = policy.origins(); // will answer {}
    policy.changed();
    storage.hold = false;
    storage.value = { allowedOrigins: ['https://sso.example.jp'] };
    const fresh = policy.origins();
    storage.release();
    expect(await stale).toBeNull();
    expect(await fresh).toEqual(['https://sso.example.jp']);
    advance(10_000);
    expect(await policy.origins()).toEqual(['https://sso.example.jp']);
    expect(storage.reads).toBe(2);
  });

  it('by default the policy keeps what is an origin: no paths, no plain http but for localhost, no other schemes, no non-strings', async () => {
    expect(validOrigins('https://sso.example.jp')).toEqual([]);
    expect(validOrigins(null)).toEqual([]);
    expect(validOrigins(['https://sso.example.jp', 'http://localhost:3000', 'https://sso.example.jp/path', 'http://ehr.example.jp', 'file:///etc', 'javascript:alert(1)', 7, null])).toEqual([
      'https://sso.example.jp',
      'http://localhost:3000',
    ]);
    const storage = fakeStorage();
    storage.value = { allowedOrigins: ['https://ehr.example.jp', 'ftp://ehr.example.jp'] };
    expect(await managedPolicy({ read: (k) => storage.read(k), recheckMs: 2_000 }).origins()).toEqual(['https://ehr.example.jp']);
  });
});
