/**
 * The lean CRL reader behind CrlIndex.load: the DER walk over revokedCertificates, the header split,
 * and the worker-thread path, checked with real DER from the test PKI, malformed variants of it,
 * and the @peculiar/x509 parser as the reference for what a CRL says.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { DerError, readTlv } from '../../../src/pki/der/read-tlv.ts';
import { PkiError } from '../../../src/pki/errors.ts';
import { locateCrlParts } from '../../../src/pki/revocation/locate-crl-parts.ts';
import { readCrl } from '../../../src/pki/revocation/read-crl.ts';
import { readRevokedCertificates } from '../../../src/pki/revocation/read-revoked-certificates.ts';
import { CrlIndex, normaliseSerialHex, x509 } from '../../../src/pki/index.ts';
import { createHpkiTestPki, issueCrl, issueLargeCrl } from '../../../src/pki/test-pki/index.ts';
import type { HpkiTestPki, IssuedCertificate, RevokedEntry } from '../../../src/pki/test-pki/index.ts';
import type { Bytes } from '../../../src/pki/test-pki/der.ts';
import { concat, craftCrl, crlEntry, entryExtension, integerFromHex, sequence, time, tlv } from './craft-crl.ts';

const DAY = 86400_000;
const REASON_CODE = '2.5.29.21';
const INVALIDITY_DATE = '2.5.29.24';

async function failureOf(promise: Promise<unknown>): Promise<{ code?: string; detail?: string } | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return error as PkiError;
  }
}

/** What the old implementation indexed: @peculiar/x509's entries, keyed by normalised serial. */
function referenceEntries(der: Uint8Array): Map<string, { revokedAt: number; reason: number | undefined }> {
  const crl = new x509.X509Crl(new Uint8Array(der), { berOptions: { maxNodes: Infinity, maxDepth: 100, maxContentLength: Infinity } });
  const map = new Map<string, { revokedAt: number; reason: number | undefined }>();
  for (const entry of crl.entries) map.set(normaliseSerialHex(entry.serialNumber), { revokedAt: entry.revocationDate.getTime(), reason: entry.reason });
  return map;
}

function expectSameEntries(index: CrlIndex, reference: Map<string, { revokedAt: number; reason: number | undefined }>): void {
  expect(index.size).toBe(reference.size);
  for (const [serial, entry] of reference) {
    const found = index.lookup(serial);
    if (found?.revokedAt.getTime() !== entry.revokedAt || found.reason !== entry.reason) {
      expect({ serial, found }).toEqual({ serial, found: { revokedAt: new Date(entry.revokedAt), reason: entry.reason } });
    }
  }
}

/** readRevokedCertificates on a bare revokedCertificates SEQUENCE (no CRL, no signature). */
function walk(...entries: Bytes[]) {
  const der = tlv(0x30, concat(entries));
  return readRevokedCertificates(der, readTlv(der, 0, der.length));
}

