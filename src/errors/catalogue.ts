import ja from '../i18n/messages/ja.json' with { type: 'json' };
import en from '../i18n/messages/en.json' with { type: 'json' };
import { pkiErrorMessages, type PkiErrorCode } from '../pki/errors.ts';
import { clientCertificateErrorMessages, type ClientCertificateErrorCode } from '../auth/hpki-cert/client-certificate-source.ts';

import { keyStoreErrorMessages, type KeyStoreErrorCode } from '../signing/key-store.ts';

const moduleMessages: Record<string, { ja: string; en: string }> = { ...pkiErrorMessages, ...clientCertificateErrorMessages, ...keyStoreErrorMessages };

/**
 * Stable error codes; their Japanese and English sentences live in the message catalogues, and
 * the certificate codes next to the code that raises them (src/pki/errors.ts, src/auth/hpki-cert/).
 */
export type ErrorCode = keyof typeof ja.errors | PkiErrorCode | ClientCertificateErrorCode | KeyStoreErrorCode;

export function isErrorCode(code: string): code is ErrorCode {
  return Object.prototype.hasOwnProperty.call(ja.errors, code) || Object.prototype.hasOwnProperty.call(moduleMessages, code);
}

export function errorMessage(code: string, locale: 'ja' | 'en', params?: Record<string, string>): string {
  const table = (locale === 'en' ? en.errors : ja.errors) as Record<string, string>;
  const text = table[code] ?? moduleMessages[code]?.[locale] ?? table.internal_error!;
  return params ? text.replace(/\{(\w+)\}/g, (whole, key: string) => params[key] ?? whole) : text;
}
