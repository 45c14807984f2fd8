// The card backends' public surface. The CLI loads one backend by its file, lazily, so that the others' native libraries stay closed.

export type { PcscOs } from './pcsc/layout.js';
