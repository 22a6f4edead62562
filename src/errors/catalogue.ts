import ja from '../i18n/messages/ja.json' with { type: 'json' };
import en from '../i18n/messages/en.json' with { type: 'json' };
import { pkiErrorMessages, type PkiErrorCode } from '../pki/errors.ts';

/**
 * Stable error codes; their Japanese and English sentences live in the message catalogues, and
 * the certificate-validation codes in src/pki/errors.ts.
 */
export type ErrorCode = keyof typeof ja.errors | PkiErrorCode;

export function isErrorCode(code: string): code is ErrorCode {
  return Object.prototype.hasOwnProperty.call(ja.errors, code) || Object.prototype.hasOwnProperty.call(pkiErrorMessages, code);
}

export function errorMessage(code: string, locale: 'ja' | 'en'): string {
  const table = (locale === 'en' ? en.errors : ja.errors) as Record<string, string>;
  if (table[code]) return table[code];
  const pki = (pkiErrorMessages as Record<string, { ja: string; en: string }>)[code];
  return pki ? pki[locale] : table.internal_error!;
}
