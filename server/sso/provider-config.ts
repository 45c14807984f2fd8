import type { AccountClaims, Configuration, KoaContextWithOIDC } from 'oidc-provider';
import { interactionPolicy } from 'oidc-provider';
import { HPKI_ACR, HPKI_ACR_FRESH, NAME_JA_CLAIM, SSO_SCOPE_CLAIMS, type SsoClient } from '../../protocol/sso.js';
import { pageLanguage } from '../http/index.js';
import { cookieSecrets, type PrivateJwks } from './keys.js';
import { hintPayloadOf, hintVerdict } from './logout.js';
import { errorPage, LOGOUT_SCRIPT_HASH, logoutPage, signedOutPage } from './pages.js';
import { type Account, accountOf, HPKI_RESULT_KEY, type SsoRecords } from './records.js';
import { needsFreshCard, settleFreshAcr } from './step-up.js';
import type { SsoStore } from './store.js';

/**
 * The oidc-provider configuration of PROTOCOL.md §10: authorization code + PKCE S256 for every
 * client, no development login, the HPKI claims and acr, sessions of one shift, the operator's
 * clients without a consent step, back-channel and RP-initiated logout.
 */

/** Lifetimes, in seconds. A session lasts one shift from its card login; the rest is short. */
export const TTL = {
  session: 8 * 60 * 60,
  interaction: 10 * 60,
  authorizationCode: 60,
  accessToken: 10 * 60,
  idToken: 10 * 60,
  refreshToken: 8 * 60 * 60,
  grant: 8 * 60 * 60,
} as const;

export const COOKIE_NAMES = { session: 'sso_session', interaction: 'sso_interaction', resume: 'sso_resume' } as const;

/**
 * The provider's pages under a policy that runs no script but oidc-provider's own form-post and
 * the logout form's one line (each allowed by hash; oidc-provider adds its hash to `script-src`).
 * No `form-action`: the logout and form_post forms lead to the clients' origins.
 */
export const PROVIDER_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'";

export interface ProviderConfigInput {
  providerName: string;
  clients: readonly SsoClient[];
  jwks: PrivateJwks;
  store: SsoStore;
  records: SsoRecords;
  /** Let back-channel logout reach loopback and private addresses (oidc-provider refuses them by default). */
  allowPrivateNetwork: boolean;
  /**
   * An https issuer: the authorization endpoint also takes POST (OIDC Core 3.1.2.1), which needs
   * the session cookie `SameSite=None; Secure` (a cross-site form POST carries no Lax cookie).
   * A loopback http issuer (development) keeps Lax and GET only: browsers drop `None` without Secure.
   */
  secure: boolean;
}

/** The account's claims (§10 table). `hpki_role` goes in every ID token, in userinfo with `hpki`. */
export function accountClaims(sub: string, account: Account, use: string, scope: string): AccountClaims {
  const { login } = account;
  const claims: AccountClaims = {
    sub,
    name: login.holder.name,
    hpki_holder_id: login.holder.id,
    hpki_issuer: login.issuerDn,
    hpki_certificate_sha256: login.certificateSha256,
    hpki_not_after: login.notAfter,
  };
  if (login.holder.nameJa !== undefined) claims[NAME_JA_CLAIM] = login.holder.nameJa;
  if (use === 'id_token' || scope.split(' ').includes('hpki')) claims.hpki_role = login.hcRole;
  return claims;
}

/** The registered client with this client_id, if any. */
export function clientOf(clients: readonly SsoClient[], clientId: unknown): SsoClient | undefined {
  return clients.find((c) => c.client_id === clientId);
}

export function allowedRolesOf(
  clients: readonly SsoClient[],
  clientId: string | undefined,
): readonly string[] | undefined {
  return clientOf(clients, clientId)?.hpki_allowed_roles;
}

