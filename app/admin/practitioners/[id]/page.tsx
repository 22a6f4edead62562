import { notFound } from 'next/navigation';
import { getLocale, getTranslations } from 'next-intl/server';
import { Card } from '@/app/components/card';
import { db } from '@/src/db/current';
import { listSigningCredentials } from '@/src/signing/signing-credential-lifecycle';
import { describeHcRole } from '@/src/pki/hcrole/display-names';
import { parseStoredHcRoles } from '@/src/practitioners/practitioner';
import { AdminForbidden, AdminNav } from '../../admin-nav';
import { requireAdminPage } from '../../admin-guard';
import { formatDate, formatDateTime } from '../../format';
import { PractitionerActions } from '../practitioner-actions';
import { SecondCertificate } from '../second-certificate';
import { AdminMncLink } from '../admin-mnc-link';

export const dynamic = 'force-dynamic';

/** One practitioner: the usual actions, the second certificate's lifecycle, the My Number Card link. */
export default async function AdminPractitionerPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const admin = await requireAdminPage(`/admin/practitioners/${id}`);
  if (!admin) return <AdminForbidden />;
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) notFound();
  const p = await db().practitioner.findUnique({ where: { id }, include: { passkey: true } });
  if (!p) notFound();
  const t = await getTranslations('admin');
  const locale = await getLocale();
  const [credentials, mnc] = await Promise.all([listSigningCredentials(db(), id), db().myNumberCardLink.findUnique({ where: { practitionerId: id } })]);
  const roles = parseStoredHcRoles(p.hcRoles).map((r) => (locale === 'en' ? r.role : describeHcRole(r.role, r.codingScheme).displayJa));
  const pending = credentials.find((c) => c.status === 'pending-certificate' && !c.keyDestroyedAt);
  return (
    <div className="space-y-6">
      <AdminNav current="practitioners" />
      <Card testId="admin-practitioner">
        <h1 className="text-2xl font-bold">
          {p.familyNameKanji && p.givenNameKanji ? `${p.familyNameKanji} ${p.givenNameKanji}` : `${p.givenName} ${p.familyName}`}
          {p.lockedAt ? <span className="ml-2 rounded bg-red-100 px-2 py-0.5 text-sm text-red-900">{t('practitioners.locked')}</span> : null}
        </h1>
        <p className="text-slate-700">
          {t('practitioners.registrationNumber')}: {p.registrationNumber} · {roles.length ? roles.join(locale === 'en' ? ', ' : '、') : t('practitioners.noQualification')}
          {p.facility ? ` · ${p.facility}` : ''}
        </p>
        <p className="text-sm text-slate-600">
          {p.passkey ? t('practitioners.device', { at: formatDateTime(p.passkey.createdAt, locale) }) : t('practitioners.noDevice')}
        </p>
        <PractitionerActions id={p.id} locked={p.lockedAt !== null} self={p.id === admin.id} hasDevice={p.passkey !== null} hasMnc={mnc !== null} />
      </Card>
      <Card testId="admin-second-certificate">
        <h2 className="text-xl font-semibold">{t('secondCert.title')}</h2>
        <p className="mt-1 text-sm text-slate-700">{t('secondCert.intro')}</p>
        <SecondCertificate
          practitionerId={p.id}
          pendingPublicKeyPem={pending?.publicKeyPem ?? null}
          rows={credentials.map((c) => ({
            id: c.id,
            status: c.status,
            current: c.current,
            keyStore: c.keyStore,
            keyAlgorithm: c.keyAlgorithm,
            keyDestroyedAt: c.keyDestroyedAt,
            keyDestroyedLabel: c.keyDestroyedAt ? formatDateTime(c.keyDestroyedAt, locale) : null,
            certificate: c.certificate && {
              subject: c.certificate.subject,
              issuer: c.certificate.issuer,
              serialNumber: c.certificate.serialNumber,
              notBeforeLabel: formatDateTime(c.certificate.notBefore, locale),
              notAfterLabel: formatDateTime(c.certificate.notAfter, locale),
              notAfter: c.certificate.notAfter,
            },
          }))}
        />
      </Card>
      <Card testId="admin-mnc">
        <h2 className="text-xl font-semibold">{t('mncLink.title')}</h2>
        <p className="mt-2 text-slate-700" data-testid="admin-mnc-state">
          {mnc
            ? t('mncLink.current', { date: formatDateTime(mnc.linkedAt, locale), expiry: mnc.notAfter ? formatDate(mnc.notAfter, locale) : t('mncLink.expiryUnknown') })
            : t('practitioners.noMnc')}
        </p>
        <AdminMncLink practitionerId={p.id} replacing={mnc !== null} />
      </Card>
    </div>
  );
}
