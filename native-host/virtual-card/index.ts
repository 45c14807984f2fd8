// The virtual card's public surface: other parts import from here.

export { formatApduLine, withApduLog } from './apdu-log.js';
export { HPKI_ATR, JPKI_ATR } from './atr.js';
export {
  CARD_FILE_FORMAT,
  type CardFile,
  type CreateCardFileOptions,
  createCardFile,
  HPKI_PIN_MAX_RETRIES,
  loadCardFile,
  readAuthKeyPair,
  readKeyPair,
} from './card-file.js';
export {
  CardResetDuringCommandError,
  createVirtualCard,
  type VirtualCard,
  type VirtualCardTweaks,
} from './virtual-card.js';
export { serveOverVpcd, VPCD_DEFAULT_PORT, type VpcdOptions, type VpcdService } from './vpcd.js';
