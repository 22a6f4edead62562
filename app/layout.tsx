import type { Metadata } from 'next';
import type { ReactNode } from 'react';
import { NextIntlClientProvider } from 'next-intl';
import { getLocale, getTranslations } from 'next-intl/server';
import { LanguageSwitch } from './components/language-switch';
import { DemoBanner } from './components/demo-banner';
import './globals.css';

export async function generateMetadata(): Promise<Metadata> {
  const t = await getTranslations('common');
  return { title: t('productName') };
}

export default async function RootLayout({ children }: { children: ReactNode }) {
  const locale = await getLocale();
  const t = await getTranslations('common');
  return (
    <html lang={locale}>
      <body className="min-h-screen">
        <NextIntlClientProvider>
          <header className="bg-white border-b border-slate-200">
            <div className="mx-auto max-w-3xl px-4 py-3 flex items-center justify-between">
              <span className="font-bold text-lg text-sky-900">{t('productName')}</span>
              <LanguageSwitch current={locale} />
            </div>
          </header>
          <DemoBanner />
          <main className="mx-auto max-w-3xl px-4 py-8">{children}</main>
        </NextIntlClientProvider>
      </body>
    </html>
  );
}
