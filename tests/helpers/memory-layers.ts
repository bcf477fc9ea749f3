/**
 * In-memory layers for a describe block: `make()` builds one, and every
 * layer made is closed after each test.
 */
import { InMemoryChannelLayer } from '../../src/layers/memory-layer';

type Options = ConstructorParameters<typeof InMemoryChannelLayer>[0];

/** Call inside `describe`: registers the `afterEach` that closes what `make` built. */
export function memoryLayers(): (options?: Options) => InMemoryChannelLayer {
  const layers: InMemoryChannelLayer[] = [];
  afterEach(async () => {
    await Promise.all(layers.splice(0).map((layer) => layer.close()));
  });
  return (options = {}) => {
    const layer = new InMemoryChannelLayer(options);
    layers.push(layer);
    return layer;
  };
}
