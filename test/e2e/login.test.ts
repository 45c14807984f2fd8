import { launchChromium } from '../helpers/chromium-e2e.js';
import { describeLoginScenarios } from './login-scenarios.js';

describeLoginScenarios(launchChromium, 'chromium');
