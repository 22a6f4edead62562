export { describeHcRole, hcRoleDisplayNames } from './displayNames.ts';
export type { HcRoleDescription, HcRoleDisplayName } from './displayNames.ts';
export { HcRoleMalformedError, MAX_HCROLE_EXTENSION_BYTES, parseHcRoleExtensionValue, parseHcRoles } from './parseHcRoles.ts';
export type { HcRole } from './parseHcRoles.ts';
export { Attribute, CodedData, DirectoryString, HCActor, HCActorData, SubjectDirectoryAttributes } from './schema.ts';
export type { DirectoryStringForm } from './schema.ts';
export { acceptedHcRoles, acceptedHcRoleSchemes, isAcceptedHcRoleScheme, sameHcRole } from './schemes.ts';
