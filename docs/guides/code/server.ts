import { serve } from 'switchyard-channels';
import { application } from './application';

// Was: web.listen(3000). serve() listens once for HTTP and WebSocket upgrades alike.
serve(application, { port: Number(process.env.PORT ?? 3000) }).then((server) => {
  process.once('SIGTERM', () => void server.close({ timeoutMs: 5_000 }));
});
