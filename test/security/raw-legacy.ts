/**
 * A stand-in legacy for the upgrade tests, written on raw sockets so it can behave as real servers do and the
 * simulator does not: it ignores a websocket Upgrade it does not support and keeps the connection alive (so a second
 * request on it would be read), and it can switch to `h2c` when asked. It records every request head it parses and
 * every byte that arrives after it switched protocols.
 */
import net from 'node:net';

export interface RawLegacy {
  url: string;
  /** Request heads in arrival order (request line and headers, as received). */
  heads: string[];
  /** Bytes received after a 101 (what a blind tunnel would deliver). */
  tunnelled: string[];
  close(): Promise<void>;
}

/**
 * Paths: `/switch` answers a request carrying `Upgrade: h2c` or `Upgrade: websocket` with `101` and `Upgrade: h2c`;
 * everything else gets `200 seen <path>` on a keep-alive connection.
 */
export async function startRawLegacy(): Promise<RawLegacy> {
  const heads: string[] = [];
  const tunnelled: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => {});
    let buf = '';
    let switched = false;
    sock.on('data', (d: Buffer) => {
      if (switched) {
        tunnelled.push(d.toString('latin1'));
        return;
      }
      buf += d.toString('latin1');
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end === -1) return;
        const head = buf.slice(0, end);
        buf = buf.slice(end + 4);
        heads.push(head);
        const path = head.split(' ')[1] ?? '/';
        const upgrade = /^upgrade:\s*(\S+)/im.exec(head)?.[1]?.toLowerCase();
        if (path === '/switch' && (upgrade === 'h2c' || upgrade === 'websocket')) {
          switched = true;
          sock.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n');
          if (buf) tunnelled.push(buf);
          return;
        }
        const body = `seen ${path}`;
        sock.write(`HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: ${body.length}\r\n\r\n${body}`);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    heads,
    tunnelled,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
