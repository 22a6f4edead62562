import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import type { Portal } from '../../portal/portal.ts';
import { PortalError } from '../../errors/portal-error.ts';
import { lookupPortalSession, portalSessionCookieName } from '../../portal-session/portal-sessions.ts';
import { approveServiceLink, rejectServiceLink, serviceUserIdSchema } from '../../clients/service-links.ts';
import { issueRegistrationCode, registrationUrl } from '../../practitioners/registration-codes.ts';
import { unlinkMyNumberCard } from '../../practitioners/my-number-card-links.ts';
import { verifyAuditChain } from '../../audit/verify-audit-chain.ts';
import { requireAdmin } from '../../admin/require-admin.ts';
import { createService, updateService } from '../../admin/save-service.ts';
import { rotateServiceSecret } from '../../admin/rotate-service-secret.ts';
import { setServiceEnabled } from '../../admin/set-service-enabled.ts';
import { listLinkRequests, listServices } from '../../admin/list-services.ts';
import { importPractitionersCsv } from '../../admin/import-practitioners-csv.ts';
import { importPractitionerCertificate } from '../../admin/import-practitioner-certificate.ts';
import { endAllSessions, lockPractitioner, unlockPractitioner } from '../../admin/lock-practitioner.ts';
import { removePractitionerDevice } from '../../admin/remove-practitioner-device.ts';
import { searchPractitioners } from '../../admin/search-practitioners.ts';
import { readJsonBody } from '../json.ts';
import { notifyBackchannelLogout } from '../../oidc/notify-backchannel-logout.ts';
import type { EndedSessions } from '../../admin/end-practitioner-sessions.ts';
import { decodeUpload, uploadSchema, UPLOAD_MAX_BYTES } from '../../admin/decode-upload.ts';
import { listTrustMaterial, trustSchemeSchema, trustUploadKindSchema, uploadTrustMaterial } from '../../admin/trust-material.ts';
import { auditFilterSchema, exportAuditCsv, queryAudit } from '../../admin/audit-query.ts';
import { sendJson } from '../json.ts';
import { clientIp } from '../client-ip.ts';
import { enforceLimit } from '../request-limits.ts';
import { readCookie } from './portal-session-routes.ts';
import { requireSameOrigin } from '../request-origin.ts';
import { qrDataUrl } from '../qr-code.ts';
import type { Route, RouteContext } from '../route.ts';
import { attachSigningCertificate, beginSigningRenewal, decodeCertificateFile, pendingSigningKey } from '../../signing/signing-credentials.ts';
import { destroySigningKeys, listSigningCredentials, revokeSigningCredential, type EndGrant } from '../../signing/signing-credential-lifecycle.ts';
import { createNotice, deleteNotice, listNotices, noticeAuditDetails, noticeInputSchema, updateNotice } from '../../admin/notices.ts';
import { issueJpkiChallenge, verifyJpkiProof } from '../../auth/methods/jpki/jpki-proof.ts';
import { linkMyNumberCard } from '../../practitioners/my-number-card-links.ts';
import { jpkiDependencies } from '../jpki-dependencies.ts';

/** What a handler gives back: the JSON answer and what the audit entry says about the action. */
interface Outcome {
  status?: number;
  body?: unknown;
  /** The response was written by the handler (CSV export). */
  streamed?: boolean;
  audit?: { clientId?: string | null; targetPractitionerId?: string | null; details?: Record<string, unknown> };
  /** Reads that are not actions are not audited when they succeed (failures always are). */
  quiet?: boolean;
}

interface AdminContext extends RouteContext {
  adminId: string;
  /** The administrator's portal session (its hash): what a card challenge is bound to. */
  sessionIdHash: string;
  query: URLSearchParams;
  body: () => Promise<unknown>;
}

