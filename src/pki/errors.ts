import { errorMessages, type ErrorCode } from '../errors/catalogue.ts';

/**
 * Stable error codes of certificate validation. The codes are part of the API (audit log, UI,
 * tests); never rename one, add a new one instead. Their sentences are in the message catalogues.
 */
export const pkiErrorCodes = [
  'certificate_too_large',
  'certificate_malformed',
  'certificate_unsupported',
  'certificate_expired',
  'certificate_not_yet_valid',
  'certificate_signing_not_allowed',
  'certificate_purpose_invalid',
  'certificate_policy_invalid',
  'certificate_version_invalid',
  'certificate_signature_algorithm_mismatch',
  'certificate_extension_invalid',
  'certificate_name_invalid',
  'certificate_key_too_weak',
  'certificate_issuer_not_authentication_ca',
  'certificate_issued_by_anchor',
  'certificate_untrusted',
  'certificate_chain_too_long',
  'certificate_chain_invalid',
  'certificate_revoked',
  'crl_missing',
  'crl_expired',
  'crl_not_yet_valid',
  'crl_invalid',
  'crl_number_out_of_order',
  'ocsp_unavailable',
  'ocsp_invalid',
  'ocsp_unknown_certificate',
  'hcrole_malformed',
  'hcrole_scheme_unknown',
  'validation_failed',
] as const satisfies readonly ErrorCode[];

export type PkiErrorCode = (typeof pkiErrorCodes)[number];

/** The sentence a person sees for each code (ja, en), from src/i18n/messages. */
export const pkiErrorMessages = errorMessages(pkiErrorCodes);

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
