import { cookies } from 'next/headers';
import { getRequestConfig } from 'next-intl/server';
import { LOCALE_COOKIE, pickLocale } from './locale.ts';
import ja from './messages/ja.json' with { type: 'json' };
import en from './messages/en.json' with { type: 'json' };

// No locale in the URL: the `lang` cookie decides, Japanese by default.
export default getRequestConfig(async () => {
  const locale = pickLocale((await cookies()).get(LOCALE_COOKIE)?.value);
  return { locale, messages: locale === 'en' ? en : ja, timeZone: 'Asia/Tokyo' };
});
