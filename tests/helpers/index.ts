/**
 * Shared helpers for real-socket tests. Typical use:
 *
 *   afterEach(closeAll);
 *   const server = await startServer(app, options);      // port 0, errors collected
 *   const client = await connectClient(`${server.url}/ws/x/`);
 *   const outcome = await tryConnect(url);               // refused handshakes as data
 *   const raw = await rawConnect(server.port);           // misbehave on the wire
 *
 * Every wait is bounded (default 5 s) and names what it waited for.
 */
export { closeAll, registerCloser } from './cleanup';
export { DEFAULT_WAIT_MS, WaitTimeout, deferred, waitFor, withTimeout } from './deadline';
export type { Deferred } from './deadline';
export { startServer } from './start-server';
export type { StartedServer } from './start-server';
export { TestClient, connectClient, tryConnect } from './ws-client';
export type { ClosedInfo, ConnectOptions, ConnectOutcome, ReceivedMessage } from './ws-client';
export { RawSocket, closePayload, encodeFrame, handshakeRequest, parseFrames, rawConnect } from './raw-tcp';
export type { Frame, HttpHead } from './raw-tcp';
export { echoApp, recordingApp } from './apps';
export type { Recorder } from './apps';
