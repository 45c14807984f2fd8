import { launchFirefox } from '../helpers/firefox.js';
import { describeCardPulledScenario } from './card-pulled-scenarios.js';

describeCardPulledScenario(launchFirefox, 'firefox');
