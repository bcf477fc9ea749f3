/**
 * The channel layer conformance suite: one set of tests every backend must
 * pass, parameterised by a factory. Each backend's test file calls
 * `describeChannelLayerContract` once.
 *
 * Rules for a factory:
 * - Return a fresh, open layer built with the given options (the suite
 *   passes `clock` for expiry tests: the backend must use it for every
 *   expiry decision, message and membership alike).
 * - With `crossInstance: true`, layers made in the same test must share
 *   backend state (two processes of one deployment); isolating tests from
 *   each other (e.g. a key prefix per test) is up to the factory, and the
 *   suite also uses unique channel and group names in every test.
 * - The suite closes every layer it made after each test.
 *
 * @example
 * describeChannelLayerContract('InMemoryChannelLayer', async (options) => new InMemoryChannelLayer(options));
 */
import { Harness, type ContractCapabilities, type LayerFactory } from './harness';
import { groupCases } from './cases/groups';
import { historyCases } from './cases/history';
import { lifecycleCases } from './cases/lifecycle';
import { messagingCases } from './cases/messaging';
import { validationCases } from './cases/validation';

export type { ContractCapabilities, LayerFactory } from './harness';
export { FakeClock } from './harness';

/** Register the full conformance suite for one backend. */
export function describeChannelLayerContract(name: string, factory: LayerFactory, capabilities: ContractCapabilities = {}): void {
  describe(`ChannelLayer contract: ${name}`, () => {
    const harness = new Harness(factory, capabilities);
    beforeEach(() => harness.reset());
    afterEach(() => harness.closeAll());

    messagingCases(harness);
    validationCases(harness);
    groupCases(harness);
    historyCases(harness);
    lifecycleCases(harness);
  });
}
