/** Usage text of every command (printed by --help, pointed at by usage errors). */

export const MAIN_HELP = `Usage: switchyard <command> [options]

Commands:
  serve <module>              serve the application a module exports (HTTP + WebSocket)
  shell [module]              a REPL with the channel layer as \`layer\` and helpers
  worker <module> [channel...] run background consumers on named channels (runworker)
  help [command]              show help for a command

Options:
  -h, --help                  show this help
  -v, --version               print the version

Environment:
  CHANNEL_LAYER_URL           default channel layer, e.g. memory:// or redis://127.0.0.1:6379/0
  REDIS_URL                   used when CHANNEL_LAYER_URL is unset: the Redis core layer at that URL
  PORT                        default port of \`serve\`

Run 'switchyard <command> --help' for a command's options.
`;

export const SERVE_HELP = `Usage: switchyard serve <module>[:export] [--host HOST] [--port PORT] [--workers [N|auto]] [--log-level LEVEL] [--log-format json] [--metrics] [--dashboard]

Serve the application <module> exports: \`export default\`, \`export const application\`
or \`export const app\` (or the export named after ':'), on one port for HTTP and WebSocket.

Options:
  --host HOST      interface to bind (default 127.0.0.1; 0.0.0.0 for every interface)
  -p, --port PORT  port to listen on (default $PORT, else 8000; 0 picks a free port)
  --log-level L    trace, debug, info, warn, error, fatal or silent (default $SWITCHYARD_LOG, else info);
                   debug logs every refused handshake with its reason
  --log-format F   text (default) or json (one JSON object per line, pino-style)
  --workers [N]    run N server processes on the one port (node:cluster); no N or 'auto': one per
                   core. Needs a shared layer (REDIS_URL or CHANNEL_LAYER_URL=redis...): the
                   in-memory layer is refused. SIGHUP replaces the workers one at a time.
  --drain-delay MS on SIGTERM, answer /readyz with 503 for MS ms before closing connections (default 0)
  --metrics        Prometheus metrics at /metrics (needs: npm install prom-client)
  --metrics-port PORT
                   serve /metrics on this port of --host instead (implies --metrics)
  --dashboard      the live dashboard at /dashboard; its URL with the token is printed
                   (token: $SWITCHYARD_DASHBOARD_TOKEN, else a random one per start)
  -h, --help       show this help

Health: GET /healthz (event loop alive) and GET /readyz (channel layer reachable, not draining).
Environment: CHANNEL_LAYER_URL, REDIS_URL (the default channel layer), PORT, SWITCHYARD_LOG,
SWITCHYARD_LOG_FORMAT, SWITCHYARD_DASHBOARD_TOKEN.
SIGTERM or SIGINT shuts down gracefully: /readyz turns 503, WebSockets close with 1001, then the
process exits 0. With --workers the primary passes SIGTERM to every worker and exits 0 when all
have drained; SIGHUP starts a new worker, waits until it listens, then drains an old one, in turn.

Examples:
  switchyard serve app.js --port 8000          # app.js: module.exports = ProtocolTypeRouter({ websocket: routes })
  REDIS_URL=redis://127.0.0.1:6379 switchyard serve app.js --workers   # one process per core
  switchyard serve app.ts:application          # a TypeScript module: needs tsx in your project (npm install -D tsx)
`;

export const SHELL_HELP = `Usage: switchyard shell [module]

A Node REPL with the configured channel layer as \`layer\`, top-level await, history
(~/.switchyard_history, or $SWITCHYARD_HISTORY; empty disables it) and helpers:
  groupSend(group, message), send(channel, message), newChannel(prefix?),
  receive(channel, timeoutMs = 5000), members(group), help()
If [module] is given it is loaded first (so its layer configuration applies); its exports
are in scope as \`mod\` and its application, if any, as \`app\`.

Options:
  -h, --help       show this help

Environment: CHANNEL_LAYER_URL, REDIS_URL, SWITCHYARD_HISTORY.

Example:
  REDIS_URL=redis://127.0.0.1:6379 switchyard shell
  switchyard> await groupSend('chat_lobby', { type: 'chat.message', message: 'hello from the shell' })
`;

export const WORKER_HELP = `Usage: switchyard worker <module>[:export] <channel...>

Read the named channels from the channel layer and feed each message to the application
<module> exports (typically a ChannelNameRouter), with scope { type: 'channel', channel }:
one application instance per channel, messages in order. With no channel named, the
channels of a ChannelNameRouter are used.

Options:
  -h, --help       show this help

Environment: CHANNEL_LAYER_URL, REDIS_URL. Use a shared layer (Redis) so that other
processes can reach the worker; on the embedded memory layer only this process can.
SIGTERM or SIGINT stops reading, ends the instances, and exits 0.

Example (the demo's /help and /who bot, from a checkout of Switchyard):
  CHANNEL_LAYER_URL=redis://127.0.0.1:6379 switchyard worker demo/bot.ts chat-bot
`;
