import { beforeAll, describe, expect, it } from 'vitest';
import { certificateFingerprint, CrlIndex, createTrustStore } from '../../../src/pki/index.ts';
import { crlOrderProblem, isNewerCrl } from '../../../src/pki/revocation/crl-order.ts';
import { readCrlNumber } from '../../../src/pki/revocation/read-crl.ts';
import { createHpkiTestPki, issueCrl } from '../../../src/pki/test-pki/index.ts';
import type { HpkiTestPki } from '../../../src/pki/test-pki/index.ts';

const DAY = 86400_000;

/** Issue 13 rule 9 (RFC 5280 §5.2.3): cRLNumber decides which CRL is newer, not thisUpdate. */
describe('CRL numbers', () => {
  let pki: HpkiTestPki;
  beforeAll(async () => {
    pki = await createHpkiTestPki({ keyAlgorithm: 'ecdsa-p256' });
  });
  const at = (days: number) => new Date(pki.now.getTime() + days * DAY);

  it('reads cRLNumber, up to 20 octets, from the CRL and from its header alone', async () => {
    const crl = await issueCrl({ issuer: pki.authCa, thisUpdate: at(0), nextUpdate: at(1), crlNumber: 4_000_000_000 });
    expect((await CrlIndex.load(crl.der, pki.authCa.certificate)).crlNumber).toBe(4_000_000_000n);
    expect(readCrlNumber(crl.der)).toBe(4_000_000_000n);
  });

  it('orders by number first, by thisUpdate only without numbers', () => {
    expect(isNewerCrl({ crlNumber: 5n, thisUpdate: at(0) }, { crlNumber: 6n, thisUpdate: at(-1) })).toBe(false);
    expect(isNewerCrl({ crlNumber: undefined, thisUpdate: at(0) }, { crlNumber: 6n, thisUpdate: at(-1) })).toBe(true);
  });

  it('names what is out of order: lower, reused, missing, or a higher number dated earlier', () => {
    const held = { crlNumber: 7n, thisUpdate: at(0), sha256: 'a' };
    expect(crlOrderProblem({ crlNumber: 6n, thisUpdate: at(1), sha256: 'b' }, held)).toContain('lower');
    expect(crlOrderProblem({ crlNumber: 7n, thisUpdate: at(1), sha256: 'b' }, held)).toContain('other contents');
    expect(crlOrderProblem({ crlNumber: undefined, thisUpdate: at(1), sha256: 'b' }, held)).toContain('no cRLNumber');
    expect(crlOrderProblem({ crlNumber: 8n, thisUpdate: at(-1), sha256: 'b' }, held)).toContain('earlier');
    expect(crlOrderProblem({ crlNumber: 8n, thisUpdate: at(1), sha256: 'b' }, held)).toBeUndefined();
    expect(crlOrderProblem({ crlNumber: 7n, thisUpdate: at(0), sha256: 'a' }, held)).toBeUndefined();
  });

  it('puts the highest-numbered CRL in force in a trust store, even when a lower one is dated later', async () => {
    const revokes = pki.practitioners.validEcdsa.certificate.serialNumber;
    const higher = await issueCrl({ issuer: pki.authCa, thisUpdate: at(-1), nextUpdate: at(7), crlNumber: 10, revoked: [revokes] });
    const lowerButLater = await issueCrl({ issuer: pki.authCa, thisUpdate: at(0), nextUpdate: at(8), crlNumber: 9 });
    const store = await createTrustStore({ ...pki.trustStoreInput, crls: [pki.rootCrl.der, lowerButLater.der, higher.der] });
    const index = store.crls.get(certificateFingerprint(pki.authCa.certificate))!;
    expect(index.crlNumber).toBe(10n);
    expect(index.isRevoked(revokes)).toBe(true);
  });
});
