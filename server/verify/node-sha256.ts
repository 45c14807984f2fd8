import { hash } from 'node:crypto';
import type { Sha256 } from '../../protocol/signed-data.js';

/** Node's native one-shot SHA-256, for rebuilding the signed content of every token on the server. */
export const nodeSha256: Sha256 = (data) => hash('sha256', data, 'buffer');
