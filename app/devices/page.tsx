import { redirect } from 'next/navigation';
import { getLocale, getTranslations } from 'next-intl/server';
import { Card, buttonClass, secondaryButtonClass } from '@/app/components/card';
import { getPortalSession } from '@/app/components/portal-session';
import { db } from '@/src/db/current';
import { hasRecentCardLogin, hasRecentHpkiLogin } from '@/src/portal-session/portal-sessions';
import { aaguidName } from '@/src/practitioners/aaguid-names';
import { formatJapanTime } from '@/src/i18n/format-time';
import { DeviceChange } from './device-change';
import { RegistrationReissue } from './registration-reissue';

export const dynamic = 'force-dynamic';

const REAUTH = '/portal/login?reauth=hpki&return=/devices';

/**
 * Device change (SPEC §8, seed 001 Q1/Q2/Q4): the registered device, its replacement after a recent
 * card login, and the immediate reissue of the registration QR after a recent HPKI login.
 */
export default async function DevicesPage() {
  const session = await getPortalSession();
  if (!session) redirect('/portal/login?return=/devices');
  const t = await getTranslations('devices');
  const locale = (await getLocale()) === 'en' ? 'en' : 'ja';
  const p = await db().practitioner.findUniqueOrThrow({ where: { id: session.practitionerId }, include: { passkey: true } });
  const format = (date: Date) => formatJapanTime(date, locale);
  const device = p.passkey;

  return (
    <div className="space-y-6">
      <Card testId="device-current">
        <h1 className="text-2xl font-bold">{t('title')}</h1>
        {device ? (
          <dl className="mt-4 grid grid-cols-1 gap-3 sm:grid-cols-3">
            <div>
              <dt className="text-sm text-slate-500">{t('deviceHeading')}</dt>
              <dd className="text-lg font-semibold" data-testid="device-label">
                {aaguidName(device.aaguid, locale) ?? t('unknownDevice')}
              </dd>
            </div>
            <div>
              <dt className="text-sm text-slate-500">{t('registeredAt')}</dt>
              <dd data-testid="device-registered">{format(device.createdAt)}</dd>
            </div>
            <div>
              <dt className="text-sm text-slate-500">{t('lastUsed')}</dt>
              <dd data-testid="device-last-used">{device.lastUsedAt ? format(device.lastUsedAt) : t('neverUsed')}</dd>
            </div>
          </dl>
        ) : (
          <p className="mt-3" data-testid="device-none">{t('none')}</p>
        )}
      </Card>

      <Card testId="device-change">
        <h2 className="text-xl font-semibold">{t('changeTitle')}</h2>
        <p className="mt-2 text-slate-700">{t('changeExplain')}</p>
        {hasRecentCardLogin(session) ? (
          <DeviceChange />
        ) : (
          <div className="mt-4 space-y-3">
            <p>{t('reauthNeeded')}</p>
            <a className={buttonClass} href={REAUTH} data-testid="device-reauth-link">
              {t('reauthButton')}
            </a>
            <p className="text-sm text-slate-600">{t('orCode')}</p>
          </div>
        )}
      </Card>

      <Card testId="registration-reissue">
        <h2 className="text-xl font-semibold">{t('reissueTitle')}</h2>
        <p className="mt-2 text-slate-700">{t('reissueExplain')}</p>
        {hasRecentHpkiLogin(session) ? (
          <RegistrationReissue />
        ) : (
          <div className="mt-4 space-y-3">
            <p>{t('reissueReauth')}</p>
            <a className={secondaryButtonClass} href={REAUTH} data-testid="reissue-reauth-link">
              {t('reauthButton')}
            </a>
          </div>
        )}
      </Card>

      <a className="inline-block text-sky-800 underline" href="/">
        {t('home')}
      </a>
    </div>
  );
}
