// jest.preset.js's globalSetup: one Redis for the whole run, found or started (see jest-hooks.ts).
import { setUpTestRun } from './jest-hooks';

export default setUpTestRun;
