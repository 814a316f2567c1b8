import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * Answers a request node's parser refused (or a client too slow to send one), then closes the connection. Malformed
 * requests never reach legacy or crash the gateway; the client learns why with a problem document.
 *
 * One rule keeps responses in order on a pipelined connection: a 400 is only written when no earlier answer is still
 * owed. When the parse error concerns a request behind one that is still being answered, that answer finishes first
 * and the connection then closes (a 400 written now would be read as the answer to the earlier request); when the
 * refused request already has an answer (it was refused before routing and its body then failed to parse), nothing more is
 * said. Returns the status written, or null when none was.
 */
export function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): number | null {
  const pending = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage ?? null;
  if (pending) {
    if (pending.writableEnded) return null; // answered and closing (refused requests never keep the connection)
    if (pending.req?.complete && err.code !== 'ERR_HTTP_REQUEST_TIMEOUT') {
      closeAfter(pending, socket);
      return null;
    }
    if (pending.headersSent) {
      // Part of this request's answer is out: a broken connection is the only honest signal left.
      socket.destroy();
      return null;
    }
  }
  if (!socket.writable) {
    socket.destroy();
    return null;
  }
  const code = err.code ?? '';
  const status = code === 'HPE_HEADER_OVERFLOW' ? 431 : code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const title = status === 431 ? 'Request header fields too large' : status === 408 ? 'Request timeout' : 'Bad request';
  const body = JSON.stringify({
    type: 'about:blank',
    title,
    status,
    code: status === 408 ? 'GW_REQUEST_TIMEOUT' : 'GW_BAD_REQUEST',
  });
  socket.end(
    `HTTP/1.1 ${status} ${title}\r\ncontent-type: application/problem+json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
  return status;
}

/** Lets the answers already owed on this connection finish, then closes it (its parser is dead). */
function closeAfter(res: ServerResponse, socket: Duplex): void {
  if (!res.headersSent) res.shouldKeepAlive = false;
  res.once('finish', () => {
    // Node hands the socket to the next queued answer on 'finish'; wait for that one too.
    setImmediate(() => {
      const next = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage ?? null;
      if (next && next !== res && !next.writableEnded) closeAfter(next, socket);
      else socket.end();
    });
  });
}
