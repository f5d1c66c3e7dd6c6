import { removeTempDirs } from './helpers.js';

// Every test file leaves the system temp folder as it found it.
afterAll(() => removeTempDirs());
