import type { Metadata } from 'next';
import { getTranslations } from 'next-intl/server';
import { Card } from '@/app/components/card';

/** The causes in the order seed 001's troubleshooting gives them (most common first). */
const SECTIONS = ['biometrics', 'autofill', 'keychain', 'device', 'network'] as const;

export async function generateMetadata(): Promise<Metadata> {
  const t = await getTranslations('help.passkey');
  return { title: t('title') };
}

/** Passkey troubleshooting, written from the JMA user guide (seed 001 よくあるエラーメッセージ); public. */
export default async function PasskeyHelpPage() {
  const t = await getTranslations('help.passkey');
  const tc = await getTranslations('common');
  const messages = t.raw('messages') as string[];
  return (
    <div className="space-y-6" data-testid="passkey-help">
      <Card>
        <h1 className="text-2xl font-bold">{t('title')}</h1>
        <p className="mt-3 text-slate-700">{t('intro')}</p>
        <h2 className="mt-4 text-lg font-semibold">{t('messagesHeading')}</h2>
        <ul className="mt-2 list-disc pl-6 text-slate-700">
          {messages.map((m) => (
            <li key={m}>{m}</li>
          ))}
        </ul>
        <nav className="mt-4">
          <ol className="list-decimal space-y-1 pl-6">
            {SECTIONS.map((id) => (
              <li key={id}>
                <a className="text-sky-800 underline" href={`#${id}`}>
                  {t(`${id}.title`)}
                </a>
              </li>
            ))}
          </ol>
        </nav>
      </Card>
      {SECTIONS.map((id) => (
        <Card key={id} testId={`help-${id}`}>
          <h2 id={id} className="text-xl font-semibold">
            {t(`${id}.title`)}
          </h2>
          <p className="mt-2 text-slate-700">{t(`${id}.body`)}</p>
          <ol className="mt-3 list-decimal space-y-2 pl-6">
            {(t.raw(`${id}.steps`) as string[]).map((step) => (
              <li key={step}>{step}</li>
            ))}
          </ol>
        </Card>
      ))}
      <Card testId="help-still">
        <h2 className="text-xl font-semibold">{t('stillTitle')}</h2>
        <p className="mt-2 text-slate-700">{t('still')}</p>
        <p className="mt-4 text-sm text-slate-500">{t('source')}</p>
      </Card>
      <a className="inline-block text-sky-800 underline" href="/">
        {tc('backHome')}
      </a>
    </div>
  );
}
