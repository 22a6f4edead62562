import ja from '../i18n/messages/ja.json' with { type: 'json' };
import en from '../i18n/messages/en.json' with { type: 'json' };

/**
 * Every sentence a person sees for an error lives in the message catalogues (`errors.*` of
 * src/i18n/messages/ja.json and en.json) — one place, whichever module raises the code.
 */
export type ErrorCode = keyof typeof ja.errors;

export type ErrorMessages<C extends string = string> = Readonly<Record<C, { readonly ja: string; readonly en: string }>>;

export function isErrorCode(code: string): code is ErrorCode {
  return Object.prototype.hasOwnProperty.call(ja.errors, code);
}

export function errorMessage(code: string, locale: 'ja' | 'en', params?: Record<string, string>): string {
  const table = (locale === 'en' ? en.errors : ja.errors) as Record<string, string>;
  const text = table[code] ?? table.internal_error!;
  return params ? text.replace(/\{(\w+)\}/g, (whole, key: string) => params[key] ?? whole) : text;
}

/** A module's codes with their sentences, for modules that list their own codes (pki, key custody). */
export function errorMessages<C extends ErrorCode>(codes: readonly C[]): ErrorMessages<C> {
  return Object.fromEntries(codes.map((c) => [c, { ja: ja.errors[c], en: en.errors[c] }])) as unknown as ErrorMessages<C>;
}
