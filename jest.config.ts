import type { Config } from 'jest';

// Type checking is done once by `npm run typecheck` (tsc over src, tests and
// type-level tests), so ts-jest only transpiles: it keeps the suite fast.
const config: Config = {
  testEnvironment: 'node',
  roots: ['<rootDir>/tests'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
  },
  moduleNameMapper: {
    '^switchyard-channels$': '<rootDir>/src/index.ts',
    '^switchyard-channels/testing$': '<rootDir>/src/testing/index.ts',
  },
  setupFiles: ['reflect-metadata'],
  globalSetup: '<rootDir>/tests/setup/global-setup.ts',
  globalTeardown: '<rootDir>/tests/setup/global-teardown.ts',
  testTimeout: 20_000,
  // Two cores: one worker per core keeps real-socket tests from starving each other.
  maxWorkers: 2,
};

export default config;
