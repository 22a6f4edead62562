import { getLocale, getTranslations } from 'next-intl/server';
import { Card, buttonClass, secondaryButtonClass } from '@/app/components/card';
import { lookupPagePortalSession } from '@/app/components/portal-session';
import { serviceLaunchUrl } from '@/app/components/service-launch';
import { db } from '@/src/db/current';
import { hcRoleClaim } from '@/src/oidc/account';
import { parseStoredHcRoles } from '@/src/practitioners/practitioner';
import { servicesForPractitioner } from '@/src/clients/service-links';
import { findMyNumberCardLink } from '@/src/practitioners/my-number-card-links';
import { PORTAL_CLIENT_ID } from '@/src/portal-session/portal-client';
import { currentPortal } from '@/src/portal/portal';
import { loginMethod } from '@/src/auth/methods/registry';
import { issuerDisplayName } from '@/src/pki/known-issuers';
import { formatJapanDate, formatJapanTime, japanTimeAttribute } from '@/src/i18n/format-time';
import { RequestLinkButton } from './components/request-link-button';
import { SigningAuthorisations } from './components/signing-authorisations';
import { ClientMessages } from './components/client-messages';
import { activeSigningAuthorisations } from '@/src/signing/signing-authorisations';
import { currentNoticesFor } from '@/src/admin/notices';
import { findExpiringCertificates } from '@/src/admin/expiring-certificates';

export const dynamic = 'force-dynamic';

