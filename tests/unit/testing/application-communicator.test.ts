import type { Application, Event } from '../../../src/application';
import { ApplicationCommunicator } from '../../../src/testing/application-communicator';
import { CommunicatorTimeout, UnexpectedOutput } from '../../../src/errors';

const scope = { type: 'channel', channel: 'test' } as const;

/** Echoes every input back with type `echo` until it gets `stop`. */
const echo: Application = async (_scope, receive, send) => {
  for (;;) {
    const event = await receive();
    if (event.type === 'stop') return;
    if (event.type === 'crash') throw new Error('boom');
    await send({ ...event, type: 'echo' });
  }
};

describe('ApplicationCommunicator', () => {
  it('feeds inputs and reads outputs in order', async () => {
    const comm = new ApplicationCommunicator(echo, scope);
    await comm.sendInput({ type: 'x', n: 1 });
    await comm.sendInput({ type: 'x', n: 2 });
    expect(await comm.receiveOutput()).toEqual({ type: 'echo', n: 1 });
    expect(await comm.receiveOutput()).toEqual({ type: 'echo', n: 2 });
    await comm.sendInput({ type: 'stop' });
    await comm.wait();
    expect(comm.finished).toBe(true);
    expect(await comm.appResult).toEqual({ status: 'resolved' });
  });

  it('times out with a message naming what it waited for', async () => {
    const comm = new ApplicationCommunicator(echo, scope);
    const error = await comm.receiveOutput(30, 'the echo').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CommunicatorTimeout);
    expect((error as CommunicatorTimeout).code).toBe('ERR_COMMUNICATOR_TIMEOUT');
    expect((error as Error).message).toMatch(/waited 30 ms for the echo/);
    await comm.stop();
  });

  it('rejects with the application error once earlier outputs are read', async () => {
    const comm = new ApplicationCommunicator(echo, scope);
    await comm.sendInput({ type: 'x' });
    await comm.sendInput({ type: 'crash' });
    expect(await comm.receiveOutput()).toEqual({ type: 'echo' });
    await expect(comm.receiveOutput()).rejects.toThrow('boom');
    await expect(comm.wait()).rejects.toThrow('boom');
    const outcome = await comm.appResult;
    expect(outcome.status).toBe('rejected');
  });

  it('reports an application that returns without output as UnexpectedOutput, at once', async () => {
    const comm = new ApplicationCommunicator(echo, scope);
    await comm.sendInput({ type: 'stop' });
    const started = Date.now();
    await expect(comm.receiveOutput(5000)).rejects.toBeInstanceOf(UnexpectedOutput);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('receiveNothing is true when quiet and false when an output is queued (without consuming it)', async () => {
    const comm = new ApplicationCommunicator(echo, scope);
    expect(await comm.receiveNothing(20)).toBe(true);
    await comm.sendInput({ type: 'x' });
    expect(await comm.receiveNothing(200)).toBe(false);
    expect(await comm.receiveOutput()).toEqual({ type: 'echo' });
    await comm.stop();
  });

  it('wait() times out on an application still running', async () => {
    const comm = new ApplicationCommunicator(echo, scope);
    await expect(comm.wait(20)).rejects.toThrow(/still running/);
    await comm.stop();
  });

  it('stop() ignores later outputs', async () => {
    const sent: Event[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const app: Application = async (_s, _r, send) => {
      await gate;
      await send({ type: 'late' });
      sent.push({ type: 'late' });
    };
    const comm = new ApplicationCommunicator(app, scope);
    await comm.stop();
    release();
    await comm.appResult;
    expect(sent).toHaveLength(1);
    expect(await comm.receiveNothing(10)).toBe(true);
    expect(comm.stopped).toBe(true);
  });

  it('captures a synchronous throw from the application', async () => {
    const app = (() => {
      throw new Error('sync');
    }) as unknown as Application;
    const comm = new ApplicationCommunicator(app, scope);
    await expect(comm.wait()).rejects.toThrow('sync');
  });
});
