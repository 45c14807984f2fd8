/**
 * A browser reduced to what an OpenID flow needs, over fetch: a cookie jar keyed by host name (like
 * browsers, cookies ignore the port), cookie paths, and redirects followed by hand so that the
 * test sees where each one leads. `route` maps the public origin a URL names to where the request
 * really goes (two provider processes behind one issuer).
 */

interface StoredCookie {
  name: string;
  value: string;
  host: string;
  path: string;
}

export interface Hop {
  url: string;
  status: number;
  location: string | null;
  body: string;
  contentType: string;
}

export interface CookieBrowser {
  /** GET `url`, following redirects while they stay within `stayOn` origins; returns every hop. */
  navigate(url: string, options?: { stayOn?: string[] }): Promise<Hop[]>;
  fetch(url: string, init?: RequestInit): Promise<Response>;
  cookie(name: string): string | undefined;
  clearCookies(): void;
  /** Where requests to `publicOrigin` go from now on: a fixed origin, or one chosen per request. */
  route(publicOrigin: string, actualOrigin: string | (() => string)): void;
}

/** `headers` go with every request (e.g. the X-Forwarded-For a proxy would add for this browser). */
export function createCookieBrowser(options: { headers?: Record<string, string> } = {}): CookieBrowser {
  let jar: StoredCookie[] = [];
  const routes = new Map<string, string | (() => string)>();

  const pathMatches = (cookiePath: string, requestPath: string): boolean =>
    requestPath === cookiePath || requestPath.startsWith(cookiePath.endsWith('/') ? cookiePath : `${cookiePath}/`);

  function store(url: URL, header: string): void {
    const [pair = '', ...attributes] = header.split(';');
    const eq = pair.indexOf('=');
    if (eq < 0) return;
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    let path = '/';
    let expired = false;
    for (const attribute of attributes) {
      const [key = '', v = ''] = attribute.split('=').map((s) => s.trim());
      if (key.toLowerCase() === 'path') path = v;
      if (key.toLowerCase() === 'max-age' && Number(v) <= 0) expired = true;
      if (key.toLowerCase() === 'expires' && Date.parse(v) < Date.now()) expired = true;
    }
    jar = jar.filter((c) => !(c.name === name && c.host === url.hostname && c.path === path));
    if (!expired && value !== '') jar.push({ name, value, host: url.hostname, path });
  }

  async function send(url: string, init: RequestInit = {}): Promise<Response> {
    const target = new URL(url);
    const cookies = jar.filter((c) => c.host === target.hostname && pathMatches(c.path, target.pathname));
    const headers = new Headers(init.headers);
    for (const [name, value] of Object.entries(options.headers ?? {})) if (!headers.has(name)) headers.set(name, value);
    if (cookies.length > 0) headers.set('cookie', cookies.map((c) => `${c.name}=${c.value}`).join('; '));
    const route = routes.get(target.origin);
    const actual = typeof route === 'function' ? route() : route;
    const sendTo = actual === undefined ? target.href : `${actual}${target.pathname}${target.search}`;
    const res = await fetch(sendTo, { ...init, headers, redirect: 'manual' });
    for (const header of res.headers.getSetCookie()) store(target, header);
    return res;
  }

  return {
    fetch: send,
    async navigate(url, options = {}) {
      const hops: Hop[] = [];
      let next: string | undefined = url;
      const stayOn = options.stayOn;
      while (next !== undefined && hops.length < 20) {
        const res = await send(next);
        const location = res.headers.get('location');
        const hop: Hop = {
          url: next,
          status: res.status,
          location,
          body: await res.text(),
          contentType: res.headers.get('content-type') ?? '',
        };
        hops.push(hop);
        if (location === null || res.status < 300 || res.status >= 400) break;
        const resolved: string = new URL(location, next).href;
        if (stayOn !== undefined && !stayOn.includes(new URL(resolved).origin)) {
          hops.push({ url: resolved, status: 0, location: null, body: '', contentType: '' });
          break;
        }
        next = resolved;
      }
      return hops;
    },
    cookie: (name) => jar.find((c) => c.name === name)?.value,
    clearCookies: () => {
      jar = [];
    },
    route: (publicOrigin, actualOrigin) => void routes.set(publicOrigin, actualOrigin),
  };
}
