import type { Metadata } from 'next';
import type { ReactNode } from 'react';
import { getLocale, getTranslations } from 'next-intl/server';
import { LanguageSwitch } from './components/language-switch';
import { DemoBanner } from './components/demo-banner';
import { ClientMessages } from './components/client-messages';
import './globals.css';

export async function generateMetadata(): Promise<Metadata> {
  const t = await getTranslations('common');
  // Served from public/ (the CSP allows images from 'self'); the provider's own pages link /favicon.ico too.
  return {
    title: t('productName'),
    icons: { icon: [{ url: '/favicon.ico', sizes: '16x16 32x32' }, { url: '/favicon.svg', type: 'image/svg+xml' }] },
  };
}

export default async function RootLayout({ children }: { children: ReactNode }) {
  const locale = await getLocale();
  const t = await getTranslations('common');
  return (
    <html lang={locale}>
      <body className="min-h-screen">
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
