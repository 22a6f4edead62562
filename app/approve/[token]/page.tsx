import { getLocale, getTranslations } from 'next-intl/server';
import { db } from '@/src/db/current';
import { approvalProblem, findCrossDeviceRequest } from '@/src/auth/methods/passkey-cross-device/cross-device-requests';
import { Card, ErrorNotice } from '@/app/components/card';
import { ApproveForm } from './approve-form';
import { formatJapanTime } from '@/src/i18n/format-time';

export const dynamic = 'force-dynamic';

/**
 * The phone's page behind the terminal's QR code: says which service and which terminal login it
 * approves, then the WebAuthn ceremony. A used, expired, withdrawn or unknown URL says so, with a code.
 */
export default async function ApprovePage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  const t = await getTranslations();
  const locale = await getLocale();
  const row = await findCrossDeviceRequest(db(), token);
  const problem = approvalProblem(row);
  if (problem || !row) {
    const code = problem ?? 'cross_device_unknown';
    return (
      <Card testId="approve-problem">
        <h1 className="text-2xl font-bold">{t('approve.problemTitle')}</h1>
        <div className="mt-4">
          <ErrorNotice message={t(`errors.${code}`)} code={code} />
        </div>
      </Card>
    );
  }
  const time = formatJapanTime(row.createdAt, locale, { seconds: true });
  return (
    <ApproveForm
      token={token}
      service={row.clientName}
      time={time}
      terminal={row.terminalAgent ?? t('approve.unknown')}
      terminalIp={row.terminalIp ?? t('approve.unknown')}
    />
  );
}
