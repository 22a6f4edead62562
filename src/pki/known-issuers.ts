/**
 * Certificate issuers a person may see named on screen: a human name for a known CA, the DN kept as
 * a detail. Matching is by DN attributes (never a trust decision: trust is the trust store's job).
 * Sources: research/protocol-facts.md §A4 (MHLW root, MEDIS CAs, JMA/JPA as issuers in operation)
 * and §B4 (J-LIS JPKI); the test and demo CAs are this project's own generator (src/pki/test-pki).
 */
export interface KnownIssuer {
  id: string;
  ja: string;
  en: string;
  /** Every listed attribute must equal the DN's (CN/O/OU compared case-insensitively, trimmed). */
  match: Partial<Record<'CN' | 'O' | 'OU', string>>;
  source: string;
}

export const KNOWN_ISSUERS: readonly KnownIssuer[] = Object.freeze([
  {
    id: 'medis-auth-ca2',
    ja: 'MEDIS HPKI認証局（認証用）',
    en: 'MEDIS HPKI CA (authentication)',
    match: { CN: 'HPKI-01-MedisAuthCA2-forAuthentication-forIndividual' },
    source: 'protocol-facts §A4 (decoded MEDIS auth CA certificate, lifemate-inc/hpki-signer)',
  },
  {
    id: 'medis-sign-ca2',
    ja: 'MEDIS HPKI認証局（署名用）',
    en: 'MEDIS HPKI CA (signing)',
    match: { CN: 'HPKI-01-MedisSignCA2-forNonRepudiation' },
    source: 'protocol-facts §A4 (decoded MEDIS signing CA certificate, lifemate-inc/hpki-signer)',
  },
  {
    id: 'mhlw-root-v2',
    ja: '厚生労働省 HPKIルート認証局',
    en: 'MHLW HPKI Root CA',
    match: { OU: 'MHLW HPKI Root CA V2' },
    source: 'protocol-facts §A4 (decoded MHLW HPKI Root CA V2 certificate)',
  },
  // JMA and JPA issue HPKI cards (protocol-facts §A4), but their CA DNs are unverified: matched by
  // organisation name only, so a real certificate is named once its O is confirmed to be this.
  {
    id: 'jma',
    ja: '日本医師会電子認証センター',
    en: 'JMA Certification Authority (Japan Medical Association)',
    match: { O: 'Japan Medical Association' },
    source: 'protocol-facts §A4 (medis.or.jp/8_hpki/application.html); DN unverified',
  },
  {
    id: 'jpa',
    ja: '日本薬剤師会認証局',
    en: 'JPA Certification Authority (Japan Pharmaceutical Association)',
    match: { O: 'Japan Pharmaceutical Association' },
    source: 'protocol-facts §A4 (nichiyaku.or.jp/hpki/jpaca.html); DN unverified',
  },
  {
    id: 'jpki-user-auth',
    ja: '地方公共団体情報システム機構（マイナンバーカード利用者証明用）',
    en: 'J-LIS (My Number Card user authentication)',
    match: { O: 'JPKI', OU: 'JPKI for user authentication' },
    source: 'protocol-facts §B4 (decoded J-LIS auth CA certificates, jpki/myna)',
  },
  {
    id: 'test-auth-ca',
    ja: 'テスト用 HPKI認証局（認証用）',
    en: 'Test HPKI CA (authentication)',
    match: { CN: 'HPKI-01-TestAuthCA2-forAuthentication-forIndividual' },
    source: 'this project: src/pki/test-pki/hpki-test-pki.ts AUTH_CA_CN (tests and demo)',
  },
  {
    id: 'test-sign-ca',
    ja: 'テスト用 HPKI認証局（署名用）',
    en: 'Test HPKI CA (signing)',
    match: { CN: 'HPKI-01-TestSignCA2-forNonRepudiation' },
    source: 'this project: src/pki/test-pki/hpki-test-pki.ts SIGN_CA_CN (tests and demo)',
  },
  {
    id: 'test-jpki',
    ja: 'テスト用 マイナンバーカード利用者証明用認証局',
    en: 'Test JPKI CA (My Number Card user authentication)',
    match: { O: 'JPKI-TEST', OU: 'JPKI for user authentication' },
    source: 'this project: src/pki/test-pki/jpki-test-pki.ts jpkiTestRootName',
  },
]);

/** The attributes of a DN string as written by the x509 library ("C=JP, O=…, OU=…, CN=…"). */
export function dnAttributes(dn: string): { type: string; value: string }[] {
  return dn
    .split(/,\s*(?=[A-Za-z][A-Za-z0-9.]*=)/)
    .map((part) => {
      const at = part.indexOf('=');
      return at < 0 ? null : { type: part.slice(0, at).trim().toUpperCase(), value: part.slice(at + 1).trim() };
    })
    .filter((a): a is { type: string; value: string } => a !== null);
}

const normalise = (s: string) => s.trim().replace(/\s+/g, ' ').toLowerCase();

export function knownIssuer(dn: string): KnownIssuer | undefined {
  const attributes = dnAttributes(dn);
  return KNOWN_ISSUERS.find((issuer) =>
    Object.entries(issuer.match).every(([type, expected]) => attributes.some((a) => a.type === type && normalise(a.value) === normalise(expected))),
  );
}

/** What a person reads for an issuer: the known name, else the DN's CN (or O), else the DN itself. */
export function issuerDisplayName(dn: string, locale: string): string {
  const known = knownIssuer(dn);
  if (known) return locale === 'en' ? known.en : known.ja;
  const attributes = dnAttributes(dn);
  return attributes.find((a) => a.type === 'CN')?.value ?? attributes.find((a) => a.type === 'O')?.value ?? dn;
}
