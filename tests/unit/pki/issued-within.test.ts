import { beforeAll, describe, expect, it } from 'vitest';
import { createTrustStore, type TrustStore } from '../../../src/pki/trust/trust-store.ts';
import { issuedWithin } from '../../../src/pki/trust/issued-within.ts';
import { createHpkiTestPki, createJpkiTestPki, type HpkiTestPki, type JpkiTestPki } from '../../../src/pki/test-pki/index.ts';

let hpki: HpkiTestPki;
let jpki: JpkiTestPki;
let hpkiStore: TrustStore;
let jpkiStore: TrustStore;

beforeAll(async () => {
  [hpki, jpki] = await Promise.all([createHpkiTestPki(), createJpkiTestPki()]);
  hpkiStore = await createTrustStore(hpki.trustStoreInput);
  jpkiStore = await createTrustStore({ anchors: [jpki.root.der] });
});

describe('issuedWithin: which hierarchy a certificate claims to come from', () => {
  it('by the issuer name only: an intermediate of the store counts, the anchor too', () => {
    expect(issuedWithin(hpkiStore, hpki.practitioners.valid.der)).toBe(true);
    expect(issuedWithin(jpkiStore, jpki.cards.valid.der)).toBe(true);
    // Revoked or expired: still claims the hierarchy (validation refuses it later).
    expect(issuedWithin(jpkiStore, jpki.cards.revoked.der)).toBe(true);
  });

  it('the other hierarchy and bytes that are no certificate are not in it', () => {
    expect(issuedWithin(hpkiStore, jpki.cards.valid.der)).toBe(false);
    expect(issuedWithin(jpkiStore, hpki.practitioners.valid.der)).toBe(false);
    expect(issuedWithin(jpkiStore, new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00]))).toBe(false);
    expect(issuedWithin(jpkiStore, new Uint8Array(0))).toBe(false);
  });
});
