/**
 * Names of well-known passkey providers by AAGUID (from the community-maintained
 * passkey-authenticator-aaguids list), so the device page can say what the registered device is.
 */
type Name = { ja: string; en: string };
const same = (name: string): Name => ({ ja: name, en: name });

const AAGUID_NAMES: Record<string, Name> = {
  'fbfc3007-154e-4ecc-8c0b-6e020557d7bd': { ja: 'iCloud キーチェーン（iPhone・iPad・Mac）', en: 'iCloud Keychain (iPhone, iPad, Mac)' },
  'dd4ec289-e01d-41c9-bb89-70fa845d4bf2': { ja: 'iCloud キーチェーン（管理対象）', en: 'iCloud Keychain (managed)' },
  'ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4': { ja: 'Google パスワード マネージャー（Android）', en: 'Google Password Manager (Android)' },
  'adce0002-35bc-c60a-648b-0b25f1f05503': same('Chrome on Mac'),
  '08987058-cadc-4b81-b6e1-30de50dcbe96': same('Windows Hello'),
  '9ddd1817-af5a-4672-a2b9-3e3dd95000a9': same('Windows Hello'),
  '6028b017-b1d4-4c02-b4b3-afcdafc96bb2': same('Windows Hello'),
  '53414d53-554e-4700-0000-000000000000': same('Samsung Pass'),
  'bada5566-a7aa-401f-bd96-45619a55120d': same('1Password'),
  'd548826e-79b4-db40-a3d8-11116f7e8349': same('Bitwarden'),
  '531126d6-e717-415c-9320-3d9aa6981239': same('Dashlane'),
  'b84e4048-15dc-4dd0-8640-f4f60813c8af': same('NordPass'),
  '0ea242b4-43c4-4a1b-8b17-dd6d0b6baec6': same('Keeper'),
  'ee882879-721c-4913-9775-3dfcce97072a': same('YubiKey 5'),
};

/** The provider's name for a known AAGUID; null for an unknown or all-zero one ("none" attestation). */
export function aaguidName(aaguid: string | null | undefined, locale: 'ja' | 'en' = 'ja'): string | null {
  if (!aaguid) return null;
  return AAGUID_NAMES[aaguid.toLowerCase()]?.[locale] ?? null;
}
