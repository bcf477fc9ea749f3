import { MissingPeerDependency, isSwitchyardError } from '../../src/errors';
import { requirePeer } from '../../src/peer-dependency';

describe('requirePeer', () => {
  it('returns an installed package', () => {
    const ws = requirePeer<{ WebSocketServer: unknown }>('ws', 'the server');
    expect(typeof ws.WebSocketServer).toBe('function');
  });

  it('names the feature and the install command when the package is missing', () => {
    let error: unknown;
    try {
      requirePeer('switchyard-no-such-package', 'the frobnicator', 'switchyard-no-such-package other-package');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MissingPeerDependency);
    expect(isSwitchyardError(error)).toBe(true);
    expect(error).toMatchObject({
      code: 'ERR_MISSING_PEER_DEPENDENCY',
      packageName: 'switchyard-no-such-package',
      feature: 'the frobnicator',
      install: 'switchyard-no-such-package other-package',
    });
    expect((error as Error).message).toBe(
      'the optional dependency "switchyard-no-such-package" is not installed; it is needed for the frobnicator: npm install switchyard-no-such-package other-package',
    );
  });
});
