/**
 * The audit log's event names, grouped as the console offers them in its filter. The console shows
 * each by its label (admin.auditEvent.<messageKey>) and keeps the name itself as the detail.
 */
export const AUDIT_EVENT_GROUPS = [
  { id: 'signIn', prefix: null, events: ['login', 'portal.login', 'cross_device.start', 'cross_device.approve', 'logout', 'logout.backchannel'] },
  { id: 'tokens', prefix: 'token.', events: ['consent', 'token.issued', 'token.refresh_retried'] },
  {
    id: 'devices',
    prefix: null,
    events: ['registration.password', 'registration.passkey', 'registration.reissue', 'device.registered', 'device.change', 'device.removed', 'registration.mnc_challenge', 'registration.mnc_link', 'mnc.link', 'mnc.unlink', 'service_link.request', 'service_link.set', 'service_link.remove'],
  },
  { id: 'signing', prefix: null, events: ['signature', 'signing.revoke'] },
  { id: 'security', prefix: 'security.', events: ['security.rate_limited', 'security.demo_helper_refused', 'security.client_certificate_header_refused', 'security.audit_chain_broken'] },
  {
    id: 'admin',
    prefix: 'admin.',
    events: [
      'admin.practitioner.search',
      'admin.practitioner.import_csv',
      'admin.practitioner.import_certificate',
      'admin.practitioner.lock',
      'admin.practitioner.unlock',
      'admin.practitioner.end_sessions',
      'admin.practitioner.remove_device',
      'admin.practitioner.remove_my_number_card',
      'admin.practitioner.registration_code',
      'admin.mnc.link',
      'admin.signing.revoke',
      'admin.signing.destroy_key',
      'admin.signing.renew',
      'admin.signing.certificate',
      'admin.notice.create',
      'admin.notice.update',
      'admin.notice.delete',
      'admin.service.list',
      'admin.service.create',
      'admin.service.update',
      'admin.service.set_enabled',
      'admin.service.rotate_secret',
      'admin.link.list',
      'admin.link.decide',
      'admin.trust.list',
      'admin.trust.upload',
      'admin.audit.search',
      'admin.audit.export',
      'admin.audit.verify',
      'admin.request',
    ],
  },
] as const;

export type AuditEventGroupId = (typeof AUDIT_EVENT_GROUPS)[number]['id'];

export const AUDIT_EVENTS: readonly string[] = AUDIT_EVENT_GROUPS.flatMap((g) => g.events);

/** Login methods as they appear in the log's method column (the login method registry's ids). */
export const AUDIT_METHODS = ['passkey', 'passkey-cross-device', 'hpki-card', 'hpki-cert', 'jpki'] as const;

/** The message key of an event's label: catalogue keys cannot contain dots. */
export const auditEventMessageKey = (event: string) => event.replaceAll('.', '_');
