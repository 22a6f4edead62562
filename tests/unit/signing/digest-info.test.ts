import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { encodeDigestInfo } from '../../../src/signing/digest-info.ts';
import { ecdsaRawToDer } from '../../../src/signing/ecdsa-signature.ts';
import { checkDigest, KeyStoreError, type HashAlgorithm } from '../../../src/signing/key-store.ts';

// RFC 8017 §9.2, note 1: the DER prefixes of DigestInfo for each hash.
const RFC8017_PREFIX: Record<HashAlgorithm, string> = {
  'SHA-256': '3031300d060960864801650304020105000420',
  'SHA-384': '3041300d060960864801650304020205000430',
  'SHA-512': '3051300d060960864801650304020305000440',
};
const LENGTH: Record<HashAlgorithm, number> = { 'SHA-256': 32, 'SHA-384': 48, 'SHA-512': 64 };

describe('encodeDigestInfo', () => {
  for (const hash of Object.keys(RFC8017_PREFIX) as HashAlgorithm[]) {
    it(`is the RFC 8017 prefix followed by the digest for ${hash}`, () => {
      const digest = crypto.randomBytes(LENGTH[hash]);
      expect(encodeDigestInfo(hash, digest).toString('hex')).toBe(RFC8017_PREFIX[hash] + digest.toString('hex'));
    });
  }

  it('refuses a digest whose length is not its hash algorithm’s', () => {
    for (const [hash, length] of [['SHA-256', 31], ['SHA-256', 48], ['SHA-384', 32], ['SHA-512', 0], ['SHA-512', 65]] as const) {
      expect(() => encodeDigestInfo(hash, new Uint8Array(length))).toThrow(expect.objectContaining({ code: 'signing_digest_invalid' }));
    }
  });

  it('refuses an unknown hash algorithm', () => {
    expect(() => checkDigest('SHA-1' as HashAlgorithm, new Uint8Array(20))).toThrow(KeyStoreError);
    expect(() => checkDigest('toString' as HashAlgorithm, new Uint8Array(20))).toThrow(expect.objectContaining({ code: 'signing_algorithm_unsupported' }));
  });
});

describe('ecdsaRawToDer', () => {
  it('turns a token’s r‖s into the DER signature node:crypto verifies', () => {
    const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const data = Buffer.from('e-prescription');
    const raw = crypto.sign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' });
    const der = ecdsaRawToDer(raw);
    expect(der[0]).toBe(0x30);
    expect(crypto.verify('sha256', data, { key: publicKey, dsaEncoding: 'der' }, der)).toBe(true);
  });

  it('keeps r and s positive when their top bit is set', () => {
    const raw = new Uint8Array(64).fill(0x80);
    const der = Buffer.from(ecdsaRawToDer(raw)).toString('hex');
    expect(der).toBe(`3046022100${'80'.repeat(32)}022100${'80'.repeat(32)}`);
  });

  it('refuses anything but 64 bytes', () => {
    expect(() => ecdsaRawToDer(new Uint8Array(63))).toThrow();
    expect(() => ecdsaRawToDer(new Uint8Array(96))).toThrow();
  });
});