/** Home: the face of the practitioner's license when logged in, otherwise what the portal is. */
export default async function HomePage() {
  const t = await getTranslations('home');
  const tAll = await getTranslations();
  const locale = await getLocale();
  const { session, ended } = await lookupPagePortalSession();
  if (!session) {
    return (
      <div className="space-y-6">
        {ended === 'idle' ? (
          <p role="status" className="rounded-lg border border-amber-300 bg-amber-50 p-4 text-amber-950" data-testid="session-idle-notice">
            {t('idleEnded')}
          </p>
        ) : null}
        <Card>
          <h1 className="text-2xl font-bold">{t('title')}</h1>
          <p className="mt-3 text-slate-700">{t('intro')}</p>
          <ul className="mt-4 list-disc pl-6 text-slate-700">
            <li>{t('methodHpki')}</li>
            <li>{t('methodMnc')}</li>
            <li>{t('methodPasskey')}</li>
          </ul>
          <p className="mt-4 text-slate-600">{t('howToStart')}</p>
          <a className={`${buttonClass} mt-6`} href="/portal/login" data-testid="portal-login">
            {t('login')}
          </a>
        </Card>
      </div>
    );
  }
  const p = await db().practitioner.findUniqueOrThrow({
    where: { id: session.practitionerId },
    include: { passkey: true, certificates: { orderBy: { notAfter: 'desc' }, take: 1 } },
  });
  const roles = hcRoleClaim(parseStoredHcRoles(p.hcRoles));
  const now = new Date();
  const [services, mnc, signIns, authorisations, clients, notices, expiring] = await Promise.all([
    servicesForPractitioner(db(), p.id, [PORTAL_CLIENT_ID]),
    findMyNumberCardLink(db(), p.id),
    db().auditEvent.findMany({ where: { practitionerId: p.id, event: 'login' }, orderBy: { seq: 'desc' }, take: 8 }),
    activeSigningAuthorisations(db(), p.id),
    // Every service by name, disabled ones too: a sign-in to a since-disabled service is still named.
    db().oidcClient.findMany({ select: { clientId: true, name: true, metadata: true } }),
    currentNoticesFor(db(), p, now),
    // Seed 004 (有効期限切れ通知): each certificate that runs out soon, with what to do about it.
    findExpiringCertificates(db(), { days: currentPortal().env.expiryNoticeDays, now, practitionerId: p.id }),
  ]);
  const clientNames = new Map(clients.map((c) => [c.clientId, c.name]));
  clientNames.set(PORTAL_CLIENT_ID, tAll('common.productName'));
  const metadataOf = new Map(clients.map((c) => [c.clientId, c.metadata]));
  const issuer = currentPortal().env.issuer;
  const certificate = p.certificates[0];
  const methodName = (id: string | null) => {
    const method = id ? loginMethod(id) : undefined;
    return method ? tAll(method.chooser.titleKey) : (id ?? '-');
  };
  const failureReason = (code: string | null) => (code && tAll.has(`errors.${code}`) ? tAll(`errors.${code}`) : null);
  const renderedAt = Date.now();
  return (
    <ClientMessages namespaces={['home', 'signingConsent']}>
      <div className="space-y-6">
        {notices.length ? (
          <section aria-labelledby="notices-heading" className="rounded-xl border border-sky-200 bg-sky-50 p-4 sm:p-6" data-testid="home-notices">
            <h2 id="notices-heading" className="text-xl font-semibold text-sky-950">
              {t('noticesHeading')}
            </h2>
            <ul className="mt-3 space-y-4">
              {notices.map((n) => (
                <li key={n.id} data-testid="home-notice">
                  <h3 className="font-semibold">{n.title}</h3>
                  {/* Plain text as written: React escapes it, line breaks are kept by CSS. */}
                  <p className="mt-1 whitespace-pre-line break-words text-slate-800">{n.body}</p>
                </li>
              ))}
            </ul>
          </section>
        ) : null}
        {expiring.rows.map((c) => (
          <section
            key={`${c.kind}-${c.key}`}
            aria-label={t(`expiry.${c.kind}.title`)}
            className="rounded-xl border border-amber-300 bg-amber-50 p-4 text-amber-950 sm:p-6"
            data-testid="expiry-notice"
            data-kind={c.kind}
          >
            <p className="font-semibold">
              {t(`expiry.${c.kind}.title`)}: {t('expiry.until', { date: formatJapanTime(c.notAfter, locale), days: c.daysLeft })}
            </p>
            <p className="mt-1">{t(`expiry.${c.kind}.todo`)}</p>
            {c.kind === 'mnc' ? (
              <a className="mt-2 inline-block font-semibold text-sky-900 underline" href="/my-number-card">
                {t('expiry.mnc.link')}
              </a>
            ) : null}
          </section>
        ))}
        {p.isAdmin ? (
          <p className="text-right">
            <a className="font-semibold text-sky-800 underline" href="/admin" data-testid="admin-link">
              {t('adminLink')}
            </a>
          </p>
        ) : null}
        <Card testId="license">
          <p className="text-sm text-slate-500">{t('licenseHeading')}</p>
          <h1 className="mt-1 text-3xl font-bold" data-testid="license-name">
            {p.familyNameKanji && p.givenNameKanji ? `${p.familyNameKanji} ${p.givenNameKanji}` : `${p.givenName} ${p.familyName}`}
          </h1>
          <p className="text-slate-600">{`${p.givenName} ${p.familyName}`}</p>
          <dl className="mt-4 grid grid-cols-1 gap-3 sm:grid-cols-2">
            <div>
              <dt className="text-sm text-slate-500">{t('qualifications')}</dt>
              <dd className="text-lg font-semibold" data-testid="license-roles">
                {roles.length ? roles.map((r) => (locale === 'en' ? r.displayEn : r.displayJa)).join(locale === 'en' ? ', ' : '、') : t('noQualification')}
              </dd>
            </div>
            <div>
              <dt className="text-sm text-slate-500">{t('registrationNumber')}</dt>
              <dd className="text-lg">{p.registrationNumber}</dd>
            </div>
            {p.facility ? (
              <div>
                <dt className="text-sm text-slate-500">{t('facility')}</dt>
                <dd>{p.facility}</dd>
              </div>
            ) : null}
            {certificate ? (
              <div>
                <dt className="text-sm text-slate-500">{t('issuer')}</dt>
                <dd data-testid="license-issuer">{issuerDisplayName(certificate.issuer, locale)}</dd>
                <dd>
                  <details className="mt-1 text-sm text-slate-600">
                    <summary className="cursor-pointer">{t('issuerDetail')}</summary>
                    <p className="mt-1 break-all font-mono text-xs" data-testid="license-issuer-dn">
                      {certificate.issuer}
                    </p>
                  </details>
                </dd>
              </div>
            ) : null}
          </dl>
        </Card>
        <Card testId="services">
          <h2 className="text-xl font-semibold">{t('servicesHeading')}</h2>
          {services.length === 0 ? <p className="mt-2 text-slate-600">{t('servicesNone')}</p> : null}
          <ul className="mt-3 divide-y divide-slate-200">
            {services.map((service) => {
              const launch = serviceLaunchUrl(metadataOf.get(service.clientId), issuer);
              return (
                <li key={service.clientId} className="flex flex-wrap items-center justify-between gap-3 py-3" data-testid={`service-${service.clientId}`}>
                  <span className="font-medium">{service.name}</span>
                  <span className="flex flex-wrap items-center gap-3">
                    {service.link?.status === 'approved' ? <span className="text-sm text-emerald-700">{t('linkApproved')}</span> : null}
                    {service.link?.status === 'requested' ? <span className="text-sm text-amber-700" data-testid="link-requested">{t('linkRequested')}</span> : null}
                    {service.link?.status === 'rejected' ? <span className="text-sm text-red-700">{t('linkRejected')}</span> : null}
                    {!service.link || service.link.status === 'rejected' ? <RequestLinkButton clientId={service.clientId} /> : null}
                    {launch ? (
                      <a className={buttonClass} href={launch} data-testid="service-launch" aria-label={t('launchService', { service: service.name })}>
                        {t('launch')}
                      </a>
                    ) : null}
                  </span>
                </li>
              );
            })}
          </ul>
        </Card>
        <Card testId="signing">
          <h2 className="text-xl font-semibold">{t('signingHeading')}</h2>
          <SigningAuthorisations
            renderedAt={renderedAt}
            rows={authorisations.map((a) => ({
              grantId: a.grantId,
              service: clientNames.get(a.clientId) ?? a.clientId,
              documentTypes: a.documentTypes,
              expiresAt: a.expiresAt.toISOString(),
              expiresLabel: formatJapanTime(a.expiresAt, locale),
              signatures: a.signatures,
              maxSignatures: a.maxSignatures,
            }))}
          />
        </Card>
        <Card testId="device">
          <h2 className="text-xl font-semibold">{t('deviceHeading')}</h2>
          <p className="mt-2 text-slate-700">
            {p.passkey ? t('deviceRegistered', { date: formatJapanDate(p.passkey.createdAt, locale) }) : t('deviceNone')}
          </p>
          <p className="mt-2 text-slate-700" data-testid="device-next">
            {p.passkey ? t('deviceNextRegistered') : t('deviceNextNone')}
          </p>
          <a className="mt-3 inline-block text-sky-800 underline" href="/devices">
            {t('deviceManage')}
          </a>
        </Card>
        <Card testId="mnc">
          <h2 className="text-xl font-semibold">{t('mncHeading')}</h2>
          <p className="mt-2 text-slate-700">{mnc ? t('mncLinked', { date: formatJapanDate(mnc.linkedAt, locale) }) : t('mncNone')}</p>
          <p className="mt-2 text-slate-700" data-testid="mnc-next">
            {mnc ? t('mncNextLinked') : t('mncNextNone')}
          </p>
          <a className="mt-3 inline-block text-sky-800 underline" href="/my-number-card">
            {t('mncManage')}
          </a>
        </Card>
        <Card testId="sign-ins">
          <h2 className="text-xl font-semibold">{t('signInsHeading')}</h2>
          <ul className="mt-3 space-y-2 text-sm">
            {signIns.map((e) => {
              const reason = e.result === 'success' ? null : failureReason(e.errorCode);
              return (
                <li key={String(e.seq)} className={e.result === 'success' ? 'text-slate-700' : 'text-red-800'} data-testid="sign-in">
                  <time dateTime={japanTimeAttribute(e.at)}>{formatJapanTime(e.at, locale)}</time> · {methodName(e.method)} ·{' '}
                  {clientNames.get(e.clientId ?? '') ?? e.clientId ?? ''} · {e.result === 'success' ? t('signInOk') : t('signInFailed')}
                  {reason ? <span className="block pl-4">{reason}</span> : e.errorCode && e.result !== 'success' ? ` (${e.errorCode})` : null}
                </li>
              );
            })}
          </ul>
        </Card>
        <form method="post" action="/portal/logout">
          <button type="submit" className={secondaryButtonClass} data-testid="portal-logout">
            {t('logout')}
          </button>
        </form>
      </div>
    </ClientMessages>
  );
}
