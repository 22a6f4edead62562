import type { ReactNode } from 'react';
import { NextIntlClientProvider } from 'next-intl';
import { getMessages } from 'next-intl/server';
import { CLIENT_ERROR_CODES } from './client-error-codes';

/** Only the sentences the browser looks up itself (client-error-codes.ts). */
function clientErrors(errors: unknown): Record<string, unknown> {
  const all = (errors ?? {}) as Record<string, unknown>;
  return Object.fromEntries(CLIENT_ERROR_CODES.filter((code) => code in all).map((code) => [code, all[code]]));
}

/** Every page's client components may use these. */
const ALWAYS = ['common'];

/**
 * The catalogue namespaces a page's client components use, and only those, go to the browser with
 * the page (of `errors`, the client-side codes only). The whole catalogue (86 KB in Japanese) was
 * serialised into every page's RSC payload and again into its HTML: a quarter of the login page's
 * rendering CPU (issue 18).
 */
export async function ClientMessages({ namespaces, children }: { namespaces: readonly string[]; children: ReactNode }) {
  const all = await getMessages();
  const messages = Object.fromEntries([...ALWAYS, ...namespaces].filter((n) => n in all).map((n) => [n, n === 'errors' ? clientErrors(all.errors) : all[n]]));
  return <NextIntlClientProvider messages={messages}>{children}</NextIntlClientProvider>;
}
