'use client';
import { useEffect, useState } from 'react';
import { useTranslations } from 'next-intl';
import { ErrorNotice, secondaryButtonClass } from '@/app/components/card';
import { ApiError, postJson, toApiError } from '@/app/components/post-json';
import { MyNumberCardForm } from '@/app/components/card/my-number-card-form';
import { isCardExtensionAvailable } from '@/app/components/card/web-eid-bridge';
import { useHydrated } from '@/app/components/use-hydrated';

/** Links the card read through the card bridge (or, with `pagePin`, the demo's software card). */
export function LinkMyNumberCard({ pagePin }: { pagePin: boolean }) {
  const t = useTranslations('myNumberCard');
  const [done, setDone] = useState(false);
  const [bridge, setBridge] = useState<boolean | null>(null);
  useEffect(() => {
    let current = true;
    void isCardExtensionAvailable(2).then((ok) => current && setBridge(ok));
    return () => {
      current = false;
    };
  }, []);
  if (done) {
    return (
      <p className="rounded-lg bg-emerald-50 p-4 font-semibold text-emerald-800" data-testid="mnc-linked">
        {t('linkedDone')}
      </p>
    );
  }
  return (
    <MyNumberCardForm
      testId="mnc-link"
      challengeUrl="/api/my-number-card/challenge"
      submitUrl="/api/my-number-card/link"
      submitLabel={t('link')}
      pagePin={pagePin}
      bridgeAvailable={bridge}
      onDone={() => {
        setDone(true);
        window.location.reload();
      }}
    />
  );
}

export function UnlinkMyNumberCard() {
  const hydrated = useHydrated();
  const t = useTranslations('myNumberCard');
  const [error, setError] = useState<ApiError | null>(null);
  async function unlink() {
    try {
      await postJson('/api/my-number-card/unlink');
      window.location.reload();
    } catch (e) {
      setError(toApiError(e, String(e)));
    }
  }
  return (
    <div className="mt-3">
      <button disabled={!hydrated} className={secondaryButtonClass} onClick={unlink} data-testid="mnc-unlink">
        {t('unlink')}
      </button>
      {error ? <ErrorNotice message={error.message} code={error.code} /> : null}
    </div>
  );
}
