'use client';
import { useTranslations } from 'next-intl';
import { MyNumberCardForm } from '@/app/components/card/my-number-card-form';
import { rememberMethod } from './login-choice';

/** My Number Card login: the card must already be linked to an HPKI-proven practitioner. */
export function MyNumberCardLogin({
  base,
  pagePin,
  bridgeAvailable,
  hpkiCardAnchor,
  autoRead = false,
  onRefused,
}: {
  base: string;
  pagePin: boolean;
  bridgeAvailable: boolean | null;
  hpkiCardAnchor?: string;
  /** Read the card through the bridge at once: the person pressed this method's button in the list of other methods. */
  autoRead?: boolean;
  /** The service's refusal gets a page of its own (the chooser's). */
  onRefused?: (code: string, message: string) => boolean;
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
          autoStart={autoRead}
          onRefused={onRefused}
          onDone={(result) => {
            rememberMethod('jpki');
            window.location.assign(String(result.redirectTo));
          }}
        />
      </div>
    </div>
  );
}
