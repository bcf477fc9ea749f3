/**
 * What a route may lead to, decided when the route is defined rather than at
 * the first connection. The rule, in order:
 *
 * 1. a consumer class (it carries `CONSUMER_CLASS`) is accepted and turned
 *    into its application with its static `asApp()`;
 * 2. anything that is not a function is refused;
 * 3. a consumer's `asApp` passed without the call is refused;
 * 4. any other class (`class` syntax) is refused: calling it without `new`
 *    would throw at every connection;
 * 5. an express app or `nodeHandler()` is refused: `(req, res)` handlers
 *    belong in ProtocolTypeRouter's `http` branch;
 * 6. a function declaring more than three parameters is refused;
 * 7. any other function is an application `(scope, receive, send)`.
 *
 * A function of three parameters or fewer that returns something else (an
 * arrow returning a consumer class, say) cannot be told apart here without
 * calling it; URLRouter refuses it at its first call (`returnedFunction()`).
 */
import { CONSUMER_CLASS, type Application, type ConsumerClass } from '../application';
import { NotAnApplication } from '../errors';
import { isNodeHttpHandler } from './protocol-type-router';

/** True for a class carrying the consumer marker (any subclass of AsyncConsumer). */
export function isConsumerClass(value: unknown): value is ConsumerClass {
  return (
    typeof value === 'function' &&
    (value as unknown as Record<symbol, unknown>)[CONSUMER_CLASS] === true &&
    typeof (value as unknown as { asApp?: unknown }).asApp === 'function'
  );
}

function isClassSyntax(fn: Function): boolean {
  // Only `class` declarations print as "class ..."; a constructor written as a
  // plain function is indistinguishable from an application and passes.
  return /^class[\s{]/.test(Function.prototype.toString.call(fn));
}

function label(fn: Function): string {
  return fn.name ? fn.name : 'an anonymous function';
}

/** The application a route runs for `value`, or NotAnApplication naming the fix. */
export function routeApplication(value: unknown, where: string): Application {
  if (isConsumerClass(value)) return value.asApp();
  if (typeof value !== 'function') {
    throw new NotAnApplication(where, `got ${value === null ? 'null' : typeof value}, not an application`);
  }
  if (value.name === 'asApp' || value.name === 'bound asApp') {
    throw new NotAnApplication(where, 'got a consumer\'s asApp method itself; call it: ChatConsumer.asApp(), or pass the class ChatConsumer');
  }
  if (isClassSyntax(value)) {
    throw new NotAnApplication(
      where,
      `${label(value)} is a class that does not extend a consumer (AsyncConsumer, WebsocketConsumer, ` +
        'JsonWebsocketConsumer, AsyncHttpConsumer); extend one, then pass the class or its asApp()',
    );
  }
  if (isNodeHttpHandler(value)) {
    throw new NotAnApplication(
      where,
      `${label(value)} is a Node (req, res) handler such as an express app; serve it from ProtocolTypeRouter({ http: app }), not from a route`,
    );
  }
  if (value.length > 3) {
    throw new NotAnApplication(
      where,
      `${label(value)} declares ${value.length} parameters; an application takes (scope, receive, send), ` +
        'so wrap anything else, or pass a consumer class or its asApp()',
    );
  }
  return value as Application;
}

/**
 * The error for an application that returned a function instead of a promise
 * (an arrow returning a consumer class or an `asApp()` result): the only
 * mistake the definition-time rule cannot see. URLRouter throws it at the call.
 */
export function returnedFunction(where: string, result: Function): NotAnApplication {
  const what = isConsumerClass(result) ? `the consumer class ${label(result)}` : label(result);
  return new NotAnApplication(where, `the application returned ${what} instead of a promise; route that instead`);
}
