/**
 * Type-level tests for logging, checked by `npm run typecheck` (tsc), not
 * run by jest: a pino logger is a Switchyard Logger as it is.
 */
import { expectTypeOf } from 'expect-type';
import pino from 'pino';
import type { Logger } from '../../src/logging/logger';
import { createLogger } from '../../src/logging/line-logger';
import { setLogger } from '../../src/logging/process-logger';
import type { ServerOptions } from '../../src/server/options';

export function pinoPlugsIn(): void {
  const logger = pino();
  expectTypeOf(logger).toMatchTypeOf<Logger>();
  expectTypeOf(logger.child({ conn: 1 })).toMatchTypeOf<Logger>();
  setLogger(logger);
  const options: ServerOptions = { logger };
  void options;
}

export function builtInShapes(): void {
  const log = createLogger({ level: 'debug', format: 'json' });
  log.info('message');
  log.warn({ port: 1 }, 'message');
  log.error({ err: new Error('x') });
  // @ts-expect-error a level name that does not exist
  createLogger({ level: 'verbose' });
  // @ts-expect-error the format is text or json
  createLogger({ format: 'xml' });
  // @ts-expect-error fields come first, the message second
  log.info('message', { port: 1 });
}
