import type { Config } from 'jest';
import { calibrate } from './tests/setup/calibrate';

// How slow this machine is right now: time limits of real-process tests multiply it
// (tests/setup/calibrate.ts). Measured here, before any worker starts; workers inherit it.
const timeScale = calibrate();

/**
 * Tests that start processes, browsers, clusters or benchmarks. They run in
 * their own project, one at a time (`npm test` runs it with --runInBand after
 * the others), so they never starve each other of the two cores.
 */
export const HEAVY_TESTS = [
  '<rootDir>/tests/demo/',
  '<rootDir>/tests/interop/',
  '<rootDir>/tests/client/',
  '<rootDir>/tests/integration/bench-smoke.test.ts',
  '<rootDir>/tests/integration/cli.test.ts',
  '<rootDir>/tests/integration/cli-redis.test.ts',
  '<rootDir>/tests/integration/cli-workers.test.ts',
  '<rootDir>/tests/integration/redis-cluster.test.ts',
  '<rootDir>/tests/integration/redis-cluster-first-connect.test.ts',
  '<rootDir>/tests/integration/redis-cluster-join-readiness.test.ts',
  '<rootDir>/tests/integration/redis-cluster-liveness.test.ts',
  '<rootDir>/tests/integration/redis-multi-host.test.ts',
  '<rootDir>/tests/integration/redis-multi-process.test.ts',
  '<rootDir>/tests/integration/redis-outage.test.ts',
];

// Type checking is done once by `npm run typecheck` (tsc over src, tests and
// type-level tests), so ts-jest only transpiles: it keeps the suite fast.
const shared = {
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
} satisfies Config;

const config: Config = {
  projects: [
    { ...shared, displayName: 'light', testPathIgnorePatterns: ['/node_modules/', ...HEAVY_TESTS] },
    { ...shared, displayName: 'heavy', testMatch: HEAVY_TESTS.map((p) => (p.endsWith('/') ? `${p}**/*.test.ts` : p)) },
  ],
  globalSetup: '<rootDir>/tests/setup/global-setup.ts',
  globalTeardown: '<rootDir>/tests/setup/global-teardown.ts',
  testTimeout: Math.ceil(20_000 * timeScale),
  // Two cores: one worker per core keeps real-socket tests from starving each other.
  maxWorkers: 2,
};

export default config;
