/**
 * A Redis layer whose msgpack peer is missing says so when it is created,
 * naming the package and the install command, before it opens a connection
 * (not at its first send, where the error would surface far from the setup).
 */
function missingModule(name: string): never {
  throw Object.assign(new Error(`Cannot find module '${name}'`), { code: 'MODULE_NOT_FOUND' });
}

describe.each(['RedisChannelLayer', 'RedisPubSubChannelLayer'] as const)('%s without @msgpack/msgpack', (name) => {
  it('throws MissingPeerDependency from the constructor', () => {
    jest.isolateModules(() => {
      jest.doMock('@msgpack/msgpack', () => missingModule('@msgpack/msgpack'));
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const layers = require('../../../../src/layers/redis') as typeof import('../../../../src/layers/redis');
      let error: unknown;
      try {
        // Port 9 (discard): nothing may be connected to before the error anyway.
        new layers[name]({ url: 'redis://127.0.0.1:9' });
      } catch (e) {
        error = e;
      }
      // The class comes from the isolated module registry: matched by its code.
      expect(error).toMatchObject({ name: 'MissingPeerDependency', code: 'ERR_MISSING_PEER_DEPENDENCY', packageName: '@msgpack/msgpack', install: 'redis @msgpack/msgpack' });
    });
  });
});
