'use client';
import { useTranslations } from 'next-intl';
import { MyNumberCardForm } from '@/app/components/card/my-number-card-form';

/** My Number Card login: the card must already be linked to an HPKI-proven practitioner. */
export function MyNumberCardLogin({
  base,
  pagePin,
  bridgeAvailable,
  hpkiCardAnchor,
}: {
  base: string;
  pagePin: boolean;
  bridgeAvailable: boolean | null;
  hpkiCardAnchor?: string;
}) {
  const t = useTranslations();
  return (
    <div id="my-number-card-section" className="rounded-lg border border-slate-200 p-4" data-testid="jpki-section">
      <h2 className="text-lg font-semibold">{t('login.myNumberCard.title')}</h2>
      <p className="mt-1 text-slate-600">{t('login.myNumberCard.description')}</p>
      <div className="mt-3">
        <MyNumberCardForm
          testId="jpki-login"
          challengeUrl={`${base}/jpki/challenge`}
          submitUrl={`${base}/jpki/verify`}
          submitLabel={t('login.myNumberCard.button')}
          pagePin={pagePin}
          bridgeAvailable={bridgeAvailable}
          hpkiCardAnchor={hpkiCardAnchor}
          onDone={(result) => window.location.assign(String(result.redirectTo))}
        />
      </div>
    </div>
  );
}
