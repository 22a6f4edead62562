import { beforeAll, describe, expect, it } from 'vitest';
import { createTrustStore, validateCertificate } from '../../../src/pki/index.ts';
import type { TrustStore } from '../../../src/pki/index.ts';
import type { RevocationChecker } from '../../../src/pki/revocation/revocation-checker.ts';
import { DerMemo } from '../../../src/pki/der-memo.ts';
import { checkedCertificateCount, parseCheckedCertificate } from '../../../src/pki/validation/checked-certificates.ts';
import { nonConformingTestPki } from '../../../src/pki/test-pki/index.ts';
import type { HpkiTestPki, NonConformingCertificates } from '../../../src/pki/test-pki/index.ts';

/**
 * Issue 18: what depends on a certificate's bytes alone is worked out once per certificate; every
 * step that depends on the time, the trust store, its rules or revocation still runs every time.
 */
describe('certificates remembered after the content checks', () => {
  let pki: HpkiTestPki, nc: NonConformingCertificates, store: TrustStore;
  beforeAll(async () => ({ pki, nc, store } = await nonConformingTestPki()));

  it('parses the same bytes once and hands back the same certificate, from a Uint8Array or an ArrayBuffer', () => {
    const der = pki.practitioners.twoHcRoles.der;
    const before = checkedCertificateCount();
    const first = parseCheckedCertificate(der);
    expect(checkedCertificateCount()).toBe(before + 1);
    expect(parseCheckedCertificate(new Uint8Array(der))).toBe(first);
    expect(parseCheckedCertificate(new Uint8Array(der).slice().buffer)).toBe(first);
    expect(checkedCertificateCount()).toBe(before + 1);
  });

  it('does not remember a certificate that fails a content check, and refuses it again with the same code', async () => {
    const before = checkedCertificateCount();
    for (let i = 0; i < 2; i++) {
      expect(() => parseCheckedCertificate(nc.certificates.nulInCommonName.der)).toThrow(expect.objectContaining({ code: 'certificate_name_invalid' }));
      expect(await validateCertificate(nc.certificates.nulInCommonName.der, { trustStore: store, profile: 'hpki-auth', now: pki.now })).toMatchObject({
        ok: false,
        code: 'certificate_name_invalid',
      });
    }
    expect(checkedCertificateCount()).toBe(before);
  });

  it('refuses malformed, oversized and non-binary input without remembering it', () => {
    const before = checkedCertificateCount();
    const truncated = pki.practitioners.valid.der.slice(0, 200);
    expect(() => parseCheckedCertificate(truncated)).toThrow(expect.objectContaining({ code: 'certificate_malformed' }));
    expect(() => parseCheckedCertificate(new Uint8Array(17 * 1024))).toThrow(expect.objectContaining({ code: 'certificate_too_large' }));
    expect(() => parseCheckedCertificate('MIIB')).toThrow(expect.objectContaining({ code: 'certificate_malformed' }));
    // One flipped byte is another certificate: parsed afresh (and refused, its signature no longer matches).
    const flipped = new Uint8Array(pki.practitioners.valid.der);
    flipped[flipped.length - 5]! ^= 0xff;
    expect(checkedCertificateCount()).toBe(before);
    expect(parseCheckedCertificate(flipped)).not.toBe(parseCheckedCertificate(pki.practitioners.valid.der));
  });

  describe('a remembered certificate is still validated at every call', () => {
    const der = () => pki.practitioners.valid.der;
    beforeAll(async () => {
      const first = await validateCertificate(der(), { trustStore: store, profile: 'hpki-auth', now: pki.now });
      if (!first.ok) throw new Error(`${first.code}: ${first.detail}`);
    });

    it('against the validation time', async () => {
      const after = new Date(pki.practitioners.valid.certificate.notAfter.getTime() + 1000);
      const before = new Date(pki.practitioners.valid.certificate.notBefore.getTime() - 1000);
      expect(await validateCertificate(der(), { trustStore: store, profile: 'hpki-auth', now: after })).toMatchObject({ ok: false, code: 'certificate_expired' });
      expect(await validateCertificate(der(), { trustStore: store, profile: 'hpki-auth', now: before })).toMatchObject({ ok: false, code: 'certificate_not_yet_valid' });
    });

    it('against revocation', async () => {
      const revoked: RevocationChecker = {
        name: 'test',
        check: async () => ({ status: 'revoked', source: 'test', revokedAt: pki.now }),
      };
      expect(await validateCertificate(der(), { trustStore: store, profile: 'hpki-auth', now: pki.now, revocationCheckers: [revoked] })).toMatchObject({
        ok: false,
        code: 'certificate_revoked',
      });
      const silent: RevocationChecker = {
        name: 'test',
        check: async () => ({ status: 'unknown', source: 'test', code: 'ocsp_unavailable', detail: 'no answer' }),
      };
      expect(await validateCertificate(der(), { trustStore: store, profile: 'hpki-auth', now: pki.now, revocationCheckers: [silent] })).toMatchObject({
        ok: false,
        code: 'ocsp_unavailable',
      });
    });

    it('against the trust store it is given', async () => {
      // The issuing CA removed from the store (as when an administrator withdraws it).
      const otherStore = await createTrustStore({ ...pki.trustStoreInput, intermediates: [pki.signCa.der], crls: [pki.rootCrl.der, pki.signCaCrl.der] });
      expect(await validateCertificate(der(), { trustStore: otherStore, profile: 'hpki-auth', now: pki.now })).toMatchObject({
        ok: false,
        code: 'certificate_untrusted',
      });
    });

    it("against the store's key-size rule and the profile", async () => {
      expect(await validateCertificate(der(), { trustStore: store, profile: 'hpki-auth', now: pki.now, rules: { minRsaBits: 3072 } })).toMatchObject({
        ok: false,
        code: 'certificate_key_too_weak',
      });
      expect(await validateCertificate(der(), { trustStore: store, profile: 'jpki-auth', now: pki.now })).toMatchObject({ ok: false });
      expect(await validateCertificate(der(), { trustStore: store, profile: 'hpki-auth', now: pki.now })).toMatchObject({ ok: true });
    });

    it('and what it shares between validations cannot be changed by a caller', async () => {
      const result = await validateCertificate(der(), { trustStore: store, profile: 'hpki-auth', now: pki.now });
      if (!result.ok) throw new Error(result.code);
      expect(() => (result.hcRoles as unknown as unknown[]).push({})).toThrow(TypeError);
      expect(() => Object.assign(result.hcRoles[0]!, { role: 'Pharmacist' })).toThrow(TypeError);
      expect(() => Object.assign(result.subject, { commonName: 'Someone Else' })).toThrow(TypeError);
      expect(() => Object.assign(result.subject.kanji!, { familyName: '別人' })).toThrow(TypeError);
      const again = await validateCertificate(der(), { trustStore: store, profile: 'hpki-auth', now: pki.now });
      expect(again.ok && again.subject.commonName).toBe('Taro Iryo');
      expect(again.ok && again.hcRoles.map((r) => r.role)).toEqual(['Medical Doctor']);
    });
  });
});

describe('DerMemo', () => {
  const bytes = (n: number) => new Uint8Array([0x30, 0x01, n]);

  it('keeps at most max entries and forgets the least recently used first', () => {
    const memo = new DerMemo<{ n: number }>(2);
    let derived = 0;
    const get = (n: number) => memo.get(bytes(n), () => ({ n: (derived++, n) }));
    const one = get(1);
    get(2);
    expect(get(1)).toBe(one); // 1 is now the most recent
    get(3); // evicts 2
    expect(memo.size).toBe(2);
    expect(derived).toBe(3);
    get(2);
    expect(derived).toBe(4);
    expect(get(1)).not.toBe(one); // evicted by 2's return
  });

  it('does not keep what derive() threw', () => {
    const memo = new DerMemo<object>(4);
    expect(() => memo.get(bytes(1), () => { throw new Error('bad'); })).toThrow('bad');
    expect(memo.size).toBe(0);
    expect(memo.get(bytes(1), () => ({ ok: true }))).toEqual({ ok: true });
  });
});