/** The login prompt also asks when the session's holder has a role the client does not admit. */
function policy(clients: readonly SsoClient[]): interactionPolicy.Prompt[] {
  const prompts = interactionPolicy.base();
  const login = prompts.get('login');
  if (login === undefined) throw new Error('oidc-provider has no login prompt');
  login.checks.add(
    new interactionPolicy.Check(
      'hpki_fresh_card',
      'the client asks for a card login for this request (step-up)',
      'login_required',
      (ctx) => needsFreshCard(ctx),
    ),
  );
  login.checks.add(
    new interactionPolicy.Check(
      'hpki_role_not_allowed',
      "the holder's hcRole is not admitted by this client",
      'access_denied',
      (ctx) => {
        const role = ctx.oidc.account?.hpkiRole;
        const allowed = allowedRolesOf(clients, ctx.oidc.client?.clientId);
        return typeof role === 'string' && allowed !== undefined && !allowed.includes(role);
      },
    ),
  );
  return prompts;
}

/** The operator registered these clients: their requested OIDC scopes are granted without a consent page. */
async function loadExistingGrant(ctx: KoaContextWithOIDC) {
  const { oidc } = ctx;
  const accountId = oidc.session?.accountId;
  const clientId = oidc.client?.clientId;
  if (accountId === undefined || clientId === undefined) return undefined;
  const grantId = oidc.result?.consent?.grantId ?? oidc.session?.grantIdFor(clientId);
  const existing = grantId === undefined ? undefined : await oidc.provider.Grant.find(grantId);
  const grant =
    existing !== undefined && existing.accountId === accountId
      ? existing
      : new oidc.provider.Grant({ accountId, clientId });
  grant.addOIDCScope([...oidc.requestParamOIDCScopes].join(' '));
  // Claims asked for by name (the claims parameter) within what the provider offers.
  if (oidc.requestParamClaims.size > 0) grant.addOIDCClaims([...oidc.requestParamClaims]);
  await grant.save();
  return grant;
}

/**
 * The card login of the session a request or token belongs to (records.ts "session login"): a
 * token names its session by `sessionUid`; an authorization request is in the browser's session.
 * At the resume right after a card login, the login the interaction's result carries is kept for
 * that session first (the session's uid is known only now, and stays the same on a new login in
 * the same browser, which then replaces it).
 */
async function sessionAccount(
  ctx: KoaContextWithOIDC,
  records: SsoRecords,
  sub: string,
  token: unknown,
): Promise<Account | undefined> {
  const tokenSession = (token as { sessionUid?: unknown } | undefined)?.sessionUid;
  const sessionUid = typeof tokenSession === 'string' ? tokenSession : ctx.oidc?.session?.uid;
  if (sessionUid === undefined) return undefined;
  const fresh =
    token === undefined && ctx.oidc?.route === 'resume'
      ? accountOf((ctx.oidc.result as Record<string, unknown> | undefined)?.[HPKI_RESULT_KEY])
      : undefined;
  if (fresh !== undefined && fresh.login.sub === sub) {
    await records.putSessionLogin(sessionUid, fresh);
    return fresh;
  }
  const account = await records.sessionLogin(sessionUid);
  return account?.login.sub === sub ? account : undefined;
}

/** oidc-provider's fetch without its special-use-address guard: back-channel logout on closed networks. */
const fetchAnyAddress: typeof fetch = (input, init) => {
  const { dispatcher: _guard, ...rest } = (init ?? {}) as RequestInit & { dispatcher?: unknown };
  return fetch(input, rest);
};

/** The session ends one shift after the card login that started it, however often it is used. */
function sessionTtl(_ctx: KoaContextWithOIDC, session: { loginTs?: number | undefined }): number {
  if (session.loginTs === undefined) return TTL.interaction;
  return Math.max(1, session.loginTs + TTL.session - Math.floor(Date.now() / 1000));
}

