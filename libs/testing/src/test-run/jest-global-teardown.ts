// jest.preset.js's globalTeardown: stops what the set-up started and what specs left behind.
import { tearDownTestRun } from './jest-hooks';

export default tearDownTestRun;
