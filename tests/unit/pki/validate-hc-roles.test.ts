import { beforeAll, describe, expect, it } from 'vitest';
import { acceptedHcRoles, acceptedHcRoleSchemes, isAcceptedHcRoleScheme, validateCertificate, validateHcRoles } from '../../../src/pki/index.ts';
import type { TrustStore } from '../../../src/pki/index.ts';
import { checkServicePolicy } from '../../../src/clients/service-policy.ts';
import { hcRoleClaim } from '../../../src/oidc/account.ts';
import { ACR } from '../../../src/auth/assurance.ts';
import { FOREIGN_HCROLE_SCHEME, issuePractitionerCertificate, nonConformingTestPki } from '../../../src/pki/test-pki/index.ts';
import type { HpkiTestPki, NonConformingCertificates } from '../../../src/pki/test-pki/index.ts';

const HPKI_SCHEME = '1.2.392.100495.1.6.1.1';

/** Issue 13 rules 1 and 12: a role counts only as (HPKI scheme, value); unknown strings pass through marked. */
describe('hcRole coding scheme and unknown roles', () => {
  let pki: HpkiTestPki, nc: NonConformingCertificates, store: TrustStore;
  beforeAll(async () => ({ pki, nc, store } = await nonConformingTestPki()));
  const validate = (der: Uint8Array) => validateCertificate(der, { trustStore: store, profile: 'hpki-auth', now: pki.now });

  it('keeps the accepted schemes in one table: the HPKI coding scheme only', () => {
    expect(acceptedHcRoleSchemes.map((s) => s.oid)).toEqual([HPKI_SCHEME]);
    expect(isAcceptedHcRoleScheme(HPKI_SCHEME)).toBe(true);
    expect(isAcceptedHcRoleScheme(FOREIGN_HCROLE_SCHEME)).toBe(false);
  });

  it('refuses a certificate with "Medical Doctor" under a foreign scheme (hcrole_scheme_unknown)', async () => {
    const result = await validate(nc.certificates.foreignScheme.der);
    expect(result).toMatchObject({ ok: false, code: 'hcrole_scheme_unknown' });
    expect(!result.ok && result.detail).toContain(FOREIGN_HCROLE_SCHEME);
  });

  it('refuses it also next to a genuine HPKI role: the certificate is refused, not trimmed', async () => {
    expect(await validate(nc.certificates.mixedSchemes.der)).toMatchObject({ ok: false, code: 'hcrole_scheme_unknown' });
  });

  it('passes an unknown role string under the HPKI scheme through, marked known: false', async () => {
    const result = await validate(nc.certificates.unknownRole.der);
    expect(result).toMatchObject({ ok: true, hcRoles: [{ role: 'Chief Wizard', codingScheme: HPKI_SCHEME, known: false, confirmed: false }] });
  });

  it('refuses role strings with control characters or over 200 characters (hcrole_malformed)', async () => {
    const validity = { notBefore: new Date(pki.now.getTime() - 86400_000), notAfter: new Date(pki.now.getTime() + 86400_000) };
    for (const role of ['Medical\u0000Doctor', 'x'.repeat(201)]) {
      const c = await issuePractitionerCertificate({ issuer: pki.authCa, kind: 'authentication', keyAlgorithm: 'ecdsa-p256', hcRoles: [{ role }], ...validity });
      expect(() => validateHcRoles(c.certificate)).toThrow(expect.objectContaining({ code: 'hcrole_malformed' }));
      expect(await validate(c.der)).toMatchObject({ ok: false, code: 'hcrole_malformed' });
    }
  });

  it('service policy compares (scheme, value): a foreign-scheme "Medical Doctor" does not pass a Medical-Doctor-only service', () => {
    const policy = { allowed_hc_roles: ['Medical Doctor'] };
    const login = (codingScheme: string) => ({ method: 'hpki-card' as const, acr: ACR.hpki, hcRoles: [{ role: 'Medical Doctor', codingScheme }] });
    expect(checkServicePolicy(policy, login(FOREIGN_HCROLE_SCHEME))).toEqual({ code: 'service_hcrole_required', required: ['Medical Doctor'] });
    expect(checkServicePolicy(policy, login(HPKI_SCHEME))).toBeNull();
  });

  it('never puts a foreign-scheme role in the hcRole claim, and marks unknown HPKI strings', () => {
    const claim = hcRoleClaim([
      { role: 'Medical Doctor', codingScheme: FOREIGN_HCROLE_SCHEME },
      { role: 'Medical Doctor', codingScheme: HPKI_SCHEME },
      { role: 'Chief Wizard', codingScheme: HPKI_SCHEME },
      { role: 'Dentist', codingScheme: HPKI_SCHEME },
    ]);
    expect(claim).toEqual([
      { role: 'Medical Doctor', codingScheme: HPKI_SCHEME, displayJa: '医師', displayEn: 'Medical Doctor', known: true, confirmed: true },
      { role: 'Chief Wizard', codingScheme: HPKI_SCHEME, displayJa: 'Chief Wizard', displayEn: 'Chief Wizard', known: false, confirmed: false },
      { role: 'Dentist', codingScheme: HPKI_SCHEME, displayJa: '歯科医師', displayEn: 'Dentist', known: true, confirmed: false },
    ]);
    expect(acceptedHcRoles([{ role: 'x', codingScheme: FOREIGN_HCROLE_SCHEME }])).toEqual([]);
  });
});
