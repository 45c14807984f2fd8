// Card presence (inserted, removed) as the host watches it; other folders import from here.

export type { CardPresence } from './card-presence.js';
