import { describe, expect, it } from 'vitest';
import { describeHcRole, hcRoleDisplayNames } from '../../../src/pki/index.ts';

const JHPKI = '1.2.392.100495.1.6.1.1';

/**
 * Seed 004 (004_041438e593bd08d3.txt), slide "hcRoleの内容": 資格名（国家資格、24資格）, with
 * 介護支援専門員 削除, and 資格名（医療機関の管理責任者）, with 薬局開設者 追加. Names as the slide
 * writes them, except 臨床工学技士 (the slide's 技師 is not the legal name) and ・ for the slide's /
 * in あん摩マッサージ指圧師/はり師/きゅう師.
 */
const seedQualifications = [
  '医師',
  '歯科医師',
  '薬剤師',
  '臨床検査技師',
  '診療放射線技師',
  '看護師',
  '保健師',
  '助産師',
  '理学療法士',
  '作業療法士',
  '視能訓練士',
  '言語聴覚士',
  '歯科技工士',
  '管理栄養士',
  '社会福祉士',
  '介護福祉士',
  '救急救命士',
  '精神保健福祉士',
  '臨床工学技士',
  'あん摩マッサージ指圧師・はり師・きゅう師',
  '歯科衛生士',
  '義肢装具士',
  '柔道整復師',
  '衛生検査技師',
];
const seedFacilityManagers = ['病院長', '診療所院長', '管理薬剤師', '薬局開設者', 'その他の保健医療福祉機関の管理責任者'];

const rows = Object.entries(hcRoleDisplayNames);

describe('hcRole table (seed 004)', () => {
  it('has the 24 national qualifications and the 5 facility-manager roles, nothing else', () => {
    expect(seedQualifications).toHaveLength(24);
    expect(rows.filter(([, r]) => r.kind === 'qualification').map(([, r]) => r.ja)).toEqual(seedQualifications);
    expect(rows.filter(([, r]) => r.kind === 'facility-manager').map(([, r]) => r.ja)).toEqual(seedFacilityManagers);
    expect(rows).toHaveLength(29);
  });

  it('gives every seed row a Japanese and an English name, the English one being the certificate string', () => {
    for (const ja of [...seedQualifications, ...seedFacilityManagers]) {
      const [role, entry] = rows.find(([, r]) => r.ja === ja)!;
      expect(entry.en).toBe(role);
      expect(entry.en).toMatch(/^[A-Z][A-Za-z ,]+$/);
      expect(describeHcRole(role, JHPKI)).toMatchObject({ role, displayJa: ja, displayEn: role, known: true });
    }
  });

  it('names each Japanese role once (the CSV import maps Japanese names back to roles)', () => {
    const ja = rows.map(([, r]) => r.ja);
    expect(new Set(ja).size).toBe(ja.length);
  });

  it('names the previously missing roles', () => {
    for (const [role, ja] of [
      ['Anma Massage Shiatsu Practitioner, Acupuncturist and Moxibustion Practitioner', 'あん摩マッサージ指圧師・はり師・きゅう師'],
      ['Judo Therapist', '柔道整復師'],
      ['Proprietor of Pharmacy', '薬局開設者'],
      ['Director of Other Healthcare Facility', 'その他の保健医療福祉機関の管理責任者'],
    ] as const) {
      expect(describeHcRole(role, JHPKI)).toMatchObject({ displayJa: ja, known: true, confirmed: false });
    }
  });

  it('keeps the confirmed flags honest: only the string decoded from a real certificate is confirmed', () => {
    expect(rows.filter(([, r]) => r.confirmed).map(([k]) => k)).toEqual(['Medical Doctor']);
    expect(rows.filter(([, r]) => r.source === 'certificate').map(([k]) => k)).toEqual(['Medical Doctor']);
    expect(rows.filter(([, r]) => r.source === 'secondary').map(([k]) => k)).toEqual(['Director of Hospital', 'Director of Clinic']);
    for (const [, r] of rows) expect(r.confirmed).toBe(r.source === 'certificate');
  });

  it('does not know roles outside the seed: 准看護師, 栄養士 (prefectural licences) and 介護支援専門員 (removed)', () => {
    for (const role of ['Assistant Nurse', 'Dietitian', 'Care Manager', '准看護師', '栄養士', '介護支援専門員']) {
      expect(describeHcRole(role, JHPKI)).toEqual({ role, codingScheme: JHPKI, displayJa: role, displayEn: role, known: false, confirmed: false });
    }
    for (const ja of ['准看護師', '栄養士', '介護支援専門員']) expect(rows.some(([, r]) => r.ja === ja)).toBe(false);
  });
});