/** An endpoint of the console: what it answers, and the event its audit entry is recorded under. */
interface AdminRoute {
  method: 'GET' | 'POST';
  /** Anchored, on the whole path (see `adminPath`). */
  pattern: RegExp;
  event: string;
  handle(ctx: AdminContext): Promise<Outcome>;
}

/** The pattern of a path under /api/admin/. */
const adminPath = (rest: string) => new RegExp(`^/api/admin/${rest}$`);
const ID = '([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})';
const CLIENT = '([A-Za-z0-9._-]{3,64})';
const MAX_BODY_BYTES = Math.ceil((UPLOAD_MAX_BYTES * 4) / 3) + 64 * 1024;

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
    throw new PortalError('admin_input_invalid', 400, detail, { detail });
  }
  return parsed.data;
}

const empty = z.object({}).strict();

/**
 * The administrator's link of a practitioner's My Number Card (issue 17): the card answered the
 * challenge on the admin's terminal, and the admin confirms and names who checked the person in
 * person — the card proves who holds it, never a qualification (SPEC §2).
 */
const adminMncLinkSchema = z
  .object({
    inPersonCheck: z.literal(true),
    checkedBy: z.string().trim().min(1).max(100),
    proof: z.record(z.string(), z.unknown()),
  })
  .strict();

/** A JPKI challenge of the console is good only for this admin session and this practitioner. */
const adminLinkBinding = (sessionIdHash: string, practitionerId: string) => `admin:${sessionIdHash}:${practitionerId}`;

/** oidc-provider's own validation of client metadata, the same it applies when it loads the client. */
const validateWith = (portal: Portal) => (metadata: Record<string, unknown>) =>
  portal.provider.Client.validate(metadata as unknown as Parameters<Portal['provider']['Client']['validate']>[0]);

/** After sessions end in the database, the services that had them hear it on the back channel. */
async function tellServices(portal: Portal, ended: EndedSessions) {
  const backchannel = await notifyBackchannelLogout(portal.provider, ended.providerSessions, portal.log);
  return { endedPortalSessions: ended.portalSessions, endedProviderSessions: ended.providerSessions.length, backchannelLogouts: backchannel };
}

/** Ending a signing authorisation on the provider too: its grant and every token minted from it. */
const endGrantWith =
  (portal: Portal): EndGrant =>
  async (grantId) => {
    await portal.provider.AccessToken.revokeByGrantId(grantId);
    await (await portal.provider.Grant.find(grantId))?.destroy();
  };

async function requirePractitioner(portal: Portal, id: string) {
  if (!(await portal.prisma.practitioner.findUnique({ where: { id }, select: { id: true } }))) throw new PortalError('admin_practitioner_not_found', 404);
}

