export const LOCALES = ['ja', 'en'] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = 'ja';
/** The person's language choice is a cookie, so every page and the provider's own pages agree. */
export const LOCALE_COOKIE = 'lang';

export function pickLocale(cookieValue: string | undefined | null): Locale {
  return cookieValue === 'en' ? 'en' : DEFAULT_LOCALE;
}

/** Reads the `lang` cookie from a raw Cookie header. */
export function localeFromCookieHeader(header: string | undefined): Locale {
  const match = /(?:^|;\s*)lang=([^;]+)/.exec(header ?? '');
  return pickLocale(match?.[1]);
}
