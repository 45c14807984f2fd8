// The virtual card's public surface: other parts import from here.
export {
  CARD_FILE_FORMAT, HPKI_PIN_MAX_RETRIES, createCardFile, loadCardFile, readAuthKeyPair,
  type CardFile, type CreateCardFileOptions,
} from './card-file.js';
export { HPKI_ATR, JPKI_ATR } from './atr.js';
export {
  CardResetDuringCommandError, createVirtualCard, type VirtualCard, type VirtualCardTweaks,
} from './virtual-card.js';
export { VPCD_DEFAULT_PORT, serveOverVpcd, type VpcdOptions, type VpcdService } from './vpcd.js';
