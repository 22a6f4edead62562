'use client';
import { useState } from 'react';
import { useTranslations } from 'next-intl';
import { secondaryButtonClass } from '@/app/components/card';
import { ApiError, postJson } from '@/app/components/post-json';
import { useHydrated } from '@/app/components/use-hydrated';

/** Applies for SSO to a service; the service's administrator approves with its own user ID. */
export function RequestLinkButton({ clientId }: { clientId: string }) {
  const hydrated = useHydrated();
  const t = useTranslations('home');
  const [state, setState] = useState<'idle' | 'sent' | 'error'>('idle');
  const [error, setError] = useState('');
  async function request() {
    try {
      await postJson(`/api/services/${encodeURIComponent(clientId)}/link-request`);
      setState('sent');
    } catch (e) {
      setState('error');
      setError(e instanceof ApiError ? e.message : String(e));
    }
  }
  if (state === 'sent') return <span className="text-sm text-amber-700" data-testid="link-requested">{t('linkRequested')}</span>;
  return (
    <span>
      <button disabled={!hydrated} className={secondaryButtonClass} onClick={request} data-testid={`request-link-${clientId}`}>
        {t('requestLink')}
      </button>
      {state === 'error' ? <span className="ml-2 text-sm text-red-800">{error}</span> : null}
    </span>
  );
}
