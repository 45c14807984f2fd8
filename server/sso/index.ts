// The OpenID provider whose login is the card (PROTOCOL.md §10); other folders import from here.

export { createMemorySsoStore } from './memory-store.js';
export { ephemeralKeys, type RunningSsoServer, startSsoServer } from './server.js';
