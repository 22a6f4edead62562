import { getLocale, getTranslations } from 'next-intl/server';
import { formatJapanDate } from '@/src/i18n/format-time';
import { Card, buttonClass } from '@/app/components/card';
import { getPortalSession } from '@/app/components/portal-session';
import { db } from '@/src/db/current';
import { hasRecentHpkiLogin } from '@/src/portal-session/portal-sessions';
import { findMyNumberCardLink } from '@/src/practitioners/my-number-card-links';
import { headers } from 'next/headers';
import { DEMO_CLIENT_HEADER, JPKI_PAGE_PIN_HEADER } from '@/src/http/page-headers';
import { LinkMyNumberCard, UnlinkMyNumberCard } from './link-controls';

export const dynamic = 'force-dynamic';

/** マイナンバーカード: link the card after a recent HPKI login, see or remove the link. */
export default async function MyNumberCardPage() {
  const t = await getTranslations('myNumberCard');
  const session = await getPortalSession();
  if (!session) {
    return (
      <Card>
        <h1 className="text-2xl font-bold">{t('title')}</h1>
        <p className="mt-3">{t('loginFirst')}</p>
        <a className={`${buttonClass} mt-4`} href="/portal/login?return=/my-number-card" data-testid="portal-login">
          {t('reauth')}
        </a>
      </Card>
    );
  }
  const link = await findMyNumberCardLink(db(), session.practitionerId);
  const requestHeaders = await headers();
  const recent = hasRecentHpkiLogin(session);
  return (
    <div className="space-y-6">
      {requestHeaders.get(DEMO_CLIENT_HEADER) === '1' ? (
        <>
          {/* Demo mode only: a software My Number Card (PIN 1234) behind the extension's messages. */}
          <script src="/demo/software-my-number-card.js" async />
          <script src="/demo/software-card.js?holder=doctor" async />
        </>
      ) : null}
      <Card testId="mnc-status">
        <h1 className="text-2xl font-bold">{t('title')}</h1>
        <p className="mt-3 text-slate-700">{t('intro')}</p>
        <p className="mt-4 font-semibold" data-testid="mnc-link-state">
          {link ? t('linked', { date: formatJapanDate(link.linkedAt, await getLocale()) }) : t('notLinked')}
        </p>
        {link ? <UnlinkMyNumberCard /> : null}
        <p className="mt-2 text-sm text-slate-500">{t('renewHint')}</p>
      </Card>
      {recent ? (
        <LinkMyNumberCard pagePin={requestHeaders.get(JPKI_PAGE_PIN_HEADER) === '1'} />
      ) : (
        <Card testId="mnc-reauth">
          <p>{t('needHpki')}</p>
          <a className={`${buttonClass} mt-4`} href="/portal/login?reauth=hpki&return=/my-number-card" data-testid="mnc-reauth-link">
            {t('reauth')}
          </a>
        </Card>
      )}
    </div>
  );
}
