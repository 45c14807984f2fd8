import { z } from 'zod';

/**
 * The single sign-on contract of PROTOCOL.md §10: what an ID token says about a card login, the
 * claims and scopes, and the clients file an operator registers relying services with.
 */

/** `acr` of every ID token: a login with the HPKI card and its PIN. */
export const HPKI_ACR = 'urn:hpki-login:acr:card-pin';
/**
 * Step-up (docs/sso.md "Step-up"): asked for in `acr_values` or as an essential `acr` claim, it
 * gets a card login for this very request, whatever session there is; the ID token of that answer
 * carries it. Every other ID token carries HPKI_ACR.
 */
export const HPKI_ACR_FRESH = 'urn:hpki-login:acr:card-pin:fresh';

/**
 * `amr` of every ID token (RFC 8176): smart card (`sc`), PIN (`pin`), hardware-secured key
 * (`hwk`), and `mfa` because the card (something held) and the PIN (something known) are two factors.
 */
export const HPKI_AMR: readonly string[] = ['sc', 'pin', 'hwk', 'mfa'];

/** The Japanese name claim: the CN of the certificate's SAN dirName. */
export const NAME_JA_CLAIM = 'name#ja-Hani-JP';

/** Claims granted with each scope (`acr`, `amr`, `auth_time` and `hpki_role` go in every ID token). */
export const SSO_SCOPE_CLAIMS = {
  openid: ['sub'],
  profile: ['name', NAME_JA_CLAIM],
  hpki: ['hpki_role', 'hpki_holder_id', 'hpki_issuer', 'hpki_certificate_sha256', 'hpki_not_after'],
} as const;

export const SSO_SCOPES = Object.keys(SSO_SCOPE_CLAIMS) as (keyof typeof SSO_SCOPE_CLAIMS)[];

/** The event of a back-channel logout token (OpenID Connect Back-Channel Logout 1.0). */
export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

const roleSchema = z.string().min(1).max(128);

/**
 * One entry of the `--clients` file: OIDC client metadata (checked in full by the provider) plus
 * `hpki_allowed_roles`. Only what this project adds or relies on is checked here.
 */
export const ssoClientSchema = z
  .object({
    client_id: z.string().regex(/^[A-Za-z0-9._~-]{1,128}$/, 'client_id: 1–128 of [A-Za-z0-9._~-]'),
    client_name: z.string().min(1).max(128).optional(),
    client_secret: z.string().min(32, 'client_secret: at least 32 characters').max(512).optional(),
    token_endpoint_auth_method: z
      .enum(['client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt', 'none'])
      .optional(),
    redirect_uris: z.array(z.string().url().max(2048)).min(1).max(32),
    post_logout_redirect_uris: z.array(z.string().url().max(2048)).max(32).optional(),
    backchannel_logout_uri: z.string().url().max(2048).optional(),
    hpki_allowed_roles: z.array(roleSchema).min(1).max(64).optional(),
    /** false: error responses to this client carry no RFC 9207 `iss` (mod_auth_openidc 2.4; docs/sso.md). */
    hpki_iss_in_errors: z.boolean().optional(),
  })
  .passthrough()
  .refine((c) => c.client_secret !== undefined || c.token_endpoint_auth_method === 'none', {
    message: 'a client needs a client_secret, or token_endpoint_auth_method "none"',
  });
export type SsoClient = z.infer<typeof ssoClientSchema>;

export const ssoClientsFileSchema = z
  .array(ssoClientSchema)
  .min(1)
  .max(1000)
  .refine((clients) => new Set(clients.map((c) => c.client_id)).size === clients.length, {
    message: 'client_id values must be unique',
  });