const routes: AdminRoute[] = [
  {
    method: 'GET',
    pattern: adminPath('services'),
    event: 'admin.service.list',
    handle: async ({ portal }) => ({ body: { services: await listServices(portal.prisma) }, quiet: true }),
  },
  {
    method: 'POST',
    pattern: adminPath('services'),
    event: 'admin.service.create',
    async handle({ portal, body }) {
      const created = await createService(portal.prisma, validateWith(portal), await body());
      return {
        status: 201,
        body: created,
        audit: { clientId: created.clientId, details: { secretIssued: created.clientSecret !== undefined } },
      };
    },
  },
  {
    method: 'POST',
    pattern: adminPath(`services/${CLIENT}`),
    event: 'admin.service.update',
    async handle({ portal, body, params }) {
      const updated = await updateService(portal.prisma, validateWith(portal), params[0]!, await body());
      return { body: updated, audit: { clientId: updated.clientId, details: { secretIssued: updated.clientSecret !== undefined } } };
    },
  },
  {
    method: 'POST',
    pattern: adminPath(`services/${CLIENT}/rotate-secret`),
    event: 'admin.service.rotate_secret',
    async handle({ portal, body, params }) {
      parse(empty, await body());
      const rotated = await rotateServiceSecret(portal.prisma, params[0]!);
      return { body: rotated, audit: { clientId: rotated.clientId } };
    },
  },
  {
    method: 'POST',
    pattern: adminPath(`services/${CLIENT}/enabled`),
    event: 'admin.service.set_enabled',
    async handle({ portal, body, params }) {
      const { enabled } = parse(z.object({ enabled: z.boolean() }).strict(), await body());
      const { changed } = await setServiceEnabled(portal.prisma, params[0]!, enabled);
      return { body: { clientId: params[0], enabled, changed }, audit: { clientId: params[0], details: { enabled, changed } } };
    },
  },
  {
    method: 'GET',
    pattern: adminPath(`services/${CLIENT}/link-requests`),
    event: 'admin.link.list',
    handle: async ({ portal, params }) => ({ body: { requests: await listLinkRequests(portal.prisma, params[0]!) }, quiet: true }),
  },
  {
    method: 'POST',
    pattern: adminPath(`link-requests/${ID}/(approve|reject)`),
    event: 'admin.link.decide',
    async handle({ portal, body, params, adminId }) {
      const [linkId, decision] = params as [string, 'approve' | 'reject'];
      const link = await portal.prisma.serviceLink.findUnique({ where: { id: linkId } });
      if (!link) throw new PortalError('admin_link_not_found', 404);
      const audit = { clientId: link.clientId, targetPractitionerId: link.practitionerId };
      if (link.status !== 'requested') throw Object.assign(new PortalError('admin_link_not_pending', 409), { audit });
      if (decision === 'approve') {
        const { serviceUserId } = parse(z.object({ serviceUserId: serviceUserIdSchema }).strict(), await body());
        await approveServiceLink(portal.prisma, linkId, serviceUserId, `admin:${adminId}`);
        return { body: { id: linkId, status: 'approved' }, audit: { ...audit, details: { decision, serviceUserId } } };
      }
      parse(empty, await body());
      await rejectServiceLink(portal.prisma, linkId, `admin:${adminId}`);
      return { body: { id: linkId, status: 'rejected' }, audit: { ...audit, details: { decision } } };
    },
  },
  {
    method: 'GET',
    pattern: adminPath('practitioners'),
    event: 'admin.practitioner.search',
    async handle({ portal, query }) {
      const q = parse(z.string().max(100), query.get('q') ?? '');
      const found = await searchPractitioners(portal.prisma, q);
      // Looking people up is access to personal data: recorded like an action.
      return { body: { practitioners: found }, audit: { details: { query: q, results: found.length } } };
    },
  },
  {
    method: 'POST',
    pattern: adminPath('practitioners/import-csv'),
    event: 'admin.practitioner.import_csv',
    async handle({ portal, body }) {
      const { csv, fileName } = parse(z.object({ csv: z.string().min(1), fileName: z.string().max(200).optional() }).strict(), await body());
      const result = await importPractitionersCsv(portal.prisma, csv);
      return { body: result, audit: { details: { fileName: fileName ?? null, imported: result.imported } } };
    },
  },
  {
    method: 'POST',
    pattern: adminPath('practitioners/import-certificate'),
    event: 'admin.practitioner.import_certificate',
    async handle({ portal, body }) {
      const input = parse(
        z
          .object({
            file: uploadSchema,
            registrationNumber: z.string().trim().max(64).optional(),
            birthDate: z
              .string()
              .regex(/^(\d{4}-\d{2}-\d{2})?$/, 'birth date as YYYY-MM-DD')
              .optional(),
          })
          .strict(),
        await body(),
      );
      const result = await importPractitionerCertificate(portal.prisma, await portal.trust.get('hpki'), decodeUpload(input.file), input);
      return { status: result.created ? 201 : 200, body: result, audit: { targetPractitionerId: result.practitioner.id, details: { created: result.created, fingerprint: result.fingerprint, hcRoles: result.hcRoles } } };
    },
  },
  {
    method: 'POST',
    pattern: adminPath(`practitioners/${ID}/(lock|unlock|end-sessions|remove-device|remove-my-number-card|registration-code)`),
    event: 'admin.practitioner',
    async handle({ portal, body, params, adminId }) {
      parse(empty, await body());
      const [id, action] = params as [string, string];
      const audit = (details: Record<string, unknown>) => ({ targetPractitionerId: id, details });
      if (action === 'lock') {
        const locked = await lockPractitioner(portal.prisma, id, adminId);
        const told = await tellServices(portal, locked);
        return { body: { locked: true, changed: locked.changed, ...told }, audit: audit({ changed: locked.changed, ...told }) };
      }
      if (action === 'unlock') {
        const { changed } = await unlockPractitioner(portal.prisma, id);
        return { body: { locked: false, changed }, audit: audit({ changed }) };
      }
      if (action === 'end-sessions') {
        const told = await tellServices(portal, await endAllSessions(portal.prisma, id));
        return { body: told, audit: audit(told) };
      }
      if (action === 'remove-device') {
        const removed = await removePractitionerDevice(portal.prisma, id);
        const told = await tellServices(portal, removed);
        const details = { credentialId: removed.removed.id, aaguid: removed.removed.aaguid, cancelledApprovals: removed.cancelledApprovals, ...told };
        return { body: details, audit: audit(details) };
      }
      if (action === 'remove-my-number-card') {
        if (!(await portal.prisma.practitioner.findUnique({ where: { id } }))) throw new PortalError('admin_practitioner_not_found', 404);
        if (!(await unlinkMyNumberCard(portal.prisma, id))) throw new PortalError('admin_no_my_number_card', 404);
        return { body: { removed: true }, audit: audit({}) };
      }
      // registration-code: a new registration QR; every earlier code stops working.
      if (!(await portal.prisma.practitioner.findUnique({ where: { id } }))) throw new PortalError('admin_practitioner_not_found', 404);
      const issued = await issueRegistrationCode(portal.prisma, id);
      const url = registrationUrl(portal.env.publicUrl, issued.code);
      return {
        body: { url, qrDataUrl: await qrDataUrl(url), expiresAt: issued.expiresAt.toISOString() },
        audit: audit({ codeId: issued.id, by: 'admin', expiresAt: issued.expiresAt.toISOString() }),
      };
    },
  },
  {
    method: 'GET',
    pattern: adminPath(`practitioners/${ID}/signing-credentials`),
    event: 'admin.signing.list',
    async handle({ portal, params }) {
      await requirePractitioner(portal, params[0]!);
      return { body: { credentials: await listSigningCredentials(portal.prisma, params[0]!) }, quiet: true };
    },
  },
  {
    // The second certificate's lifecycle (seed 002: one escrowed key per person): revoke, destroy
    // the keys, renew (a new key, then the certificate the CA issued for it).
    method: 'POST',
    pattern: adminPath(`practitioners/${ID}/signing/(revoke|destroy-key|renew|certificate)`),
    event: 'admin.signing',
    async handle({ portal, body, params }) {
      const [id, action] = params as [string, string];
      await requirePractitioner(portal, id);
      const audit = (details: Record<string, unknown>) => ({ targetPractitionerId: id, details });
      if (action === 'revoke') {
        parse(empty, await body());
        const revoked = await revokeSigningCredential(portal.prisma, id, { endGrant: endGrantWith(portal) });
        return { body: revoked, audit: audit(revoked) };
      }
      if (action === 'destroy-key') {
        parse(empty, await body());
        const destroyed = await destroySigningKeys(portal.prisma, portal.keyStores, id, { endGrant: endGrantWith(portal) });
        return { body: destroyed, audit: audit(destroyed) };
      }
      if (action === 'renew') {
        const { algorithm } = parse(z.object({ algorithm: z.enum(['RSA-2048', 'EC-P256']).default('RSA-2048') }).strict(), await body());
        const { credential, renews } = await beginSigningRenewal(portal.prisma, portal.keyStores, id, algorithm);
        const [listed] = (await listSigningCredentials(portal.prisma, id)).filter((c) => c.id === credential.id);
        // The public key goes to the HPKI signing CA; the audit records only which key was made where.
        return {
          status: 201,
          body: { credentialId: credential.id, renews, keyStore: credential.keyStore, keyAlgorithm: credential.keyAlgorithm, publicKeyPem: listed!.publicKeyPem },
          audit: audit({ credentialId: credential.id, renews, keyStore: credential.keyStore, keyAlgorithm: credential.keyAlgorithm }),
        };
      }
      // certificate: the CA's certificate for the waiting key (leaf first; a PEM may carry the chain).
      const input = parse(z.object({ file: uploadSchema, chain: z.array(uploadSchema).max(4).default([]) }).strict(), await body());
      const pending = await pendingSigningKey(portal.prisma, id);
      if (!pending) throw Object.assign(new PortalError('signing_credential_not_pending', 409), { audit: audit({}) });
      const [certificate, ...included] = decodeCertificateFile(decodeUpload(input.file));
      const chain = [...included, ...input.chain.flatMap((c) => decodeCertificateFile(decodeUpload(c)))];
      const active = await attachSigningCertificate(portal.prisma, pending.id, certificate!, chain, new Date(), portal.keyStores);
      const details = { credentialId: active.id, renewed: pending.renewsId };
      return { body: { ...details, status: active.status }, audit: audit(details) };
    },
  },
  {
    method: 'POST',
    pattern: adminPath(`practitioners/${ID}/my-number-card/challenge`),
    event: 'admin.mnc.challenge',
    async handle({ portal, body, params, sessionIdHash }) {
      parse(empty, await body());
      await requirePractitioner(portal, params[0]!);
      return { body: await issueJpkiChallenge(jpkiDependencies(portal), 'jpki-admin-link', adminLinkBinding(sessionIdHash, params[0]!)), quiet: true };
    },
  },
  {
    // Replacing an earlier link is allowed here: the administrator saw the person and the card.
    method: 'POST',
    pattern: adminPath(`practitioners/${ID}/my-number-card/link`),
    event: 'admin.mnc.link',
    async handle({ portal, body, params, sessionIdHash, adminId }) {
      const id = params[0]!;
      const input = parse(adminMncLinkSchema, await body());
      const check = { inPersonCheck: true, checkedBy: input.checkedBy, admin: adminId };
      const audit = (details: Record<string, unknown>) => ({ targetPractitionerId: id, details: { ...check, ...details } });
      try {
        await requirePractitioner(portal, id);
        const card = await verifyJpkiProof(jpkiDependencies(portal), input.proof, 'jpki-admin-link', adminLinkBinding(sessionIdHash, id), portal.rp.origin);
        const { replaced } = await linkMyNumberCard(portal.prisma, id, card);
        // The subject is an opaque ID; the audit keeps only the fingerprint.
        return { body: { linked: true, replaced, notAfter: card.notAfter.toISOString() }, audit: audit({ fingerprint: card.fingerprint, replaced }) };
      } catch (error) {
        throw Object.assign(error as object, { audit: audit({}) });
      }
    },
  },
  {
    method: 'GET',
    pattern: adminPath('notices'),
    event: 'admin.notice.list',
    handle: async ({ portal }) => ({ body: { notices: await listNotices(portal.prisma) }, quiet: true }),
  },
  {
    method: 'POST',
    pattern: adminPath('notices'),
    event: 'admin.notice.create',
    async handle({ portal, body, adminId }) {
      const notice = await createNotice(portal.prisma, parse(noticeInputSchema, await body()), adminId);
      return { status: 201, body: { notice }, audit: { details: noticeAuditDetails(notice) } };
    },
  },
  {
    method: 'POST',
    pattern: adminPath(`notices/${ID}`),
    event: 'admin.notice.update',
    async handle({ portal, body, params }) {
      const notice = await updateNotice(portal.prisma, params[0]!, parse(noticeInputSchema, await body()));
      return { body: { notice }, audit: { details: noticeAuditDetails(notice) } };
    },
  },
  {
    method: 'POST',
    pattern: adminPath(`notices/${ID}/delete`),
    event: 'admin.notice.delete',
    async handle({ portal, body, params }) {
      parse(empty, await body());
      await deleteNotice(portal.prisma, params[0]!);
      return { body: { deleted: true }, audit: { details: { noticeId: params[0] } } };
    },
  },
  {
    method: 'GET',
    pattern: adminPath('trust'),
    event: 'admin.trust.list',
    handle: async ({ portal }) => ({ body: await listTrustMaterial(portal.prisma), quiet: true }),
  },
  {
    method: 'POST',
    pattern: adminPath('trust'),
    event: 'admin.trust.upload',
    async handle({ portal, body }) {
      const input = parse(z.object({ scheme: trustSchemeSchema, kind: trustUploadKindSchema, file: uploadSchema, fileName: z.string().max(200).optional() }).strict(), await body());
      const result = await uploadTrustMaterial(portal.prisma, input.scheme, input.kind, decodeUpload(input.file), { minRsaBits: portal.env.certificates.minRsaBits });
      portal.trust.invalidate(input.scheme);
      return { status: 201, body: result, audit: { details: { scheme: input.scheme, fileName: input.fileName ?? null, ...JSON.parse(JSON.stringify(result)) } } };
    },
  },
  {
    method: 'GET',
    pattern: adminPath('audit'),
    event: 'admin.audit.search',
    handle: async ({ portal, query }) => ({ body: await queryAudit(portal.prisma, parse(auditFilterSchema, Object.fromEntries(query))), quiet: true }),
  },
  {
    method: 'GET',
    pattern: adminPath('audit/export\\.csv'),
    event: 'admin.audit.export',
    async handle({ portal, query, res, adminId, req }) {
      const filter = parse(auditFilterSchema, Object.fromEntries(query));
      // Recorded before the rows are read, so the export names itself when it covers the present.
      await portal.audit({ event: 'admin.audit.export', result: 'success', practitionerId: adminId, ip: clientIp(req, portal.env.trustedProxies), details: { filter: JSON.parse(JSON.stringify(filter)) } });
      res.writeHead(200, {
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': `attachment; filename="audit-${new Date().toISOString().slice(0, 10)}.csv"`,
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
      });
      for await (const chunk of exportAuditCsv(portal.prisma, filter)) res.write(chunk);
      res.end();
      return { streamed: true, quiet: true };
    },
  },
  {
    method: 'POST',
    pattern: adminPath('audit/verify'),
    event: 'admin.audit.verify',
    async handle({ portal, body }) {
      parse(empty, await body());
      // The same check as npm run audit:verify: the chain and every signed checkpoint.
      const report = await verifyAuditChain(portal.prisma, { checkpoints: portal.auditCheckpoints });
      const { ok, entries, checkpoints, uncovered, findings } = report;
      return { body: report, audit: { details: { ok, entries, checkpoints, uncovered, findings } } };
    },
  },
];

