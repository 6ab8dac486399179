import type { Duplex } from 'node:stream';

/** Longest a connection that was answered and is closing keeps reading (and dropping) what its client still sends. */
export const LINGER_MS = 2_000;

const closing = new WeakSet<Duplex>();

/** True once {@link closeAfterAnswer} took `socket`: what still arrives on it is to be dropped, not answered again. */
export function isClosing(socket: Duplex): boolean {
  return closing.has(socket);
}

/**
 * Sends `answer` and closes the connection the way nginx does ("lingering close"): half-close
 * after the answer, keep reading and dropping input until the client closes its side or
 * `lingerMs` passes, then destroy. Destroying at once while the client is still sending (the rest
 * of a 70 KB header, a body) makes the kernel answer those bytes with a reset, and a client
 * that has not read the answer yet loses it (it sees EPIPE or ECONNRESET instead of a 431).
 */
export function closeAfterAnswer(socket: Duplex, answer: string | undefined, lingerMs = LINGER_MS): void {
  if (closing.has(socket)) return;
  closing.add(socket);
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const timer = setTimeout(() => socket.destroy(), lingerMs);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
  // The client closed its side: everything it sent has been read, so no reset can follow.
  socket.once('end', () => socket.destroy());
  socket.on('error', () => socket.destroy());
  // A socket the HTTP parser still reads feeds it (its errors come back here and are dropped);
  // one handed over after CONNECT or an upgrade has no reader, so flowing mode drops the input.
  socket.resume();
  socket.end(answer);
}
