/** Module-private keys of the Phoenix model, in one place. */

/** Where a Channel keeps the link to its socket connection. */
export const CHANNEL_LINK: unique symbol = Symbol('switchyard.phoenix.link');

/** Where a Channel keeps what must run when it ends (presence untracks). */
export const CHANNEL_CLEANUP: unique symbol = Symbol('switchyard.phoenix.cleanup');
