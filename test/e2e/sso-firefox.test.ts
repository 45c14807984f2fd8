import { launchFirefox } from '../helpers/firefox.js';
import { describeSsoScenario } from './sso-scenario.js';

describeSsoScenario(launchFirefox, 'firefox');
