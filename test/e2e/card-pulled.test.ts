import { launchChromium } from '../helpers/chromium-e2e.js';
import { describeCardPulledScenario } from './card-pulled-scenarios.js';

describeCardPulledScenario(launchChromium, 'chromium');