describe('CRL reader', () => {
  let pki: HpkiTestPki;
  let issuer: IssuedCertificate;
  let window: { thisUpdate: Date; nextUpdate: Date };
  const revokedAt = new Date('2025-04-01T09:30:00Z');
  const load = (der: Uint8Array, offThread = false) => CrlIndex.load(der, issuer.certificate, { offThread });
  const signed = (...entries: Bytes[]) => craftCrl({ issuer, ...window, revokedContent: concat(entries) });

  beforeAll(async () => {
    pki = await createHpkiTestPki({ keyAlgorithm: 'ecdsa-p256' });
    issuer = pki.authCa;
    window = { thisUpdate: pki.now, nextUpdate: new Date(pki.now.getTime() + DAY) };
  });

  describe('malformed DER', () => {
    it('refuses the test CRL truncated at every position', async () => {
      const der = pki.authCaCrl.der;
      expect((await load(der)).size).toBe(1);
      for (let length = 0; length < der.length; length++) {
        const failure = await failureOf(load(der.subarray(0, length)));
        expect(failure?.code, `truncated to ${length} bytes`).toBe('crl_invalid');
      }
    });

    it('refuses trailing bytes after the CRL', async () => {
      expect((await failureOf(load(concat([pki.authCaCrl.der.slice(), Uint8Array.of(0x00)]))))?.detail).toMatch(/1 bytes follow the CRL/);
      expect((await failureOf(load(concat([pki.authCaCrl.der.slice(), pki.authCaCrl.der.slice()]))))?.code).toBe('crl_invalid');
    });

    it('refuses an outer length that is longer, shorter or huge', async () => {
      const der = pki.authCaCrl.der;
      const outer = readTlv(der, 0, der.length);
      const length = outer.end - outer.contentStart;
      const withLength = (lengthOctets: number[]) => concat([Uint8Array.of(0x30, ...lengthOctets), der.slice(outer.contentStart)]);
      const encode = (n: number) => (n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff]);
      expect(length).toBeGreaterThan(0x100);
      for (const octets of [encode(length + 1), encode(length - 1), [0x84, 0xff, 0xff, 0xff, 0xff], [0x83, 0x00, length >> 8, length & 0xff], [0x80]]) {
        expect((await failureOf(load(withLength(octets))))?.code, JSON.stringify(octets)).toBe('crl_invalid');
      }
    });

    it('refuses indefinite lengths, in the CRL and in an entry', async () => {
      const der = pki.authCaCrl.der;
      const outer = readTlv(der, 0, der.length);
      const indefinite = concat([Uint8Array.of(0x30, 0x80), der.slice(outer.contentStart), Uint8Array.of(0, 0)]);
      expect((await failureOf(load(indefinite)))?.detail).toMatch(/indefinite length/);
      const entry = concat([Uint8Array.of(0x30, 0x80), integerFromHex('0a'), time(revokedAt), Uint8Array.of(0, 0)]);
      expect((await failureOf(load(signed(entry))))?.detail).toMatch(/indefinite length/);
    });

    it('refuses entries whose lengths lie', () => {
      const entry = crlEntry(integerFromHex('0a'), time(revokedAt));
      const longer = Uint8Array.from(entry);
      longer[1]! += 1;
      const shorter = Uint8Array.from(entry);
      shorter[1]! -= 1;
      const serialLonger = Uint8Array.from(entry);
      serialLonger[3]! += 1;
      for (const bad of [longer, shorter, serialLonger, concat([entry, Uint8Array.of(0x30)]), concat([entry, Uint8Array.of(0x30, 0x84, 0x7f, 0xff, 0xff, 0xff)])]) {
        expect(() => walk(bad)).toThrow(DerError);
      }
      expect(walk(entry).size).toBe(1);
    });

    it('refuses fields out of order or repeated in tbsCertList', () => {
      const entries = tlv(0x30, crlEntry(integerFromHex('0a'), time(revokedAt)));
      const algorithm = sequence(tlv(0x06, Uint8Array.of(0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02)));
      const name = sequence();
      const crl = (...tbs: Bytes[]) => sequence(sequence(...tbs), algorithm, tlv(0x03, Uint8Array.of(0)));
      expect(locateCrlParts(crl(algorithm, name, time(revokedAt), time(revokedAt), entries)).revokedCertificates).toBeDefined();
      expect(locateCrlParts(crl(algorithm, name, time(revokedAt))).revokedCertificates).toBeUndefined();
      expect(() => locateCrlParts(crl(algorithm, name, time(revokedAt), entries, entries))).toThrow(/unexpected element/);
      expect(() => locateCrlParts(crl(algorithm, name, entries))).toThrow(/no thisUpdate/);
      expect(() => locateCrlParts(sequence(sequence(algorithm, name, time(revokedAt)), algorithm))).toThrow(/exactly/);
    });
  });

  describe('entries', () => {
    it('refuses a serial that is not an INTEGER, or an empty one', async () => {
      const octetString = crlEntry(tlv(0x04, Uint8Array.of(0x0a)), time(revokedAt));
      expect((await failureOf(load(signed(octetString))))?.detail).toMatch(/userCertificate: expected tag 0x02/);
      const empty = crlEntry(tlv(0x02, new Uint8Array(0)), time(revokedAt));
      expect((await failureOf(load(signed(empty))))?.detail).toMatch(/empty INTEGER/);
    });

    it('refuses an entry with a bad revocationDate or an extra element', async () => {
      for (const entry of [
        crlEntry(integerFromHex('0a'), tlv(0x17, new TextEncoder().encode('2504010930Z'))),
        crlEntry(integerFromHex('0a'), tlv(0x04, new TextEncoder().encode('250401093000Z'))),
        sequence(integerFromHex('0a'), time(revokedAt), sequence(), sequence()),
        sequence(integerFromHex('0a')),
      ]) {
        expect((await failureOf(load(signed(entry))))?.code).toBe('crl_invalid');
      }
    });

    it('refuses a critical entry extension it does not know, and ignores a non-critical one', async () => {
      const unknown = (critical: boolean) => crlEntry(integerFromHex('0a'), time(revokedAt), sequence(entryExtension('1.2.3.4.5', critical, Uint8Array.of(0x05, 0x00))));
      expect(await failureOf(load(signed(unknown(true))))).toMatchObject({ code: 'crl_invalid', detail: 'unsupported critical CRL entry extension 1.2.3.4.5' });
      expect((await load(signed(unknown(false)))).isRevoked('0a')).toBe(true);
      // The same with the library's own generator.
      const generated = await x509.X509CrlGenerator.create({
        issuer: issuer.certificate.subjectName,
        ...window,
        signingKey: issuer.keys.privateKey,
        signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' } as EcdsaParams,
        entries: [{ serialNumber: '0b', revocationDate: revokedAt, extensions: [new x509.Extension('1.2.3.4.6', true, Uint8Array.of(0x05, 0x00))] }],
      });
      expect(await failureOf(load(new Uint8Array(generated.rawData)))).toMatchObject({ code: 'crl_invalid', detail: 'unsupported critical CRL entry extension 1.2.3.4.6' });
    });

    it('reads reasonCode, accepts critical reasonCode and invalidityDate, and keeps the first reasonCode', async () => {
      const reason = (code: number) => tlv(0x0a, Uint8Array.of(code));
      const crl = signed(
        crlEntry(integerFromHex('01'), time(revokedAt), sequence(entryExtension(REASON_CODE, false, reason(0)))),
        crlEntry(integerFromHex('02'), time(revokedAt), sequence(entryExtension(REASON_CODE, true, reason(10)))),
        crlEntry(integerFromHex('03'), time(revokedAt), sequence(entryExtension(INVALIDITY_DATE, true, tlv(0x18, new TextEncoder().encode('20250301000000Z'))))),
        crlEntry(integerFromHex('04'), time(revokedAt), sequence(entryExtension(REASON_CODE, false, reason(1)), entryExtension(REASON_CODE, false, reason(4)))),
        crlEntry(integerFromHex('05'), time(revokedAt), sequence()),
      );
      const index = await load(crl);
      expect(index.lookup('01')).toEqual({ revokedAt, reason: 0 });
      expect(index.lookup('02')).toEqual({ revokedAt, reason: 10 });
      expect(index.lookup('03')).toEqual({ revokedAt, reason: undefined });
      expect(index.lookup('04')?.reason).toBe(1);
      expect(index.lookup('05')).toEqual({ revokedAt, reason: undefined });
      expectSameEntries(index, referenceEntries(crl));
    });

    it('refuses malformed entry extensions', () => {
      const entry = (extensions: Bytes) => crlEntry(integerFromHex('0a'), time(revokedAt), extensions);
      const oid = tlv(0x06, Uint8Array.of(0x55, 0x1d, 0x15));
      const value = tlv(0x04, tlv(0x0a, Uint8Array.of(1)));
      for (const [label, extensions] of [
        ['BOOLEAN that is not 00 or ff', sequence(sequence(oid, tlv(0x01, Uint8Array.of(0x01)), value))],
        ['extnValue not an OCTET STRING', sequence(sequence(oid, tlv(0x0a, Uint8Array.of(1))))],
        ['element after extnValue', sequence(sequence(oid, value, value))],
        ['empty extnID', sequence(sequence(tlv(0x06, new Uint8Array(0)), value))],
        ['reasonCode not ENUMERATED', sequence(sequence(oid, tlv(0x04, tlv(0x02, Uint8Array.of(1)))))],
        ['reasonCode with trailing octets', sequence(sequence(oid, tlv(0x04, concat([tlv(0x0a, Uint8Array.of(1)), Uint8Array.of(0)]))))],
        ['invalidityDate as UTCTime', sequence(sequence(tlv(0x06, Uint8Array.of(0x55, 0x1d, 0x18)), tlv(0x04, time(revokedAt))))],
        ['crlEntryExtensions not a SEQUENCE', tlv(0x31, new Uint8Array(0))],
      ] as const) {
        expect(() => walk(entry(extensions)), label).toThrow(DerError);
      }
      for (const code of [Uint8Array.of(0xff), Uint8Array.of(0x01, 0x00), Uint8Array.of(0, 0, 1)]) {
        const extensions = sequence(sequence(oid, tlv(0x04, tlv(0x0a, code))));
        expect(() => walk(entry(extensions))).toThrow(PkiError);
      }
    });

    it('normalises serials as normaliseSerialHex does, and keeps the last of a duplicated serial', async () => {
      const later = new Date(revokedAt.getTime() + 60_000);
      const crl = signed(
        crlEntry(tlv(0x02, Uint8Array.of(0x00, 0x00, 0xab)), time(revokedAt)),
        crlEntry(tlv(0x02, Uint8Array.of(0x00)), time(revokedAt)),
        crlEntry(tlv(0x02, Uint8Array.of(0xff, 0x01)), time(revokedAt)),
        crlEntry(integerFromHex('80'), time(revokedAt)),
        crlEntry(integerFromHex('80'), time(later)),
      );
      const index = await load(crl);
      expect(index.isRevoked('ab')).toBe(true);
      expect(index.isRevoked('00')).toBe(true);
      expect(index.isRevoked('ff01')).toBe(true);
      expect(index.lookup('0080')?.revokedAt).toEqual(later);
      expectSameEntries(index, referenceEntries(crl));
    });

    it('accepts an empty revokedCertificates SEQUENCE', async () => {
      expect((await load(craftCrl({ issuer, ...window, revokedContent: new Uint8Array(0) }))).size).toBe(0);
    });

    it('checks the signature before reading entries', async () => {
      const crl = signed(crlEntry(tlv(0x04, Uint8Array.of(0x0a)), time(revokedAt)));
      const failure = await failureOf(CrlIndex.load(crl, pki.untrusted.authCa.certificate));
      expect(failure?.detail).toMatch(/signature does not verify/);
    });
  });

  describe('agreement with @peculiar/x509', () => {
    it('gives the same entries for a 1,000-entry CRL from the library generator', async () => {
      const reasons = [1, 2, 3, 4, 5, 6, 8, 9, 10];
      const revoked: RevokedEntry[] = Array.from({ length: 1000 }, (_, i) => ({
        // Short, long, high-bit (encoded with a leading 00) and sequential serials.
        serialNumber: i % 4 === 0 ? (i + 1).toString(16) : i % 4 === 1 ? `80${i.toString(16).padStart(6, '0')}` : `${(i * 7919).toString(16)}${'3c'.repeat(i % 19)}`,
        // UTCTime, and GeneralizedTime from 2050 on.
        revocationDate: new Date((i % 10 === 0 ? Date.UTC(2051, 0, 1) : Date.UTC(2025, 0, 1)) + i * 1000),
        reason: i % 3 === 0 ? undefined : reasons[i % reasons.length],
      }));
      const crl = await issueCrl({ issuer, ...window, revoked });
      const reference = referenceEntries(crl.der);
      expect(reference.size).toBe(1000);
      expectSameEntries(await load(crl.der), reference);
      expectSameEntries(await load(crl.der, true), reference);
      expect((await load(crl.der)).isRevoked('123456789')).toBe(false);
    });

    it('gives the same header and entries for the test PKI CRLs (RSA and ECDSA), DER and PEM', async () => {
      const rsaPki = await createHpkiTestPki({ keyAlgorithm: 'rsa-2048' });
      for (const [crl, ca] of [
        [pki.authCaCrl, pki.authCa],
        [pki.rootCrl, pki.root],
        [rsaPki.authCaCrl, rsaPki.authCa],
      ] as const) {
        for (const input of [crl.der, crl.pem, Buffer.from(crl.pem)]) {
          const index = await CrlIndex.load(input, [pki.signCa.certificate, ca.certificate]);
          expect(index.issuer).toBe(ca.certificate);
          expect(index.thisUpdate).toEqual(crl.crl.thisUpdate);
          expect(index.nextUpdate).toEqual(crl.crl.nextUpdate);
          expectSameEntries(index, referenceEntries(crl.der));
        }
      }
    });
  });

  describe('off the event loop', () => {
    it('gives the same index in a worker thread as inline', async () => {
      const inline = await load(pki.authCaCrl.der, false);
      const worker = await load(pki.authCaCrl.der, true);
      expect(worker.issuer).toBe(inline.issuer);
      expect({ ...worker, size: worker.size }).toEqual({ ...inline, size: inline.size });
      expect(worker.lookup(pki.practitioners.revoked.certificate.serialNumber)).toEqual(inline.lookup(pki.practitioners.revoked.certificate.serialNumber));
      expect(Object.isFrozen(worker)).toBe(true);
    });

    it('reports the same errors from the worker', async () => {
      const cases: Array<[Uint8Array, x509.X509Certificate]> = [
        [pki.authCaCrl.der, pki.untrusted.authCa.certificate],
        [pki.authCaCrl.der.subarray(0, 100), pki.authCa.certificate],
        [signed(crlEntry(tlv(0x02, new Uint8Array(0)), time(revokedAt))), pki.authCa.certificate],
      ];
      for (const [der, ca] of cases) {
        const inline = await failureOf(CrlIndex.load(der, ca, { offThread: false }));
        const worker = await failureOf(CrlIndex.load(der, ca, { offThread: true }));
        expect(worker).toBeInstanceOf(PkiError);
        expect({ code: worker?.code, detail: worker?.detail }).toEqual({ code: inline?.code, detail: inline?.detail });
      }
    });

    it('leaves the caller’s buffer usable', async () => {
      const buffer = pki.authCaCrl.der.slice().buffer;
      await CrlIndex.load(buffer, pki.authCa.certificate, { offThread: true });
      expect(buffer.byteLength).toBe(pki.authCaCrl.der.byteLength);
      const bytes = Buffer.from(pki.authCaCrl.der);
      await CrlIndex.load(bytes, pki.authCa.certificate, { offThread: true });
      expect(bytes.byteLength).toBe(pki.authCaCrl.der.byteLength);
    });

    it('reads a CRL over 1 MB (off-thread by default) like the library does', async () => {
      const serials = Array.from({ length: 50_000 }, (_, i) => (0x7f00_0000 - i * 13).toString(16));
      const crl = await issueLargeCrl({ issuer, ...window, revokedSerials: serials });
      expect(crl.der.byteLength).toBeGreaterThan(1024 * 1024);
      const index = await CrlIndex.load(crl.der, issuer.certificate);
      expectSameEntries(index, referenceEntries(crl.der));
      const inline = await readCrl(crl.der, [issuer.certificate]);
      expect(inline.revoked.size).toBe(index.size);
    });
  });
});
