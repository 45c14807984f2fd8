import { launchFirefox } from '../helpers/firefox.js';
import { describeReferralScenarios } from './referral-scenarios.js';

describeReferralScenarios(launchFirefox, 'firefox');
