import { fileURLToPath } from 'node:url';

/** The checkout's root as a URL (ending in `/`): a test reads a tracked file wherever in test/ it sits. */
export const REPO_URL = new URL('../../', import.meta.url);

/** The checkout's root as a path, ending in a separator. */
export const REPO_ROOT = fileURLToPath(REPO_URL);
