/**
 * The dashboard's websocket: a consumer on the route the dashboard mounts,
 * refusing handshakes without the token, joined to the dashboard group on
 * the channel layer, forwarding every process's snapshot to the page.
 */
import { WebsocketConsumer } from '../consumers/websocket-consumer';
import type { Application } from '../application';
import { tokenMatches } from './dashboard-token';
import type { ProcessSnapshot } from './snapshot';

/** The layer message each process publishes. */
export interface DashboardSnapshotEvent {
  type: 'dashboard.snapshot';
  snapshot: ProcessSnapshot;
}

/** What the consumer needs to know. */
export interface DashboardConsumerConfig {
  token: string;
  group: string;
  alias: string;
  /** The latest snapshot of each process seen by this process, sent to a page as it connects. */
  latest: () => ProcessSnapshot[];
}

/** The token from `?token=` of a query string, or null. */
export function queryToken(queryString: string): string | null {
  for (const part of queryString.split('&')) {
    if (part.startsWith('token=')) {
      try {
        return decodeURIComponent(part.slice(6));
      } catch {
        return null;
      }
    }
  }
  return null;
}

/** The application of the dashboard's websocket route. */
export function dashboardSocketApp(config: DashboardConsumerConfig): Application {
  class DashboardConsumer extends WebsocketConsumer<{ 'dashboard.snapshot': { snapshot: ProcessSnapshot } }> {
    static override channelLayerAlias = config.alias;

    override async connect(): Promise<void> {
      const token = queryToken(this.scope.queryString);
      if (token === null) this.deny(401, 'the dashboard needs its token: open the dashboard page with ?token=...');
      if (!tokenMatches(token, config.token)) this.deny(403, 'wrong dashboard token');
      await this.groupAdd(config.group);
      await this.accept();
      for (const snapshot of config.latest()) await this.send(JSON.stringify(snapshot));
    }

    async dashboardSnapshot(event: DashboardSnapshotEvent): Promise<void> {
      await this.send(JSON.stringify(event.snapshot));
    }
  }
  return DashboardConsumer.asApp();
}
