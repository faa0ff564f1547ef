import { describeSecretCases } from './suite.js';
import { memoryTarget } from './target.js';

describeSecretCases(memoryTarget);
