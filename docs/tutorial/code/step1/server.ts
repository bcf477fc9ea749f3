import { serve } from 'switchyard-channels';
import { application } from './app';

const port = Number(process.env.PORT ?? 8000);

serve(application, { port, host: '127.0.0.1' }).then((server) => {
  const { port: bound } = server.address()!;
  console.log(`chat listening on http://127.0.0.1:${bound}`);
  process.once('SIGTERM', () => void server.close().then(() => process.exit(0)));
  process.once('SIGINT', () => void server.close().then(() => process.exit(0)));
});
