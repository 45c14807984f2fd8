import { launchFirefox } from '../helpers/firefox.js';
import { describeSignScenarios } from './sign-scenarios.js';

describeSignScenarios(launchFirefox, 'firefox');
