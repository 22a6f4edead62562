'use client';
import { useState } from 'react';
import { useTranslations } from 'next-intl';
import type { InteractionView } from '@/src/oidc/interaction-view-schema';
import { Card, ErrorNotice, buttonClass, secondaryButtonClass } from '@/app/components/card';
import { ApiError, postJson, toApiError } from '@/app/components/post-json';
import { useHydrated } from '@/app/components/use-hydrated';

// family_name / given_name are parts of `name`: the person sees one line for them.
const KNOWN_CLAIMS = ['sub', 'name', 'hcRole'] as const;

/** One decision: which service receives which information about the practitioner. */
export function ConsentForm({ view }: { view: InteractionView }) {
  const t = useTranslations();
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const hydrated = useHydrated();

  async function decide(decision: 'approve' | 'deny') {
    setBusy(true);
    try {
      const { redirectTo } = await postJson<{ redirectTo: string }>(`/interaction/${view.uid}/consent`, { decision });
      window.location.assign(redirectTo);
    } catch (e) {
      setError(toApiError(e, t('errors.internal_error')));
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
      {view.signing ? <SigningRequest view={view} /> : null}
      {error ? (
        <div className="mt-4">
          <ErrorNotice message={error.message} code={error.code} />
        </div>
      ) : null}
      <div className="mt-6 flex flex-col gap-3 sm:flex-row">
        <button className={buttonClass} disabled={!hydrated || busy || Boolean(view.signing?.problem)} onClick={() => decide('approve')} data-testid="consent-approve">
          {t('consent.approve')}
        </button>
        <button className={secondaryButtonClass} disabled={!hydrated || busy} onClick={() => decide('deny')} data-testid="consent-deny">
          {t('consent.deny')}
        </button>
      </div>
    </Card>
  );
}

/** Which service, which certificate, which documents and until when (issue 7: the consent page). */
function SigningRequest({ view }: { view: InteractionView }) {
  const t = useTranslations();
  const signing = view.signing!;
  const date = (iso: string) => new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  return (
    <section className="mt-6 rounded-lg border border-amber-300 bg-amber-50 p-4" data-testid="signing-consent">
      <h2 className="text-lg font-semibold">{t('signingConsent.title')}</h2>
      <p className="mt-2">{t('signingConsent.question', { service: view.client.name })}</p>
      {signing.problem ? (
        <div className="mt-3">
          <ErrorNotice message={t(`errors.${signing.problem}`)} code={signing.problem} />
        </div>
      ) : null}
      <dl className="mt-3 grid grid-cols-1 gap-2 text-sm sm:grid-cols-[10rem_1fr]">
        {signing.certificate ? (
          <>
            <dt className="font-semibold">{t('signingConsent.certificate')}</dt>
            <dd data-testid="signing-certificate">
              {t('signingConsent.subject')}: {signing.certificate.subject}
              <br />
              {t('signingConsent.issuer')}: {signing.certificate.issuer}
              <br />
              {t('signingConsent.validity')}: {signing.certificate.notBefore.slice(0, 10)} – {signing.certificate.notAfter.slice(0, 10)}
            </dd>
          </>
        ) : null}
        <dt className="font-semibold">{t('signingConsent.documents')}</dt>
        <dd data-testid="signing-documents">{signing.documentTypes.map((d) => t(`signingConsent.docTypes.${d}`)).join('、')}</dd>
        <dt className="font-semibold">{t('signingConsent.until')}</dt>
        <dd data-testid="signing-until">{date(signing.until)}</dd>
        <dt className="font-semibold">{t('signingConsent.count')}</dt>
        <dd>{signing.numSignatures ?? t('signingConsent.unlimited')}</dd>
      </dl>
    </section>
  );
}