/** A JSON body of up to the upload size, content type checked first (a cross-site form cannot send JSON). */
function readAdminBody(req: IncomingMessage): Promise<unknown> {
  return readJsonBody(req, MAX_BODY_BYTES);
}

/**
 * The administration console's JSON endpoints under /api/admin/ (SPEC §9). Each one: a portal
 * session of a practitioner with the admin role (else 403 admin_required), same-origin (CSRF),
 * JSON bodies parsed with zod, a stable code per failure, and an `admin.*` audit entry.
 */
export const adminRoutes: Route[] = [
  ...routes.map((route): Route => ({ method: route.method, pattern: route.pattern, handle: (ctx) => runAdminRequest(ctx, route) })),
  // Any other request under /api/admin/ passes the same checks before its 404 or 405, and is
  // audited: a non-administrator learns nothing about which endpoints exist.
  ...(['GET', 'POST', 'DELETE'] as const).map((method): Route => ({ method, pattern: /^\/api\/admin\/.*$/, handle: (ctx) => runAdminRequest(ctx, undefined) })),
];

async function runAdminRequest(ctx: RouteContext, route: AdminRoute | undefined) {
  const { portal, req, res, pathname, params } = ctx;
  const path = pathname.slice('/api/admin/'.length);
  const url = new URL(req.url ?? '/', 'http://portal.invalid');
  const ip = clientIp(req, portal.env.trustedProxies);
  // A path that exists for another method is recorded under that endpoint's event.
  const samePath = routes.find((r) => r.pattern.test(pathname));
  let event = route?.event ?? samePath?.event ?? 'admin.request';
  if (route?.event === 'admin.practitioner') event = `admin.practitioner.${params[1]!.replaceAll('-', '_')}`;
  if (route?.event === 'admin.signing') event = `admin.signing.${params[1]!.replaceAll('-', '_')}`;
  let adminId: string | undefined;
  let actorId: string | undefined;
  let bodyRead = false;
  try {
    requireSameOrigin(portal, req);
    const lookup = await lookupPortalSession(portal.prisma, readCookie(req, portalSessionCookieName(portal.env.publicUrl)), portal.env);
    // An idle console asks for a fresh authentication before any change.
    if (lookup.ended === 'idle') throw new PortalError('session_idle', 401);
    const session = lookup.session;
    actorId = session?.practitionerId;
    adminId = (await requireAdmin(portal.prisma, actorId)).id;
    const sessionIdHash = session!.idHash;
    await enforceLimit(portal, req, 'admin-account', adminId);
    if (!route) throw new PortalError(samePath ? 'method_not_allowed' : 'not_found', samePath ? 405 : 404);
    const outcome = await route.handle({
      ...ctx,
      adminId,
      sessionIdHash,
      query: url.searchParams,
      body: async () => {
        if (bodyRead) throw new Error('body read twice');
        bodyRead = true;
        return readAdminBody(req);
      },
    });
    if (!outcome.quiet) {
      await portal.audit({
        event,
        result: 'success',
        practitionerId: adminId,
        clientId: outcome.audit?.clientId ?? null,
        ip,
        details: { ...(outcome.audit?.targetPractitionerId ? { targetPractitionerId: outcome.audit.targetPractitionerId } : {}), ...outcome.audit?.details },
      });
    }
    if (!outcome.streamed) sendJson(res, outcome.status ?? 200, outcome.body ?? {});
  } catch (error) {
    const code = error instanceof PortalError ? error.code : 'internal_error';
    const context = (error as { audit?: Outcome['audit'] }).audit;
    const clientId = context?.clientId ?? (route && /^services\//.test(path) ? params[0] : null);
    const target = context?.targetPractitionerId ?? (route?.event === 'admin.practitioner' || route?.event?.startsWith('admin.signing') ? params[0] : null);
    // Requests of someone who is not an administrator are refusals anyone can repeat: summarised.
    const record = adminId ? portal.audit : (entry: Parameters<Portal['audit']>[0]) => portal.refusals.record(entry);
    await record({
      event,
      result: 'failure',
      practitionerId: actorId ?? null,
      clientId: clientId ?? null,
      ip,
      errorCode: code,
      details: { path, method: req.method, ...(target ? { targetPractitionerId: target } : {}), ...(adminId ? context?.details : { refused: true }) },
    });
    if (res.headersSent) {
      res.destroy();
      return;
    }
    throw error;
  }
}
