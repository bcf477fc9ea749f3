/**
 * The topics joined in this process, per channel layer: what presence needs
 * to push its diffs to local subscribers only (every process computes the
 * same diffs from its own tracker, so nothing crosses the layer twice).
 */
import type { ChannelLayer } from '../layers/channel-layer';
import type { JoinedTopic } from './socket-connection';

/** The joined topics of one layer in this process. */
export class LocalTopics {
  readonly #byTopic = new Map<string, Set<JoinedTopic>>();

  add(joined: JoinedTopic): void {
    let set = this.#byTopic.get(joined.topic);
    if (set === undefined) this.#byTopic.set(joined.topic, (set = new Set()));
    set.add(joined);
  }

  delete(joined: JoinedTopic): void {
    const set = this.#byTopic.get(joined.topic);
    if (set === undefined) return;
    set.delete(joined);
    if (set.size === 0) this.#byTopic.delete(joined.topic);
  }

  /** The joins of `topic` in this process (a snapshot). */
  of(topic: string): JoinedTopic[] {
    const set = this.#byTopic.get(topic);
    return set === undefined ? [] : [...set];
  }
}

const registry = new WeakMap<ChannelLayer, LocalTopics>();

/** The joined topics of `layer` in this process. */
export function localTopics(layer: ChannelLayer): LocalTopics {
  let topics = registry.get(layer as ChannelLayer);
  if (topics === undefined) registry.set(layer, (topics = new LocalTopics()));
  return topics;
}
