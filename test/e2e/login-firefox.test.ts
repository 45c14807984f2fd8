import { launchFirefox } from '../helpers/firefox.js';
import { describeLoginScenarios } from './login-scenarios.js';

describeLoginScenarios(launchFirefox, 'firefox');
