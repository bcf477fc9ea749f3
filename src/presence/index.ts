/** Presence: who is in a group, across processes, on any channel layer. */
export { PresenceTracker } from './presence-tracker';
export type { PresenceEvents, PresenceTrackerOptions } from './presence-tracker';
export type { PresenceChange, PresenceConnection, PresenceMember, PresenceMeta } from './presence-state';
