import { AuthenticationFailed, DenyConnection, OriginRejected, RouteNotFound, ServerBusy } from '../../../src/errors';
import { createLogger } from '../../../src/logging/line-logger';
import { getLogger } from '../../../src/logging/process-logger';
import { HEALTH_DEFAULTS, resolveHealthOptions } from '../../../src/server/health-options';
import { resolveServerOptions } from '../../../src/server/options';
import { refusalReasonOf } from '../../../src/server/refusal-reasons';

describe('logging options', () => {
  it('use the process logger unless a logger, level or format is given', () => {
    expect(resolveServerOptions().logger).toBe(getLogger());
    expect(resolveServerOptions().explicitLogger).toBe(false);
    const mine = createLogger({ env: {} });
    expect(resolveServerOptions({ logger: mine })).toMatchObject({ logger: mine, explicitLogger: true });
    const leveled = resolveServerOptions({ logLevel: 'debug' });
    expect([leveled.logger.level, leveled.explicitLogger]).toEqual(['debug', true]);
  });

  it.each([
    [{ logLevel: 'loud' }, /logLevel must be one of/],
    [{ logFormat: 'xml' }, /logFormat must be "text" or "json"/],
    [{ logger: { info() {} } }, /option logger must have/],
    [{ logger: createLogger({ env: {} }), logLevel: 'debug' }, /set the level and format on your logger/],
    [{ health: 'yes' }, /option health must be/],
    [{ health: { livePath: 'healthz' } }, /health.livePath must be a path/],
    [{ health: { livePath: '/same', readyPath: '/same' } }, /must differ/],
    [{ health: { drainDelay: -1 } }, /health.drainDelay/],
    [{ health: { maxEventLoopDelay: 0 } }, /health.maxEventLoopDelay/],
    [{ health: { readinessPath: '/r' } }, /unknown health option "readinessPath"/],
  ])('refuse %j with InvalidOption', (options, message) => {
    expect(() => resolveServerOptions(options as never)).toThrow(message);
    expect(() => resolveServerOptions(options as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
  });

  it('health: off by default, true for the documented defaults, an object over them', () => {
    expect(resolveServerOptions().health).toBeNull();
    expect(resolveHealthOptions(true)).toEqual({ livePath: '/healthz', readyPath: '/readyz', maxEventLoopDelay: 2000, drainDelay: 0, layerTimeout: 1000 });
    expect(resolveHealthOptions({ drainDelay: 5000 })).toEqual({ ...HEALTH_DEFAULTS, drainDelay: 5000 });
  });
});

describe('refusal reasons', () => {
  it('name the kind of each catalogue error, redacting what an auth error quotes', () => {
    expect(refusalReasonOf(new OriginRejected(undefined))).toEqual({ kind: 'origin', text: 'origin: origin (missing) is not allowed', code: 'ERR_ORIGIN_REJECTED' });
    expect(refusalReasonOf(new RouteNotFound('/x/')).kind).toBe('route');
    expect(refusalReasonOf(new ServerBusy(3)).kind).toBe('limits');
    expect(refusalReasonOf(new DenyConnection(451, 'not here')).text).toBe('denied by the application (DenyConnection 451: not here)');
    const auth = refusalReasonOf(new AuthenticationFailed('token rejected: eyJabc.eyJdef.sig is bad'));
    expect(auth.kind).toBe('auth');
    expect(auth.text).not.toContain('eyJ');
    expect(refusalReasonOf(new Error('boom'))).toEqual({ kind: 'error', text: 'the application failed before accepting (Error: boom)' });
  });
});
