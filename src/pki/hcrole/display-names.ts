import { OID } from '../oids.ts';

export interface HcRoleDisplayName {
  ja: string;
  en: string;
  /** True only when the English key has been seen in a real certificate or an official table. */
  confirmed: boolean;
  /** Where the key string comes from, for reviewers. */
  source: 'certificate' | 'secondary' | 'unverified';
}

/**
 * Display names keyed by the hcRole string exactly as written in codeDataFreeText
 * (coding scheme 1.2.392.100495.1.6.1.1).
 *
 * Only "Medical Doctor" has been seen in a real certificate; "Director of Hospital" and
 * "Director of Clinic" come from third-party code. Every `confirmed: false` key is a best guess at
 * the CP's English spelling and MUST be checked against the current MHLW CP
 * (署名用証明書ポリシ / 認証用(人)証明書ポリシ, hcRole table) before shipping: a wrong key is harmless
 * (the string passes through as unknown) but a right role shown under a wrong name is not.
 */
export const hcRoleDisplayNames: Readonly<Record<string, HcRoleDisplayName>> = Object.freeze({
  // National qualifications (国家資格).
  'Medical Doctor': { ja: '医師', en: 'Medical Doctor', confirmed: true, source: 'certificate' },
  Dentist: { ja: '歯科医師', en: 'Dentist', confirmed: false, source: 'unverified' },
  Pharmacist: { ja: '薬剤師', en: 'Pharmacist', confirmed: false, source: 'unverified' },
  'Public Health Nurse': { ja: '保健師', en: 'Public Health Nurse', confirmed: false, source: 'unverified' },
  Midwife: { ja: '助産師', en: 'Midwife', confirmed: false, source: 'unverified' },
  Nurse: { ja: '看護師', en: 'Nurse', confirmed: false, source: 'unverified' },
  'Assistant Nurse': { ja: '准看護師', en: 'Assistant Nurse', confirmed: false, source: 'unverified' },
  'Physical Therapist': { ja: '理学療法士', en: 'Physical Therapist', confirmed: false, source: 'unverified' },
  'Occupational Therapist': { ja: '作業療法士', en: 'Occupational Therapist', confirmed: false, source: 'unverified' },
  Orthoptist: { ja: '視能訓練士', en: 'Orthoptist', confirmed: false, source: 'unverified' },
  'Speech Therapist': { ja: '言語聴覚士', en: 'Speech Therapist', confirmed: false, source: 'unverified' },
  'Dental Hygienist': { ja: '歯科衛生士', en: 'Dental Hygienist', confirmed: false, source: 'unverified' },
  'Dental Technician': { ja: '歯科技工士', en: 'Dental Technician', confirmed: false, source: 'unverified' },
  'Radiological Technologist': { ja: '診療放射線技師', en: 'Radiological Technologist', confirmed: false, source: 'unverified' },
  'Clinical Laboratory Technician': { ja: '臨床検査技師', en: 'Clinical Laboratory Technician', confirmed: false, source: 'unverified' },
  'Medical Technologist': { ja: '衛生検査技師', en: 'Medical Technologist', confirmed: false, source: 'unverified' },
  'Clinical Engineer': { ja: '臨床工学技士', en: 'Clinical Engineer', confirmed: false, source: 'unverified' },
  'Prosthetist and Orthotist': { ja: '義肢装具士', en: 'Prosthetist and Orthotist', confirmed: false, source: 'unverified' },
  'Emergency Medical Technician': { ja: '救急救命士', en: 'Emergency Medical Technician', confirmed: false, source: 'unverified' },
  'Registered Dietitian': { ja: '管理栄養士', en: 'Registered Dietitian', confirmed: false, source: 'unverified' },
  Dietitian: { ja: '栄養士', en: 'Dietitian', confirmed: false, source: 'unverified' },
  'Certified Social Worker': { ja: '社会福祉士', en: 'Certified Social Worker', confirmed: false, source: 'unverified' },
  'Certified Care Worker': { ja: '介護福祉士', en: 'Certified Care Worker', confirmed: false, source: 'unverified' },
  'Psychiatric Social Worker': { ja: '精神保健福祉士', en: 'Psychiatric Social Worker', confirmed: false, source: 'unverified' },

  // Facility managers (保健医療福祉機関の管理者). The CP names five; only these two keys have any
  // source, the pharmacy one is a guess, and the remaining manager keys are not known at all.
  'Director of Hospital': { ja: '病院長', en: 'Director of Hospital', confirmed: false, source: 'secondary' },
  'Director of Clinic': { ja: '診療所院長', en: 'Director of Clinic', confirmed: false, source: 'secondary' },
  'Director of Pharmacy': { ja: '管理薬剤師', en: 'Director of Pharmacy', confirmed: false, source: 'unverified' },
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
