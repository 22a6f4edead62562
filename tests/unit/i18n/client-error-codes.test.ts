import { describe, expect, it } from 'vitest';
import ja from '../../../src/i18n/messages/ja.json' with { type: 'json' };
import en from '../../../src/i18n/messages/en.json' with { type: 'json' };
import { CLIENT_ERROR_CODES } from '../../../app/components/client-error-codes.ts';

/** The browser gets only these error sentences with a page: each must exist in both languages. */
describe('client-side error codes', () => {
  it.each([
    ['ja', ja.errors as Record<string, string>],
    ['en', en.errors as Record<string, string>],
  ])('every code the browser looks up itself has a sentence in %s', (_lang, errors) => {
    const missing = CLIENT_ERROR_CODES.filter((code) => typeof errors[code] !== 'string' || errors[code].length === 0);
    expect(missing).toEqual([]);
  });

  it('is a small part of the catalogue, not all of it', () => {
    expect(CLIENT_ERROR_CODES.length).toBeGreaterThan(10);
    expect(CLIENT_ERROR_CODES.length).toBeLessThan(Object.keys(ja.errors).length / 3);
    expect(new Set(CLIENT_ERROR_CODES).size).toBe(CLIENT_ERROR_CODES.length);
  });
});
