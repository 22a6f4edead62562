import { notFound } from 'next/navigation';
import { getTranslations } from 'next-intl/server';
import { Card } from '@/app/components/card';
import { db } from '@/src/db/current';
import { AdminForbidden, AdminNav } from '../../../admin-nav';
import { requireAdminPage } from '../../../admin-guard';
import { RegistrationSheet } from './registration-sheet';

export const dynamic = 'force-dynamic';

/**
 * Reissue of the registration QR (seed 001): issuing makes a new one-time code and every earlier
 * code stops working. The sheet (QR, URL, expiry, password hint) is printed and sent to the
 * practitioner; the code exists only on that sheet (the database keeps its hash).
 */
export default async function RegistrationReissuePage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  if (!(await requireAdminPage(`/admin/practitioners/${id}/registration`))) return <AdminForbidden />;
  if (!/^[0-9a-f-]{36}$/i.test(id)) notFound();
  const p = await db().practitioner.findUnique({ where: { id }, include: { passkey: true } });
  if (!p) notFound();
  const t = await getTranslations('admin');
  const name = p.familyNameKanji && p.givenNameKanji ? `${p.familyNameKanji} ${p.givenNameKanji}` : `${p.givenName} ${p.familyName}`;
  return (
    <div className="space-y-6">
      <div className="print:hidden">
        <AdminNav current="practitioners" />
      </div>
      <Card testId="admin-registration">
        <div className="print:hidden">
          <h1 className="text-2xl font-bold">{t('registration.title')}</h1>
          <p className="mt-2 text-slate-700">{t('registration.intro')}</p>
          {p.passkey ? <p className="mt-2 text-amber-800">{t('registration.hasDevice')}</p> : null}
          {!p.birthDate ? <p className="mt-2 font-semibold text-red-800">{t('registration.noBirthDate')}</p> : null}
        </div>
        <RegistrationSheet practitionerId={p.id} name={name} romanised={`${p.givenName} ${p.familyName}`.trim()} registrationNumber={p.registrationNumber} />
      </Card>
    </div>
  );
}
