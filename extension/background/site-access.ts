import { HpkiError } from '../../protocol/errors.js';
import { assertSecureOrigin, isLoopbackOrigin } from '../../protocol/origin.js';
import { matchPatternForOrigin } from '../shared/index.js';
import type { FetchDescriptor } from './descriptor-fetch.js';
import type { PermissionsApi, SiteRegistry } from './site-registry.js';

/**
 * Whether an origin may use the card at all (PROTOCOL.md §6): a secure origin, and one the user
 * enabled — or, in the development build only, a loopback origin that serves a descriptor.
 */

export interface SiteGrant {
  name: string;
  roles: string[];
}

export interface SiteAccess {
  /** Throws ERR_HPKI_INSECURE_ORIGIN or ERR_HPKI_SITE_NOT_ALLOWED. */
  check(origin: string): Promise<SiteGrant>;
}

export interface SiteAccessDeps {
  registry: Pick<SiteRegistry, 'find'>;
  permissions: Pick<PermissionsApi, 'contains'>;
  fetchDescriptor: FetchDescriptor;
  loopbackDevelopment: boolean;
}

function notAllowed(message: string): HpkiError {
  return new HpkiError('ERR_HPKI_SITE_NOT_ALLOWED', message);
}

export function createSiteAccess(deps: SiteAccessDeps): SiteAccess {
  return {
    async check(origin) {
      assertSecureOrigin(origin);
      if (isLoopbackOrigin(origin)) {
        if (!deps.loopbackDevelopment) throw notAllowed('loopback origins are off in this build');
        const descriptor = await deps.fetchDescriptor(origin);
        if (descriptor === undefined) throw notAllowed('this loopback origin serves no HPKI login descriptor');
        return { name: descriptor.name, roles: descriptor.roles ?? [] };
      }
      const site = await deps.registry.find(origin);
      if (site === undefined) throw notAllowed('HPKI login is not enabled for this site');
      if (!(await deps.permissions.contains({ origins: [matchPatternForOrigin(origin)] }))) {
        throw notAllowed('the browser no longer grants access to this site');
      }
      const descriptor = await deps.fetchDescriptor(origin);
      return { name: descriptor?.name ?? site.name, roles: descriptor?.roles ?? [] };
    },
  };
}
