import { launchChromium } from '../helpers/chromium-e2e.js';
import { describeSignScenarios } from './sign-scenarios.js';

describeSignScenarios(launchChromium, 'chromium');
