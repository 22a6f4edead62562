import { hcRoleDisplayNames } from '@/src/pki/hcrole';

/** The qualifications a notice can be addressed to, named in the page's language. */
export function noticeRoleOptions(locale: string) {
  return Object.entries(hcRoleDisplayNames)
    .filter(([, d]) => d.kind === 'qualification')
    .map(([role, d]) => ({ role, label: locale === 'en' ? d.en : d.ja }));
}

export function noticeRoleLabel(role: string | null, locale: string) {
  const d = role ? hcRoleDisplayNames[role] : undefined;
  return d ? (locale === 'en' ? d.en : d.ja) : (role ?? '');
}
