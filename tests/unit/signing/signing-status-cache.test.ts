import { describe, expect, it } from 'vitest';
import { SigningStatusCache, VALID_STATUS_KEPT_MS } from '../../../src/signing/signing-status-cache.ts';
import type { SigningCertificateStatus, SigningCertificateStatusDependencies } from '../../../src/signing/signing-certificate-status.ts';
import type { TrustStore } from '../../../src/pki/trust/trust-store.ts';

/** A check that answers what the test says and counts how often it was asked, and with which store. */
function scriptedCheck(answers: SigningCertificateStatus[]) {
  const calls: { store: unknown; at: number }[] = [];
  const check = async (deps: SigningCertificateStatusDependencies, _der: Uint8Array, now = new Date()) => {
    calls.push({ store: await deps.trust.get('hpki'), at: now.getTime() });
    return answers[Math.min(calls.length - 1, answers.length - 1)]!;
  };
  return { check, calls };
}

const t0 = new Date('2026-12-07T00:00:00Z');
const later = (ms: number) => new Date(t0.getTime() + ms);
const farFuture = new Date('2030-01-01T00:00:00Z');
const certA = new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]);
const certB = new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x02]);
const store = () => ({ anchors: [] }) as unknown as TrustStore;
const depsWith = (current: { store: TrustStore | null }): SigningCertificateStatusDependencies => ({ trust: { get: async () => current.store }, ocsp: true });

describe('SigningStatusCache', () => {
  it('keeps a valid status for a minute, then checks again', async () => {
    const { check, calls } = scriptedCheck([{ status: 'valid', notAfter: farFuture }]);
    const cache = new SigningStatusCache(check);
    const deps = depsWith({ store: store() });
    expect((await cache.status(deps, certA, t0)).status).toBe('valid');
    expect((await cache.status(deps, certA, later(VALID_STATUS_KEPT_MS - 1))).status).toBe('valid');
    expect(calls).toHaveLength(1);
    await cache.status(deps, certA, later(VALID_STATUS_KEPT_MS));
    expect(calls).toHaveLength(2);
  });

  it('a revocation is seen at the next check after the minute; revoked is never kept', async () => {
    const { check, calls } = scriptedCheck([{ status: 'valid', notAfter: farFuture }, { status: 'revoked', detail: 'OCSP: revoked' }]);
    const cache = new SigningStatusCache(check);
    const deps = depsWith({ store: store() });
    await cache.status(deps, certA, t0);
    expect((await cache.status(deps, certA, later(VALID_STATUS_KEPT_MS + 1))).status).toBe('revoked');
    expect((await cache.status(deps, certA, later(VALID_STATUS_KEPT_MS + 2))).status).toBe('revoked');
    expect(calls).toHaveLength(3);
  });

  it('unknown and expired are asked again every time (fail closed, no memory of a failure either)', async () => {
    for (const answer of [
      { status: 'unknown', code: 'revocation_unavailable', detail: 'OCSP unreachable' },
      { status: 'expired', notAfter: t0 },
    ] as SigningCertificateStatus[]) {
      const { check, calls } = scriptedCheck([answer]);
      const cache = new SigningStatusCache(check);
      const deps = depsWith({ store: store() });
      await cache.status(deps, certA, t0);
      await cache.status(deps, certA, later(1));
      expect(calls).toHaveLength(2);
    }
  });

  it('new trust material (a new store, e.g. a new CRL) checks everything again at once', async () => {
    const { check, calls } = scriptedCheck([{ status: 'valid', notAfter: farFuture }, { status: 'revoked', detail: 'CRL' }]);
    const cache = new SigningStatusCache(check);
    const current = { store: store() as TrustStore | null };
    const deps = depsWith(current);
    await cache.status(deps, certA, t0);
    const replaced = store();
    current.store = replaced;
    expect((await cache.status(deps, certA, later(1))).status).toBe('revoked');
    expect(calls.map((c) => c.store)).toEqual([calls[0]!.store, replaced]);
  });

  it('never keeps a status past the certificate’s notAfter', async () => {
    const notAfter = later(10_000);
    const { check, calls } = scriptedCheck([{ status: 'valid', notAfter }, { status: 'expired', notAfter }]);
    const cache = new SigningStatusCache(check);
    const deps = depsWith({ store: store() });
    await cache.status(deps, certA, t0);
    expect((await cache.status(deps, certA, later(9_999))).status).toBe('valid');
    expect((await cache.status(deps, certA, later(10_000))).status).toBe('expired');
    expect(calls).toHaveLength(2);
  });

  it('each certificate has its own entry; without a trust store nothing is kept', async () => {
    const { check, calls } = scriptedCheck([{ status: 'valid', notAfter: farFuture }]);
    const cache = new SigningStatusCache(check);
    const deps = depsWith({ store: store() });
    await cache.status(deps, certA, t0);
    await cache.status(deps, certB, t0);
    expect(calls).toHaveLength(2);
    const none = depsWith({ store: null });
    const unknown = scriptedCheck([{ status: 'unknown', code: 'trust_store_unavailable', detail: 'no anchor' }]);
    const empty = new SigningStatusCache(unknown.check);
    await empty.status(none, certA, t0);
    await empty.status(none, certA, t0);
    expect(unknown.calls).toHaveLength(2);
  });

  it('is bounded: past the limit it starts over', async () => {
    const { check, calls } = scriptedCheck([{ status: 'valid', notAfter: farFuture }]);
    const cache = new SigningStatusCache(check, VALID_STATUS_KEPT_MS, 2);
    const deps = depsWith({ store: store() });
    await cache.status(deps, certA, t0);
    await cache.status(deps, certB, t0);
    await cache.status(deps, new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x03]), t0); // clears, keeps only this one
    await cache.status(deps, certA, t0);
    expect(calls).toHaveLength(4);
  });
});
