import ja from '../i18n/messages/ja.json' with { type: 'json' };
import en from '../i18n/messages/en.json' with { type: 'json' };

/** Stable error codes; their Japanese and English sentences live in the message catalogues. */
export type ErrorCode = keyof typeof ja.errors;

export function isErrorCode(code: string): code is ErrorCode {
  return Object.prototype.hasOwnProperty.call(ja.errors, code);
}

export function errorMessage(code: string, locale: 'ja' | 'en'): string {
  const table = (locale === 'en' ? en.errors : ja.errors) as Record<string, string>;
  return table[code] ?? table.internal_error!;
}
