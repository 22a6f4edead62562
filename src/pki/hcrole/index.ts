export { describeHcRole, hcRoleDisplayNames } from './display-names.ts';
export type { HcRoleDescription, HcRoleDisplayName } from './display-names.ts';
export { HcRoleMalformedError, MAX_HCROLE_EXTENSION_BYTES, parseHcRoleExtensionValue, parseHcRoles } from './parse-hc-roles.ts';
export type { HcRole } from './parse-hc-roles.ts';
export { Attribute, CodedData, DirectoryString, HCActor, HCActorData, SubjectDirectoryAttributes } from './schema.ts';
export type { DirectoryStringForm } from './schema.ts';
export { acceptedHcRoles, acceptedHcRoleSchemes, isAcceptedHcRoleScheme, sameHcRole } from './schemes.ts';