export function providerConfiguration(input: ProviderConfigInput): Configuration {
  const { clients, records, providerName } = input;
  return {
    adapter: (model: string) => input.store.adapter(model),
    // Every logout token names the session (sid); every ID token carries it too (server.ts).
    clients: clients.map((c) => ({
      ...c,
      ...(c.backchannel_logout_uri === undefined ? {} : { backchannel_logout_session_required: true }),
    })),
    jwks: { keys: input.jwks.keys.map((k) => ({ ...k })) },
    cookies: {
      names: { ...COOKIE_NAMES },
      keys: cookieSecrets(input.jwks),
      long: { httpOnly: true, sameSite: input.secure ? 'none' : 'lax' },
      short: { httpOnly: true, sameSite: 'lax' },
    },
    acrValues: [HPKI_ACR, HPKI_ACR_FRESH],
    claims: {
      openid: ['sub', 'acr', 'amr', 'auth_time', 'hpki_role'],
      profile: [...SSO_SCOPE_CLAIMS.profile],
      hpki: [...SSO_SCOPE_CLAIMS.hpki],
      sid: null,
      iss: null,
    },
    scopes: ['openid', 'profile', 'hpki', 'offline_access'],
    responseTypes: ['code'],
    clientDefaults: {
      grant_types: ['authorization_code'],
      response_types: ['code'],
      id_token_signed_response_alg: 'RS256',
      token_endpoint_auth_method: 'client_secret_basic',
    },
    // RS256 by default; a client may register `id_token_signed_response_alg: "ES256"` (cheaper to sign).
    enabledJWA: { idTokenSigningAlgValues: ['RS256', 'ES256'] },
    pkce: { required: () => true },
    extraClientMetadata: {
      properties: ['hpki_allowed_roles', 'hpki_iss_in_errors'],
      // The clients file was checked against ssoClientSchema before it got here.
      validator: () => undefined,
    },
    enableHttpPostMethods: input.secure,
    features: {
      devInteractions: { enabled: false },
      claimsParameter: { enabled: true },
      // A pushed request is a record anybody could store without a card, at a second URL: off.
      pushedAuthorizationRequests: { enabled: false },
      backchannelLogout: { enabled: true },
      revocation: { enabled: true },
      userinfo: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        async logoutSource(ctx, form) {
          // No question when the id_token_hint is of this very session (§10, logout.ts); otherwise ask.
          const hint = hintPayloadOf(ctx);
          const verdict = hint === undefined ? 'other' : hintVerdict(hint, ctx.oidc.session, TTL.session);
          ctx.type = 'html';
          if (verdict === 'stale') {
            ctx.status = 400;
            ctx.body = errorPage(
              providerName,
              pageLanguage(ctx.get('accept-language')),
              'invalid_request',
              'id_token_hint was issued more than one shift ago',
            );
            return;
          }
          const auto = verdict === 'current';
          if (auto)
            ctx.set(
              'Content-Security-Policy',
              PROVIDER_CSP.replace("script-src 'self'", `script-src 'self' ${LOGOUT_SCRIPT_HASH}`),
            );
          ctx.type = 'html';
          ctx.body = logoutPage(providerName, pageLanguage(ctx.get('accept-language')), form, auto);
        },
        async postLogoutSuccessSource(ctx) {
          ctx.type = 'html';
          ctx.body = signedOutPage(providerName, pageLanguage(ctx.get('accept-language')));
        },
      },
    },
    interactions: {
      policy: policy(clients),
      url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
    },
    async findAccount(ctx, sub, token) {
      if (token === undefined) settleFreshAcr(ctx);
      const account = await sessionAccount(ctx, records, sub, token);
      if (account === undefined) return undefined;
      return {
        accountId: sub,
        hpkiRole: account.login.hcRole,
        claims: (use, scope) => accountClaims(sub, account, use, scope),
      };
    },
    loadExistingGrant,
    async renderError(ctx, out) {
      ctx.type = 'html';
      ctx.body = errorPage(providerName, pageLanguage(ctx.get('accept-language')), out.error, out.error_description);
    },
    ttl: {
      Session: sessionTtl,
      Interaction: TTL.interaction,
      AuthorizationCode: TTL.authorizationCode,
      AccessToken: TTL.accessToken,
      IdToken: TTL.idToken,
      RefreshToken: TTL.refreshToken,
      Grant: TTL.grant,
    },
    ...(input.allowPrivateNetwork ? { fetch: fetchAnyAddress } : {}),
  };
}
