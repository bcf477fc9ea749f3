/**
 * Channel and group naming rules, shared by every backend so they refuse the
 * same names the same way (and the same way Django Channels does).
 */
import { InvalidChannelName, InvalidGroupName } from '../errors';

/** Names must be shorter than this. */
export const MAX_NAME_LENGTH = 100;

const CHANNEL_NAME = /^[a-zA-Z\d\-_.]+(![\d\w\-_.]*)?$/;
const GROUP_NAME = /^[a-zA-Z\d\-_.]+$/;

const CHANNEL_RULE = `must match ${CHANNEL_NAME.source} and be under ${MAX_NAME_LENGTH} characters`;
const GROUP_RULE = `must match ${GROUP_NAME.source} and be under ${MAX_NAME_LENGTH} characters`;

/** Throws InvalidChannelName unless `name` is a valid channel name. */
export function assertChannelName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.length >= MAX_NAME_LENGTH || !CHANNEL_NAME.test(name)) {
    throw new InvalidChannelName(name, CHANNEL_RULE);
  }
}

/** Throws InvalidGroupName unless `name` is a valid group name. */
export function assertGroupName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.length >= MAX_NAME_LENGTH || !GROUP_NAME.test(name)) {
    throw new InvalidGroupName(name, GROUP_RULE);
  }
}

/**
 * The part of a channel name that a queue lives under: for a process-local
 * name (`chat.abc!xyz`), everything up to and including `!`; otherwise the
 * whole name.
 */
export function nonLocalName(channel: string): string {
  const bang = channel.indexOf('!');
  return bang === -1 ? channel : channel.slice(0, bang + 1);
}

/** True for a process-local channel name (contains `!`). */
export function isProcessLocal(channel: string): boolean {
  return channel.includes('!');
}
