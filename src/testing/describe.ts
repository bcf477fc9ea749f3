/**
 * One-line descriptions of events and errors for communicator failure messages.
 */
import type { Event } from '../application';

/** Describes an output event for failure messages, e.g. `websocket.close (code 1011)`. */
export function describeEvent(event: Event): string {
  const details: string[] = [];
  if (typeof event.code === 'number') details.push(`code ${event.code}`);
  if (typeof event.status === 'number') details.push(`status ${event.status}`);
  if (typeof event.reason === 'string' && event.reason) details.push(`reason ${JSON.stringify(event.reason)}`);
  if (typeof event.text === 'string') details.push(`text ${JSON.stringify(truncate(event.text))}`);
  if (event.bytes instanceof Uint8Array) details.push(`${event.bytes.byteLength} bytes`);
  return details.length ? `${event.type} (${details.join(', ')})` : String(event.type);
}

function truncate(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Describes an error as `Name: message`. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
