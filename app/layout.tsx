import type { Metadata } from 'next';
import type { ReactNode } from 'react';
import { getLocale, getTranslations } from 'next-intl/server';
import { LanguageSwitch } from './components/language-switch';
import { DemoBanner } from './components/demo-banner';
import { ClientMessages } from './components/client-messages';
import './globals.css';

// Served from public/ (the CSP allows images from 'self'); the provider's own pages link /favicon.ico too.
// The product name as title is rendered by the layout below, not here.
export const metadata: Metadata = {
  icons: { icon: [{ url: '/favicon.ico', sizes: '16x16 32x32' }, { url: '/favicon.svg', type: 'image/svg+xml' }] },
};

export default async function RootLayout({ children }: { children: ReactNode }) {
  const locale = await getLocale();
  const t = await getTranslations('common');
  return (
    <html lang={locale}>
      <body className="min-h-screen">
        {/* The title is the layout's, not metadata's: Next streams metadata in a Suspense boundary that is
            replaced on every client-side navigation, leaving the document without a title for a few ms
            (axe: document-title). React hoists this one into <head>, where it stays while the layout
            lives; a page's own metadata title (the passkey help) is placed before it and wins. */}
        <title>{t('productName')}</title>
        <ClientMessages namespaces={[]}>
          <header className="bg-white border-b border-slate-200">
            <div className="mx-auto max-w-3xl px-4 py-3 flex items-center justify-between">
              {/* The product name goes home from every page: the way back when a flow is left. */}
              <a href="/" className="flex items-center gap-2 font-bold text-lg text-sky-900 no-underline" data-testid="brand">
                {/* Decorative: the product name beside it says the same. */}
                <img src="/logo.svg" alt="" width={28} height={28} className="h-7 w-7" />
                {t('productName')}
              </a>
              <LanguageSwitch current={locale} />
            </div>
          </header>
          <DemoBanner />
          <main className="mx-auto max-w-3xl px-4 py-8">{children}</main>
        </ClientMessages>
      </body>
    </html>
  );
}
