'use client';
import { useEffect, useState } from 'react';
import { useLocale, useTranslations } from 'next-intl';
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
          {view.signing ? signingApproveLabel(t, view.signing) : t('consent.approve')}
        </button>
        <button className={secondaryButtonClass} disabled={!hydrated || busy} onClick={() => decide('deny')} data-testid="consent-deny">
          {view.signing ? t('signingConsent.deny') : t('consent.deny')}
        </button>
      </div>
    </Card>
  );
}

type Translate = ReturnType<typeof useTranslations>;
type Signing = NonNullable<InteractionView['signing']>;

/** Japan time with the zone named, whatever the terminal's own zone (issue 16 §4). */
export function formatJst(iso: string, locale: string): string {
  const text = new Intl.DateTimeFormat(locale === 'en' ? 'en-GB' : 'ja-JP', {
    timeZone: 'Asia/Tokyo',
    year: 'numeric',
    month: locale === 'en' ? 'short' : 'numeric',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(new Date(iso));
  return text;
}

function documentList(t: Translate, signing: Signing): string {
  return signing.documentTypes.map((d) => t(`signingConsent.docTypes.${d}`)).join(t('consent.signing.separator'));
}

/** 「電子処方箋への署名を18時間許可する」: the button says what it grants (issue 16 §10). */
function signingApproveLabel(t: Translate, signing: Signing): string {
  const seconds = signing.validitySeconds ?? Math.max(0, Math.round((Date.parse(signing.until) - Date.now()) / 1000));
  const duration = seconds >= 3600 ? t('consent.signing.hours', { hours: Math.round(seconds / 3600) }) : t('consent.signing.minutes', { minutes: Math.max(1, Math.round(seconds / 60)) });
  return t('consent.signing.approve', { documents: documentList(t, signing), duration });
}

/** Hours and minutes until the end of the window the button grants, counted from the page's load. */
function SigningCountdown({ validitySeconds }: { validitySeconds: number }) {
  const t = useTranslations('consent.signing');
  const [start] = useState(() => Date.now());
  const [now, setNow] = useState(start);
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 15_000);
    return () => clearInterval(timer);
  }, []);
  const left = Math.max(0, validitySeconds - Math.floor((now - start) / 1000));
  return (
    <span className="ml-2 tabular-nums text-slate-700" data-testid="signing-consent-countdown">
      （{t('countdown', { hours: Math.floor(left / 3600), minutes: Math.floor((left % 3600) / 60) })}）
    </span>
  );
}

/** Which service, which certificate (by its holder), which documents, how many, until when (issue 16 §10). */
function SigningRequest({ view }: { view: InteractionView }) {
  const t = useTranslations();
  const locale = useLocale();
  const hydrated = useHydrated();
  const signing = view.signing!;
  const name = view.account ? (locale === 'en' ? view.account.name : (view.account.nameKanji ?? view.account.name)) : '';
  const qualifications = (view.account?.qualifications ?? []).map((q) => (locale === 'en' ? q.en : q.ja)).join(t('consent.signing.separator'));
  return (
    <section className="mt-6 rounded-lg border border-amber-300 bg-amber-50 p-4" data-testid="signing-consent">
      <h2 className="text-lg font-semibold">{t('signingConsent.title')}</h2>
      <p className="mt-2">{t('signingConsent.question', { service: view.client.name })}</p>
      {signing.problem ? (
        <div className="mt-3">
          <ErrorNotice message={t(`errors.${signing.problem}`)} code={signing.problem} />
        </div>
      ) : null}
      <dl className="mt-3 grid grid-cols-1 gap-x-4 gap-y-2 sm:grid-cols-[10rem_1fr]">
        {signing.certificate ? (
          <>
            <dt className="font-semibold">{t('signingConsent.certificate')}</dt>
            <dd data-testid="signing-certificate">
              <span className="font-semibold" data-testid="signing-holder">
                {qualifications ? t('consent.signing.holder', { name, qualifications }) : t('consent.signing.holderNoQualification', { name })}
              </span>
              <br />
              <span className="text-sm text-slate-700">
                {t('consent.signing.issued', { issuer: signing.certificate.issuerName || signing.certificate.issuer, notAfter: `${formatJst(signing.certificate.notAfter, locale)} JST` })}
              </span>
            </dd>
          </>
        ) : null}
        <dt className="font-semibold">{t('signingConsent.documents')}</dt>
        <dd data-testid="signing-documents">{documentList(t, signing)}</dd>
        <dt className="font-semibold">{t('signingConsent.until')}</dt>
        <dd data-testid="signing-until">
          {t('consent.signing.until', { time: formatJst(signing.until, locale) })}
          {hydrated && signing.validitySeconds !== null ? <SigningCountdown validitySeconds={signing.validitySeconds} /> : null}
        </dd>
        <dt className="font-semibold">{t('signingConsent.count')}</dt>
        <dd data-testid="signing-limit">{signing.numSignatures ? t('consent.signing.limit', { count: signing.numSignatures }) : t('consent.signing.noLimit')}</dd>
      </dl>
    </section>
  );
}
