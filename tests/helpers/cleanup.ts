/**
 * Teardown registry for real-socket tests: every server, client and raw
 * socket the helpers open registers here, and `closeAll()` (call it in
 * afterEach) closes them in reverse order, clients before servers.
 */

type Closer = () => Promise<void> | void;

const closers: Closer[] = [];

/** Registers something to close in `closeAll()`; returns a function that unregisters it. */
export function registerCloser(closer: Closer): () => void {
  closers.push(closer);
  return () => {
    const index = closers.indexOf(closer);
    if (index !== -1) closers.splice(index, 1);
  };
}

/** Closes everything registered since the last call, newest first; never throws. */
export async function closeAll(): Promise<void> {
  while (closers.length > 0) {
    const closer = closers.pop() as Closer;
    try {
      await closer();
    } catch {
      // Teardown of one resource must not hide the others.
    }
  }
}
