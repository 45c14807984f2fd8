import type { ServerResponse } from 'node:http';
import type { SsoClient } from '../../protocol/sso.js';

/**
 * A client registered with `hpki_iss_in_errors: false` gets its error responses (`access_denied`,
 * `login_required`, …) without RFC 9207's `iss`. mod_auth_openidc 2.4 reads a response to its
 * redirect URI that has `iss` but no `code` as a reply from its own discovery page, and shows
 * "Invalid Request … target_link_uri" instead of the error (docs/sso.md, "Apache mod_auth_openidc").
 * An error carries no code, so leaving `iss` out of it gives a mix-up attacker nothing; responses
 * with a code keep `iss` for every client.
 */

const baseOf = (uri: string): string => {
  const url = new URL(uri);
  return `${url.origin}${url.pathname}`;
};

export function issOmittedRedirects(clients: readonly SsoClient[]): ReadonlySet<string> {
  const bases = new Set<string>();
  for (const client of clients)
    if ((client as { hpki_iss_in_errors?: unknown }).hpki_iss_in_errors === false)
      for (const uri of client.redirect_uris) bases.add(baseOf(uri));
  return bases;
}

/** The Location of an error redirect to one of `bases`, without `iss`; any other value unchanged. */
export function withoutErrorIss(location: string, bases: ReadonlySet<string>): string {
  let url: URL;
  try {
    url = new URL(location);
  } catch {
    return location;
  }
  if (!url.searchParams.has('error') || !url.searchParams.has('iss') || !bases.has(baseOf(url.href))) return location;
  url.searchParams.delete('iss');
  return url.href;
}

/** Rewrites the response's Location header as `withoutErrorIss` says, when it is set. */
export function omitIssInErrors(res: ServerResponse, bases: ReadonlySet<string>): void {
  if (bases.size === 0) return;
  const setHeader = res.setHeader.bind(res);
  res.setHeader = (name, value) =>
    setHeader(
      name,
      name.toLowerCase() === 'location' && typeof value === 'string' ? withoutErrorIss(value, bases) : value,
    );
}
