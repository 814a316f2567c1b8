import net from 'node:net';

/** Sends raw bytes to an origin and returns everything it answers until it closes (for request lines no client sends). */
export function rawHttp(origin: string, text: string): Promise<string> {
  const u = new URL(origin);
  return new Promise((resolve, reject) => {
    const sock = net.connect(Number(u.port), u.hostname, () => sock.write(text));
    let data = '';
    sock.on('data', (d) => {
      data += d.toString('latin1');
    });
    sock.on('end', () => resolve(data));
    sock.on('error', reject);
  });
}
