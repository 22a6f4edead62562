import { OID } from '../oids.ts';

export interface HcRoleDisplayName {
  ja: string;
  en: string;
  /** True only when the key string itself has been seen in a real certificate or an official table. */
  confirmed: boolean;
  /** Where the key string comes from, for reviewers (the row's comment names the source). */
  source: 'certificate' | 'secondary' | 'unverified';
  /** Which half of seed 004's table the role belongs to: 国家資格 or 医療機関の管理責任者. */
  kind: 'qualification' | 'facility-manager';
}

/**
 * Display names keyed by the hcRole string exactly as written in codeDataFreeText
 * (coding scheme 1.2.392.100495.1.6.1.1).
 *
 * The rows are seed 004's "hcRoleの内容" (the 認証用(人) CP's table): 24 national qualifications
 * (介護支援専門員 removed) and 5 facility-manager roles (薬局開設者 added), in that slide's order.
 * Japanese names are the seed's, except 臨床工学技士 (the legal name; the slide writes 技師) and ・
 * where the slide writes あん摩マッサージ指圧師/はり師/きゅう師.
 *
 * Sources of the key strings: "Medical Doctor" is decoded from a real MEDIS certificate
 * (research/protocol-facts.md §A1); "Director of Hospital" and "Director of Clinic" appear only in
 * third-party code (§A1, a PHR project's MedicalLoginController.java). Every other key is this
 * project's best guess at the CP's English spelling: none of the public material searched for issue
 * 17 (MHLW CP pages, the JAHIS HPKI card guideline v3.0/v3.1 full text, public code) shows the
 * CP's hcRole string table. A wrong key is harmless (the string passes through as unknown,
 * `known: false`) but MUST be checked against the current MHLW 署名用 / 認証用(人) 証明書ポリシ
 * before it is marked confirmed.
 *
 * Not in the table: 准看護師 and 栄養士 (licences granted by prefectures, not national
 * qualifications; seed 004 does not list them, and no source shows them as hcRole values) and
 * 介護支援専門員 (seed 004: 削除). Such strings pass through with `known: false`.
 */
const qualification = (ja: string, en: string, source: HcRoleDisplayName['source'] = 'unverified'): HcRoleDisplayName => ({
  ja,
  en,
  confirmed: source === 'certificate',
  source,
  kind: 'qualification',
});
const facilityManager = (ja: string, en: string, source: HcRoleDisplayName['source'] = 'unverified'): HcRoleDisplayName => ({
  ja,
  en,
  confirmed: source === 'certificate',
  source,
  kind: 'facility-manager',
});

export const hcRoleDisplayNames: Readonly<Record<string, HcRoleDisplayName>> = Object.freeze({
  // 資格名（国家資格、24資格）
  'Medical Doctor': qualification('医師', 'Medical Doctor', 'certificate'), // decoded: MEDIS test certificate Test117120 (§A1)
  Dentist: qualification('歯科医師', 'Dentist'), // guess
  Pharmacist: qualification('薬剤師', 'Pharmacist'), // guess
  'Clinical Laboratory Technician': qualification('臨床検査技師', 'Clinical Laboratory Technician'), // guess
  'Radiological Technologist': qualification('診療放射線技師', 'Radiological Technologist'), // guess
  Nurse: qualification('看護師', 'Nurse'), // guess
  'Public Health Nurse': qualification('保健師', 'Public Health Nurse'), // guess
  Midwife: qualification('助産師', 'Midwife'), // guess
  'Physical Therapist': qualification('理学療法士', 'Physical Therapist'), // guess
  'Occupational Therapist': qualification('作業療法士', 'Occupational Therapist'), // guess
  Orthoptist: qualification('視能訓練士', 'Orthoptist'), // guess
  'Speech Therapist': qualification('言語聴覚士', 'Speech Therapist'), // guess
  'Dental Technician': qualification('歯科技工士', 'Dental Technician'), // guess
  'Registered Dietitian': qualification('管理栄養士', 'Registered Dietitian'), // guess
  'Certified Social Worker': qualification('社会福祉士', 'Certified Social Worker'), // guess
  'Certified Care Worker': qualification('介護福祉士', 'Certified Care Worker'), // guess
  'Emergency Medical Technician': qualification('救急救命士', 'Emergency Medical Technician'), // guess
  'Psychiatric Social Worker': qualification('精神保健福祉士', 'Psychiatric Social Worker'), // guess
  'Clinical Engineer': qualification('臨床工学技士', 'Clinical Engineer'), // guess
  // One row in the seed (あん摩マッサージ指圧師/はり師/きゅう師), so one string in the table; guess.
  'Anma Massage Shiatsu Practitioner, Acupuncturist and Moxibustion Practitioner': qualification(
    'あん摩マッサージ指圧師・はり師・きゅう師',
    'Anma Massage Shiatsu Practitioner, Acupuncturist and Moxibustion Practitioner',
  ),
  'Dental Hygienist': qualification('歯科衛生士', 'Dental Hygienist'), // guess
  'Prosthetist and Orthotist': qualification('義肢装具士', 'Prosthetist and Orthotist'), // guess
  'Judo Therapist': qualification('柔道整復師', 'Judo Therapist'), // guess
  'Medical Technologist': qualification('衛生検査技師', 'Medical Technologist'), // guess

  // 資格名（医療機関の管理責任者）
  'Director of Hospital': facilityManager('病院長', 'Director of Hospital', 'secondary'), // third-party code only (§A1)
  'Director of Clinic': facilityManager('診療所院長', 'Director of Clinic', 'secondary'), // third-party code only (§A1)
  'Director of Pharmacy': facilityManager('管理薬剤師', 'Director of Pharmacy'), // guess
  'Proprietor of Pharmacy': facilityManager('薬局開設者', 'Proprietor of Pharmacy'), // guess (seed: 追加)
  'Director of Other Healthcare Facility': facilityManager('その他の保健医療福祉機関の管理責任者', 'Director of Other Healthcare Facility'), // guess
});

export interface HcRoleDescription {
  role: string;
  codingScheme: string;
  displayJa: string;
  displayEn: string;
  /** The role string is in the table and belongs to the Japanese HPKI coding scheme. */
  known: boolean;
  /** The table entry's key is confirmed (see hcRoleDisplayNames); false for unknown roles. */
  confirmed: boolean;
}

/** Display names for one hcRole; unknown roles or schemes pass through with the raw string as name. */
export function describeHcRole(role: string, codingScheme: string): HcRoleDescription {
  const entry = codingScheme === OID.jhpkiCodingScheme && Object.hasOwn(hcRoleDisplayNames, role) ? hcRoleDisplayNames[role] : undefined;
  if (!entry) return { role, codingScheme, displayJa: role, displayEn: role, known: false, confirmed: false };
  return { role, codingScheme, displayJa: entry.ja, displayEn: entry.en, known: true, confirmed: entry.confirmed };
}
