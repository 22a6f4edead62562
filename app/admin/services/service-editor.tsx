'use client';
import { useState, type FormEvent } from 'react';
import { useLocale, useTranslations } from 'next-intl';
import { ErrorNotice, buttonClass } from '@/app/components/card';
import { ApiError, postJson } from '@/app/components/post-json';
import type { ServiceForm } from '@/src/admin/service-form';
import type { EditorChoices } from './editor-choices';
import { SecretOnce } from './secret-once';

const inputClass = 'mt-1 block w-full rounded-lg border border-slate-300 px-3 py-2 text-base';
const lines = (s: string) => s.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);

/**
 * The linked-service form (create and edit). The provider validates the resulting metadata on the
 * server; its error code and message come back next to the form.
 */
export function ServiceEditor({ mode, choices, initial, signing = false }: { mode: 'create' | 'edit'; choices: EditorChoices; initial?: ServiceForm; signing?: boolean }) {
  const t = useTranslations('admin');
  const locale = useLocale();
  const [clientId, setClientId] = useState(initial?.clientId ?? '');
  const [name, setName] = useState(initial?.name ?? '');
  const [redirectUris, setRedirectUris] = useState((initial?.redirectUris ?? []).join('\n'));
  const [postLogout, setPostLogout] = useState((initial?.postLogoutRedirectUris ?? []).join('\n'));
  const [backchannel, setBackchannel] = useState(initial?.backchannelLogoutUri ?? '');
  const [initiate, setInitiate] = useState(initial?.initiateLoginUri ?? '');
  const [authMethod, setAuthMethod] = useState<ServiceForm['authMethod']>(initial?.authMethod ?? 'client_secret_basic');
  const [keySource, setKeySource] = useState<'jwks' | 'jwksUri'>(initial?.jwksUri ? 'jwksUri' : 'jwks');
  const [jwks, setJwks] = useState(initial?.jwks ? JSON.stringify(initial.jwks, null, 2) : '');
  const [jwksUri, setJwksUri] = useState(initial?.jwksUri ?? '');
  const [subjectType, setSubjectType] = useState<ServiceForm['subjectType']>(initial?.subjectType ?? 'pairwise');
  const [roles, setRoles] = useState<string[]>(initial?.allowedHcRoles ?? []);
  const [minAcr, setMinAcr] = useState(initial?.minAcr ?? '');
  const [methods, setMethods] = useState<string[]>(initial?.loginMethods ?? []);
  const [claims, setClaims] = useState<string[]>(initial?.releasedClaims ?? ['profile', 'hcRole', 'hpki', 'linked_account']);
  const [fapi, setFapi] = useState(signing || (initial?.fapi ?? false));
  const [idTokenAlg, setIdTokenAlg] = useState<ServiceForm['idTokenAlg']>(initial?.idTokenAlg ?? 'ES256');
  const [resourceServers, setResourceServers] = useState((initial?.introspectionResourceServers ?? []).join('\n'));
  const [accountLinkApi, setAccountLinkApi] = useState(initial?.accountLinkApi ?? false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ message: string; code: string; detail?: string } | null>(null);
  const [saved, setSaved] = useState<{ clientId: string; clientSecret?: string } | null>(null);

  const toggle = (list: string[], set: (v: string[]) => void, value: string) => set(list.includes(value) ? list.filter((v) => v !== value) : [...list, value]);
  // FAPI 2.0 needs private_key_jwt and ES256/PS256 ID tokens: ticking it picks them.
  const chooseFapi = (on: boolean) => {
    setFapi(on);
    if (!on) return;
    setAuthMethod('private_key_jwt');
    if (idTokenAlg === 'RS256') setIdTokenAlg('ES256');
  };

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    let parsedJwks: unknown;
    if (authMethod === 'private_key_jwt' && keySource === 'jwks') {
      try {
        parsedJwks = JSON.parse(jwks);
      } catch {
        setError({ message: t('services.jwksNotJson'), code: 'admin_input_invalid' });
        return;
      }
    }
    const body = {
      ...(mode === 'create' ? { clientId } : {}),
      name,
      redirectUris: lines(redirectUris),
      postLogoutRedirectUris: lines(postLogout),
      backchannelLogoutUri: backchannel.trim() || undefined,
      initiateLoginUri: initiate.trim() || undefined,
      authMethod,
      ...(authMethod === 'private_key_jwt' ? (keySource === 'jwks' ? { jwks: parsedJwks } : { jwksUri: jwksUri.trim() }) : {}),
      subjectType,
      allowedHcRoles: roles,
      minAcr: minAcr || undefined,
      loginMethods: methods,
      releasedClaims: claims,
      fapi,
      idTokenAlg,
      introspectionResourceServers: lines(resourceServers),
      accountLinkApi,
    };
    setBusy(true);
    try {
      const url = mode === 'create' ? '/api/admin/services' : `/api/admin/services/${encodeURIComponent(initial!.clientId)}`;
      const result = await postJson<{ clientId: string; clientSecret?: string }>(url, body);
      setSaved(result);
    } catch (err) {
      if (err instanceof ApiError) setError({ message: err.message, code: err.code, detail: typeof err.body.description === 'string' ? `${err.body.providerError}: ${err.body.description}` : undefined });
      else setError({ message: String(err), code: 'internal_error' });
    } finally {
      setBusy(false);
    }
  }

  if (saved) {
    return (
      <div className="mt-4 space-y-4" data-testid="service-saved">
        <p className="text-lg font-semibold text-emerald-800">{mode === 'create' ? t('services.created') : t('services.updated')}</p>
        {saved.clientSecret ? <SecretOnce clientId={saved.clientId} secret={saved.clientSecret} /> : null}
        <a className="inline-block text-sky-800 underline" href={`/admin/services/${encodeURIComponent(saved.clientId)}`} data-testid="service-open">
          {t('services.open')}
        </a>
      </div>
    );
  }

  return (
    <form className="mt-4 space-y-5" onSubmit={submit} data-testid="service-form">
      {mode === 'create' ? (
        <label className="block">
          <span className="font-semibold">{t('services.field.clientId')}</span>
          <span className="block text-sm text-slate-600">{t('services.help.clientId')}</span>
          <input className={inputClass} value={clientId} onChange={(e) => setClientId(e.target.value)} required pattern="[A-Za-z0-9._\-]{3,64}" data-testid="service-client-id" />
        </label>
      ) : null}
      <label className="block">
        <span className="font-semibold">{t('services.field.name')}</span>
        <input className={inputClass} value={name} onChange={(e) => setName(e.target.value)} required data-testid="service-name" />
      </label>
      <label className="block">
        <span className="font-semibold">{t('services.field.redirectUris')}</span>
        <span className="block text-sm text-slate-600">{t('services.help.onePerLine')}</span>
        <textarea className={inputClass} rows={2} value={redirectUris} onChange={(e) => setRedirectUris(e.target.value)} required data-testid="service-redirect-uris" />
      </label>
      <label className="block">
        <span className="font-semibold">{t('services.field.postLogoutRedirectUris')}</span>
        <span className="block text-sm text-slate-600">{t('services.help.onePerLine')}</span>
        <textarea className={inputClass} rows={2} value={postLogout} onChange={(e) => setPostLogout(e.target.value)} data-testid="service-post-logout-uris" />
      </label>
      <label className="block">
        <span className="font-semibold">{t('services.field.backchannelLogoutUri')}</span>
        <input className={inputClass} type="url" value={backchannel} onChange={(e) => setBackchannel(e.target.value)} data-testid="service-backchannel-uri" />
      </label>
      <label className="block">
        <span className="font-semibold">{t('services.field.initiateLoginUri')}</span>
        <span className="block text-sm text-slate-600">{t('services.help.initiateLoginUri')}</span>
        <input className={inputClass} type="url" value={initiate} onChange={(e) => setInitiate(e.target.value)} data-testid="service-initiate-uri" />
      </label>

      <fieldset>
        <legend className="font-semibold">{t('services.field.securityProfile')}</legend>
        <label className="mt-1 flex items-start gap-2">
          <input type="checkbox" className="mt-1" checked={fapi} disabled={signing} onChange={(e) => chooseFapi(e.target.checked)} data-testid="service-fapi" />
          <span>
            {t('services.fapi.label')}
            <span className="block text-sm text-slate-600">{signing ? t('services.fapi.signing') : t('services.fapi.help')}</span>
          </span>
        </label>
        <label className="mt-3 flex items-start gap-2">
          <input type="checkbox" className="mt-1" checked={accountLinkApi} onChange={(e) => setAccountLinkApi(e.target.checked)} data-testid="service-account-link-api" />
          <span>
            {t('services.accountLinkApi.label')}
            <span className="block text-sm text-slate-600">{t('services.accountLinkApi.help')}</span>
          </span>
        </label>
      </fieldset>

      <fieldset>
        <legend className="font-semibold">{t('services.field.authMethod')}</legend>
        {(['client_secret_basic', 'client_secret_post', 'private_key_jwt'] as const).map((m) => (
          <label key={m} className="mt-1 flex items-center gap-2">
            <input type="radio" name="authMethod" checked={authMethod === m} disabled={fapi && m !== 'private_key_jwt'} onChange={() => setAuthMethod(m)} data-testid={`service-auth-${m}`} />
            {t(`services.authMethod.${m}`)}
          </label>
        ))}
        {authMethod === 'private_key_jwt' ? (
          <div className="mt-3 space-y-2 rounded-lg border border-slate-200 p-3">
            <label className="flex items-center gap-2">
              <input type="radio" name="keySource" checked={keySource === 'jwks'} onChange={() => setKeySource('jwks')} />
              {t('services.field.jwks')}
            </label>
            {keySource === 'jwks' ? (
              <textarea className={`${inputClass} font-mono text-sm`} rows={6} value={jwks} onChange={(e) => setJwks(e.target.value)} aria-label={t('services.field.jwks')} data-testid="service-jwks" />
            ) : null}
            <label className="flex items-center gap-2">
              <input type="radio" name="keySource" checked={keySource === 'jwksUri'} onChange={() => setKeySource('jwksUri')} />
              {t('services.field.jwksUri')}
            </label>
            {keySource === 'jwksUri' ? (
              <input className={inputClass} type="url" value={jwksUri} onChange={(e) => setJwksUri(e.target.value)} aria-label={t('services.field.jwksUri')} data-testid="service-jwks-uri" />
            ) : null}
          </div>
        ) : null}
      </fieldset>

      <label className="block">
        <span className="font-semibold">{t('services.field.idTokenAlg')}</span>
        <span className="block text-sm text-slate-600">{t('services.help.idTokenAlg')}</span>
        <select className={inputClass} value={idTokenAlg} onChange={(e) => setIdTokenAlg(e.target.value as ServiceForm['idTokenAlg'])} data-testid="service-id-token-alg">
          {(['ES256', 'PS256', 'RS256'] as const).map((alg) => (
            <option key={alg} value={alg} disabled={fapi && alg === 'RS256'}>
              {t(`services.idTokenAlg.${alg}`)}
            </option>
          ))}
        </select>
      </label>

      <label className="block">
        <span className="font-semibold">{t('services.field.introspectionResourceServers')}</span>
        <span className="block text-sm text-slate-600">{t('services.help.introspectionResourceServers')}</span>
        <textarea className={inputClass} rows={2} value={resourceServers} onChange={(e) => setResourceServers(e.target.value)} data-testid="service-resource-servers" />
      </label>

      <fieldset>
        <legend className="font-semibold">{t('services.field.subjectType')}</legend>
        {(['pairwise', 'public'] as const).map((s) => (
          <label key={s} className="mt-1 flex items-center gap-2">
            <input type="radio" name="subjectType" checked={subjectType === s} onChange={() => setSubjectType(s)} data-testid={`service-subject-${s}`} />
            {t(`services.subject.${s}`)}
          </label>
        ))}
      </fieldset>

      <fieldset>
        <legend className="font-semibold">{t('services.field.allowedHcRoles')}</legend>
        <p className="text-sm text-slate-600">{t('services.help.allowedHcRoles')}</p>
        <div className="mt-2 grid max-h-56 grid-cols-1 gap-1 overflow-y-auto rounded-lg border border-slate-200 p-2 sm:grid-cols-2">
          {choices.hcRoles.map((r) => (
            <label key={r.role} className="flex items-center gap-2">
              <input type="checkbox" checked={roles.includes(r.role)} onChange={() => toggle(roles, setRoles, r.role)} data-testid={`service-role-${r.role.replaceAll(' ', '-')}`} />
              {locale === 'en' ? r.en : `${r.ja} (${r.role})`}
            </label>
          ))}
        </div>
      </fieldset>

      <label className="block">
        <span className="font-semibold">{t('services.field.minAcr')}</span>
        <select className={inputClass} value={minAcr} onChange={(e) => setMinAcr(e.target.value)} data-testid="service-min-acr">
          <option value="">{t('services.acr.none')}</option>
          {choices.acrs.map((a) => (
            <option key={a} value={a}>
              {t(`services.acr.${a.split(':')[3]}`)}
            </option>
          ))}
        </select>
      </label>

      <fieldset>
        <legend className="font-semibold">{t('services.field.loginMethods')}</legend>
        <p className="text-sm text-slate-600">{t('services.help.loginMethods')}</p>
        {choices.methods.map((m) => (
          <label key={m} className="mt-1 flex items-center gap-2">
            <input type="checkbox" checked={methods.includes(m)} onChange={() => toggle(methods, setMethods, m)} data-testid={`service-method-${m}`} />
            {t(`services.method.${m}`)}
          </label>
        ))}
      </fieldset>

      <fieldset>
        <legend className="font-semibold">{t('services.field.releasedClaims')}</legend>
        {choices.claims.map((c) => (
          <label key={c} className="mt-1 flex items-center gap-2">
            <input type="checkbox" checked={claims.includes(c)} onChange={() => toggle(claims, setClaims, c)} data-testid={`service-claim-${c}`} />
            {t(`services.claim.${c}`)}
          </label>
        ))}
      </fieldset>

      {error ? (
        <div data-testid="service-error">
          <ErrorNotice message={error.message} code={error.code} />
          {error.detail ? <p className="mt-1 text-sm text-red-800" data-testid="service-error-detail">{error.detail}</p> : null}
        </div>
      ) : null}
      <button type="submit" className={buttonClass} disabled={busy} data-testid="service-save">
        {mode === 'create' ? t('services.create') : t('services.save')}
      </button>
    </form>
  );
}
