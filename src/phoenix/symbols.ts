/** Module-private keys of the Phoenix model, in one place. */

/** Where a Channel keeps the link to its socket connection. */
export const CHANNEL_LINK: unique symbol = Symbol('switchyard.phoenix.link');

/** Where a Channel keeps what must run when it ends (presence untracks). */
export const CHANNEL_CLEANUP: unique symbol = Symbol('switchyard.phoenix.cleanup');

/** Where a Channel keeps what its join asked of the topic's history (`recoverHistory`), until the join reads it. */
export const CHANNEL_HISTORY: unique symbol = Symbol('switchyard.phoenix.history');
