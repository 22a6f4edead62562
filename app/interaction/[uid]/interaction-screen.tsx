'use client';
import { useEffect, useState } from 'react';
import { useParams } from 'next/navigation';
import { useTranslations } from 'next-intl';
import { interactionViewSchema, type InteractionView } from '@/src/oidc/interaction-view-schema';
import { Card, ErrorNotice } from '@/app/components/card';
import { ApiError, getJson, toApiError } from '@/app/components/post-json';
import { LoginChooser } from './login-chooser';
import { ConsentForm } from './consent-form';

type Loaded = { kind: 'loading' } | { kind: 'view'; view: InteractionView } | { kind: 'error'; error: ApiError };

/**
 * Login (method chooser) or consent for one OpenID Connect authorization request. The page itself
 * is the same for every interaction (server.ts renders it once per language and serves it with a
 * fresh nonce: src/http/interaction-page-cache.ts); what this interaction shows is asked for here,
 * from /interaction/<uid>/view, which checks the interaction cookie as the page request did.
 */
export function InteractionScreen() {
  const { uid } = useParams<{ uid: string }>();
  const t = useTranslations();
  const [loaded, setLoaded] = useState<Loaded>({ kind: 'loading' });
  useEffect(() => {
    let current = true;
    getJson<unknown>(`/interaction/${encodeURIComponent(uid)}/view`)
      .then((body) => current && setLoaded({ kind: 'view', view: interactionViewSchema.parse(body) }))
      .catch((error: unknown) => current && setLoaded({ kind: 'error', error: toApiError(error, t('errors.internal_error')) }));
    return () => {
      current = false;
    };
    // Asked once per interaction (a new `t` after a language change reloads the page anyway).
  }, [uid]);

  if (loaded.kind === 'loading') {
    return (
      <Card testId="interaction-loading">
        <p role="status" className="text-slate-700">
          {t('common.loading')}
        </p>
      </Card>
    );
  }
  if (loaded.kind === 'error') {
    return (
      <Card>
        <ErrorNotice message={loaded.error.message} code={loaded.error.code} />
      </Card>
    );
  }
  const { view } = loaded;
  if (view.prompt === 'consent') return <ConsentForm view={view} />;
  return (
    <>
      {view.demo && view.chooser.some((e) => e.panel === 'hpki-card') ? (
        <>
          {/* Demo mode only: a software HPKI card speaking the extension's messages (src/demo). */}
          <script src="/demo/software-card.js?holder=doctor" async />
          {view.chooser.some((e) => e.panel === 'my-number-card') ? <script src="/demo/software-my-number-card.js" async /> : null}
          <p className="mb-3 rounded-lg border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900" data-testid="demo-software-card-notice">
            {t('login.hpkiCard.demoSoftwareCard')}
          </p>
        </>
      ) : null}
      <LoginChooser view={view} />
    </>
  );
}
