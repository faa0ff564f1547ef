import { memoryTarget } from './memory-target.js';
import { describeConformance } from './suite.js';

describeConformance(memoryTarget());
