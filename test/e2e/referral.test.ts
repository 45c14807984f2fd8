import { launchChromium } from '../helpers/chromium-e2e.js';
import { describeReferralScenarios } from './referral-scenarios.js';

describeReferralScenarios(launchChromium, 'chromium');
