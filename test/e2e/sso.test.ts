import { launchChromium } from '../helpers/chromium-e2e.js';
import { describeSsoScenario } from './sso-scenario.js';

describeSsoScenario(launchChromium, 'chromium');
