import { getLocale, getTranslations } from 'next-intl/server';
import { formatJapanDate } from '@/src/i18n/format-time';
import { db } from '@/src/db/current';
import { findRegistrationCode, registrationCodeProblem } from '@/src/practitioners/registration-codes';
import { Card, ErrorNotice } from '@/app/components/card';
import { RegistrationForm } from './registration-form';
import { MyNumberCardLink } from './my-number-card-link';

export const dynamic = 'force-dynamic';

/** Landing page of the registration QR: a code that cannot be used says why and what to do. */
export default async function RegisterPage({ params }: { params: Promise<{ code: string }> }) {
  const { code } = await params;
  const t = await getTranslations();
  const row = await findRegistrationCode(db(), code);
  const problem = registrationCodeProblem(row);
  if (problem) {
    return (
      <Card testId="registration-problem">
        <h1 className="text-2xl font-bold">{t('register.title')}</h1>
        <div className="mt-4">
          <ErrorNotice message={t(`errors.${problem}`)} code={problem} />
        </div>
      </Card>
    );
  }
  const p = row!.practitioner;
  return (
    <div className="space-y-6">
      <RegistrationForm
        code={code}
        name={p.familyNameKanji && p.givenNameKanji ? `${p.familyNameKanji} ${p.givenNameKanji}` : `${p.givenName} ${p.familyName}`}
        validUntil={formatJapanDate(row!.expiresAt, await getLocale())}
      />
      <MyNumberCardLink code={code} />
    </div>
  );
}
