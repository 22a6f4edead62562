/**
 * Stable error codes of certificate validation, with the sentence a person sees. The codes are
 * part of the API (audit log, UI catalogues, tests); never rename one, add a new one instead.
 */
export const pkiErrorMessages = {
  certificate_too_large: {
    ja: '証明書のデータが大きすぎるため読み取れません。正しいICカードを使っているか確認してください。',
    en: 'The certificate is too large to be read. Check that you are using the right card.',
  },
  certificate_malformed: {
    ja: '証明書を読み取れませんでした。ICカードを挿し直して、もう一度お試しください。',
    en: 'The certificate could not be read. Reinsert the card and try again.',
  },
  certificate_unsupported: {
    ja: 'この証明書には対応していない必須項目が含まれているため使えません。発行元の認証局にお問い合わせください。',
    en: 'This certificate contains a critical field this service does not support. Contact the certification authority that issued it.',
  },
  certificate_expired: {
    ja: 'この証明書は有効期限が切れています。発行元の認証局で証明書を更新してください。',
    en: 'This certificate has expired. Renew it with the certification authority that issued it.',
  },
  certificate_not_yet_valid: {
    ja: 'この証明書はまだ有効期間が始まっていません。有効期間の開始後に、もう一度お試しください。',
    en: 'This certificate is not valid yet. Try again once its validity period has started.',
  },
  certificate_signing_not_allowed: {
    ja: 'これは署名用の証明書のため、ログインには使えません。認証用の証明書を選んでください。',
    en: 'This is a signing certificate and cannot be used to log in. Choose your authentication certificate.',
  },
  certificate_purpose_invalid: {
    ja: 'この証明書はログイン(本人認証)用ではありません。認証用の証明書を選んでください。',
    en: 'This certificate is not meant for logging in. Choose your authentication certificate.',
  },
  certificate_policy_invalid: {
    ja: 'この証明書はこのログイン方法では使えません。HPKIの認証用証明書を使ってください。',
    en: 'This certificate cannot be used with this login method. Use your HPKI authentication certificate.',
  },
  certificate_version_invalid: {
    ja: 'この証明書は形式(バージョン)が正しくないため使えません。発行元の認証局にお問い合わせください。',
    en: 'This certificate has an invalid format (version) and cannot be used. Contact the certification authority that issued it.',
  },
  certificate_signature_algorithm_mismatch: {
    ja: 'この証明書の署名方式の記載が一致しないため使えません。発行元の認証局にお問い合わせください。',
    en: 'The signature algorithm named inside this certificate does not match its signature, so it cannot be used. Contact the certification authority that issued it.',
  },
  certificate_extension_invalid: {
    ja: 'この証明書には正しくない拡張項目が含まれているため使えません。発行元の認証局にお問い合わせください。',
    en: 'This certificate contains an invalid extension and cannot be used. Contact the certification authority that issued it.',
  },
  certificate_name_invalid: {
    ja: 'この証明書の氏名などの記載に使えない文字が含まれているため使えません。発行元の認証局にお問い合わせください。',
    en: 'A name in this certificate contains characters that are not allowed, so it cannot be used. Contact the certification authority that issued it.',
  },
  certificate_key_too_weak: {
    ja: 'この証明書の鍵は安全性の基準(RSA 2048ビット以上、またはP-256/P-384/P-521の楕円曲線)を満たしていないため使えません。発行元の認証局にお問い合わせください。',
    en: 'The key of this certificate (or of its certification authority) does not meet the strength required (RSA of at least 2048 bits, or elliptic curve P-256, P-384 or P-521). Contact the certification authority that issued it.',
  },
  certificate_issuer_not_authentication_ca: {
    ja: 'この証明書は認証用の認証局から発行されていないため、ログインには使えません。認証用の証明書を使ってください。',
    en: 'This certificate was not issued by an authentication certification authority and cannot be used to log in. Use your authentication certificate.',
  },
  certificate_issued_by_anchor: {
    ja: 'この証明書はルート認証局から直接発行されているため、ログインには使えません。管理者にお問い合わせください。',
    en: 'This certificate was issued directly by a root certification authority, which this service does not accept for login. Contact the administrator.',
  },
  certificate_untrusted: {
    ja: 'この証明書の発行元は信頼されていません。HPKIの認証局が発行した証明書を使ってください。',
    en: 'The issuer of this certificate is not trusted. Use a certificate issued by an HPKI certification authority.',
  },
  certificate_chain_too_long: {
    ja: '証明書の発行元をたどれませんでした(認証局の階層が深すぎます)。管理者にお問い合わせください。',
    en: 'The certificate chain is too long to be checked. Contact the administrator.',
  },
  certificate_chain_invalid: {
    ja: '発行元の認証局の証明書に問題があるため確認できません。管理者にお問い合わせください。',
    en: 'A certification authority certificate in the chain is not valid. Contact the administrator.',
  },
  certificate_revoked: {
    ja: 'この証明書は失効しています。発行元の認証局にお問い合わせください。',
    en: 'This certificate has been revoked. Contact the certification authority that issued it.',
  },
  crl_missing: {
    ja: '証明書の失効情報を確認できないため、ログインできません。しばらくしてからもう一度お試しいただき、続く場合は管理者にお問い合わせください。',
    en: 'The revocation status could not be checked, so login is refused. Try again later; if it persists, contact the administrator.',
  },
  crl_expired: {
    ja: '証明書の失効情報が古くなっているため、ログインできません。管理者にお問い合わせください。',
    en: 'The revocation list is out of date, so login is refused. Contact the administrator.',
  },
  crl_not_yet_valid: {
    ja: '証明書の失効情報の日付が正しくないため、ログインできません。管理者にお問い合わせください。',
    en: 'The revocation list is not valid yet, so login is refused. Contact the administrator.',
  },
  crl_invalid: {
    ja: '証明書の失効情報が正しくないため使えません。管理者にお問い合わせください。',
    en: 'The revocation list is invalid and cannot be used. Contact the administrator.',
  },
  crl_number_out_of_order: {
    ja: 'この失効リストは保持している失効リストより古い番号(CRL番号)のため取り込めません。認証局が公開している最新の失効リストを使ってください。',
    en: 'This revocation list has a lower number (CRL number) than the one already held, so it was not loaded. Use the latest list the certification authority publishes.',
  },
  ocsp_unavailable: {
    ja: '証明書の失効情報を認証局のOCSPサーバーに問い合わせることができませんでした。しばらくしてからもう一度お試しいただき、続く場合は管理者にお問い合わせください。',
    en: "The certification authority's OCSP server could not be reached to check the revocation status. Try again later; if it persists, contact the administrator.",
  },
  ocsp_invalid: {
    ja: '認証局のOCSPサーバーからの失効情報の応答が正しくないため使えません。しばらくしてからもう一度お試しいただき、続く場合は管理者にお問い合わせください。',
    en: "The revocation status returned by the certification authority's OCSP server is invalid and cannot be used. Try again later; if it persists, contact the administrator.",
  },
  ocsp_unknown_certificate: {
    ja: '認証局のOCSPサーバーがこの証明書を確認できませんでした。発行元の認証局にお問い合わせください。',
    en: "The certification authority's OCSP server does not know this certificate. Contact the certification authority that issued it.",
  },
  hcrole_malformed: {
    ja: '証明書の資格情報(hcRole)を読み取れませんでした。発行元の認証局にお問い合わせください。',
    en: 'The qualification (hcRole) in the certificate could not be read. Contact the certification authority that issued it.',
  },
  hcrole_scheme_unknown: {
    ja: '証明書の資格情報(hcRole)がHPKIの資格コード体系で記載されていないため、資格を確認できません。発行元の認証局にお問い合わせください。',
    en: 'The qualification (hcRole) in the certificate is not coded under the HPKI coding scheme, so it cannot be recognised. Contact the certification authority that issued it.',
  },
  validation_failed: {
    ja: '証明書を確認できませんでした。もう一度お試しいただき、続く場合は管理者にお問い合わせください。',
    en: 'The certificate could not be checked. Try again; if it persists, contact the administrator.',
  },
} as const satisfies Record<string, { ja: string; en: string }>;

export type PkiErrorCode = keyof typeof pkiErrorMessages;

export const pkiErrorCodes = Object.keys(pkiErrorMessages) as PkiErrorCode[];

/** A validation failure with a stable code; `detail` is for logs and developers, not for people. */
export class PkiError extends Error {
  readonly code: PkiErrorCode;
  readonly detail: string;

  constructor(code: PkiErrorCode, detail: string, options?: { cause?: unknown }) {
    super(`${code}: ${detail}`, options);
    this.name = 'PkiError';
    this.code = code;
    this.detail = detail;
  }
}

export function pkiErrorMessage(code: PkiErrorCode, locale: 'ja' | 'en' = 'ja'): string {
  return pkiErrorMessages[code][locale];
}
