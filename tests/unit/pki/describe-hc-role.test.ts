import { describe, expect, it } from 'vitest';
import { describeHcRole, hcRoleDisplayNames } from '../../../src/pki/index.ts';

const JHPKI = '1.2.392.100495.1.6.1.1';

describe('describeHcRole', () => {
  it('names the verified Medical Doctor role', () => {
    expect(describeHcRole('Medical Doctor', JHPKI)).toEqual({
      role: 'Medical Doctor',
      codingScheme: JHPKI,
      displayJa: '医師',
      displayEn: 'Medical Doctor',
      known: true,
      confirmed: true,
    });
  });

  it('names secondary-source roles but does not call them confirmed', () => {
    expect(describeHcRole('Director of Hospital', JHPKI)).toMatchObject({ displayJa: '病院長', known: true, confirmed: false });
  });

  it('passes unknown strings through unchanged', () => {
    expect(describeHcRole('Chief Wizard', JHPKI)).toEqual({
      role: 'Chief Wizard',
      codingScheme: JHPKI,
      displayJa: 'Chief Wizard',
      displayEn: 'Chief Wizard',
      known: false,
      confirmed: false,
    });
  });

  it('does not map a known string under another coding scheme', () => {
    expect(describeHcRole('Medical Doctor', '1.0.17090.1.1')).toMatchObject({ displayJa: 'Medical Doctor', known: false });
  });

  it('does not treat Object.prototype keys as roles', () => {
    expect(describeHcRole('constructor', JHPKI).known).toBe(false);
    expect(describeHcRole('__proto__', JHPKI).known).toBe(false);
  });

  it('confirms only the role seen in a real certificate', () => {
    const confirmed = Object.entries(hcRoleDisplayNames).filter(([, v]) => v.confirmed).map(([k]) => k);
    expect(confirmed).toEqual(['Medical Doctor']);
    expect(Object.keys(hcRoleDisplayNames).length).toBeGreaterThanOrEqual(24);
    for (const [key, entry] of Object.entries(hcRoleDisplayNames)) expect(entry.en).toBe(key);
  });
});
