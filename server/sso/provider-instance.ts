import Provider from 'oidc-provider';
import type { SsoClient } from '../../protocol/sso.js';
import type { PrivateJwks } from './keys.js';
import { refusalReason, type SsoMetrics } from './operations.js';
import { providerConfiguration } from './provider-config.js';
import type { SsoRecords } from './records.js';
import type { SsoStore } from './store.js';

/** What an oidc-provider instance of this issuer is made from, whatever keys it signs with. */
export interface ProviderDeps {
  issuer: string;
  providerName: string;
  clients: readonly SsoClient[];
  store: SsoStore;
  records: SsoRecords;
  allowPrivateNetwork: boolean;
  metrics: SsoMetrics;
  onInternalError: (err: unknown) => void;
  onNotice: (line: string) => void;
}

/** The issuer's oidc-provider with these keys, its events counted and reported. */
export function buildProvider(deps: ProviderDeps, keys: PrivateJwks): Provider {
  const { issuer, metrics } = deps;
  const provider = new Provider(
    issuer,
    providerConfiguration({
      providerName: deps.providerName,
      clients: deps.clients,
      jwks: keys,
      store: deps.store,
      records: deps.records,
      allowPrivateNetwork: deps.allowPrivateNetwork,
      secure: issuer.startsWith('https:'),
    }),
  );
  // An https issuer's processes sit behind a TLS proxy; the handler sets X-Forwarded-Proto itself.
  provider.proxy = issuer.startsWith('https:');
  // oidc-provider puts `sid` in ID tokens only for clients registered for back-channel logout with
  // backchannel_logout_session_required; §10 wants it in every ID token, as the logout token names it.
  Object.defineProperty(provider.Client.prototype, 'includeSid', { value: () => true });
  provider.on('server_error', (_ctx, err) => deps.onInternalError(err));
  provider.on('backchannel.error', (_ctx, err, client) =>
    deps.onNotice(`back-channel logout to ${client.clientId} failed: ${err.message}`),
  );
  provider.on('authorization_code.saved', () => metrics.codesIssued.inc());
  // access_denied comes from the interaction, which counts it with its own reason.
  provider.on('authorization.error', (_ctx, err) => {
    const reason = refusalReason((err as { error?: unknown }).error);
    if (reason !== 'access_denied') metrics.signInsRefused.inc({ reason });
  });
  return provider;
}
