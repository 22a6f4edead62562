'use client';
import { useState } from 'react';
import { useTranslations } from 'next-intl';
import type { InteractionView } from '@/src/oidc/interaction-view-schema';
import { Card, ErrorNotice, buttonClass, secondaryButtonClass } from '@/app/components/card';
import { ApiError, postJson } from '@/app/components/post-json';

// family_name / given_name are parts of `name`: the person sees one line for them.
const KNOWN_CLAIMS = ['sub', 'name', 'hcRole'] as const;

/** One decision: which service receives which information about the practitioner. */
export function ConsentForm({ view }: { view: InteractionView }) {
  const t = useTranslations();
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);

  async function decide(decision: 'approve' | 'deny') {
    setBusy(true);
    try {
      const { redirectTo } = await postJson<{ redirectTo: string }>(`/interaction/${view.uid}/consent`, { decision });
      window.location.assign(redirectTo);
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError('internal_error', t('errors.internal_error'), {}));
      setBusy(false);
    }
  }

  const claims = view.claims.filter((c): c is (typeof KNOWN_CLAIMS)[number] => (KNOWN_CLAIMS as readonly string[]).includes(c));
  return (
    <Card testId="consent">
      <h1 className="text-2xl font-bold">{t('consent.title')}</h1>
      {view.account ? (
        <p className="mt-2 text-slate-700" data-testid="consent-account">
          {t('consent.loggedInAs', { name: view.account.nameKanji ?? view.account.name })}
        </p>
      ) : null}
      <p className="mt-4 text-lg">{t('consent.question', { service: view.client.name })}</p>
      <ul className="mt-3 list-disc pl-6 text-slate-700" data-testid="consent-claims">
        {claims.map((c) => (
          <li key={c}>{t(`consent.claims.${c}`)}</li>
        ))}
        {view.scopes.includes('offline_access') ? <li>{t('consent.offlineAccess')}</li> : null}
      </ul>
      {error ? (
        <div className="mt-4">
          <ErrorNotice message={error.message} code={error.code} />
        </div>
      ) : null}
      <div className="mt-6 flex flex-col gap-3 sm:flex-row">
        <button className={buttonClass} disabled={busy} onClick={() => decide('approve')} data-testid="consent-approve">
          {t('consent.approve')}
        </button>
        <button className={secondaryButtonClass} disabled={busy} onClick={() => decide('deny')} data-testid="consent-deny">
          {t('consent.deny')}
        </button>
      </div>
    </Card>
  );
}
