/**
 * Who asks for the PIN, truthfully: the origin the browser reported is the one fact the window can
 * vouch for, so its host comes first and large; the name in the site's descriptor is the site's own
 * claim (any enabled site may call itself anything) and is shown second, marked as such.
 */

export interface Asker {
  /** `https://` or `http://`: shown small, before the host. */
  scheme: string;
  /** The origin's host, with its port when it has one (IDN hosts in their ASCII form, as the browser has them). */
  host: string;
  /** The site's name for itself, when it says anything beyond its host. */
  claimedName: string | null;
}

export function askerOf(origin: string, siteName: string): Asker {
  const url = new URL(origin);
  const host = url.host;
  const claimed = siteName.trim();
  return {
    scheme: `${url.protocol}//`,
    host,
    claimedName: claimed === '' || claimed === host || claimed === origin ? null : claimed,
  };
}
