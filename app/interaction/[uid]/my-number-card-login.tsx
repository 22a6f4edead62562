'use client';
import { useEffect, useRef } from 'react';
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
}: {
  base: string;
  pagePin: boolean;
  bridgeAvailable: boolean | null;
  hpkiCardAnchor?: string;
  /** Read the card through the bridge at once: the person pressed this method's button in the list of other methods. */
  autoRead?: boolean;
}) {
  const t = useTranslations();
  const section = useRef<HTMLDivElement>(null);
  const started = useRef(false);
  useEffect(() => {
    if (!autoRead || started.current) return;
    started.current = true;
    // The shared form has no start-at-once switch: press its own bridge button, once.
    section.current?.querySelector<HTMLButtonElement>('[data-testid="jpki-login-read"]')?.click();
  }, [autoRead]);
  return (
    <div ref={section} id="my-number-card-section" className="rounded-lg border border-slate-200 p-4" data-testid="jpki-section">
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
          onDone={(result) => {
            rememberMethod('jpki');
            window.location.assign(String(result.redirectTo));
          }}
        />
      </div>
    </div>
  );
}
