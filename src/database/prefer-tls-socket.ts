import { EventEmitter } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';

/** The SSLRequest message: length 8, then the code 1234 5679 (protocol section 53.7). */
const SSL_REQUEST = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);

/**
 * The socket pg gets for sslmode=prefer, doing what libpq does on one connection: send
 * SSLRequest, then go on over TLS when the server answers 'S' and in plain text over the same
 * socket when it answers 'N'. pg itself, given TLS options, treats 'N' as an error, which meant a
 * second connection to every server without TLS (a refused attempt in its log, and the time of a
 * connect). pg is given `ssl: false` and this object, and sees a connected socket either way.
 * A failed TLS handshake is an error, and the caller's next attempt (plain, as libpq's) follows.
 *
 * It is not a stream of its own but a thin face over the negotiated socket: every call and event
 * goes straight through, cork/uncork included (pg corks a prepared statement's messages into one
 * write). A Duplex in between cost 7-17% of the directory lookup's throughput.
 */
export class PreferTlsSocket extends EventEmitter {
  private readonly raw = new net.Socket();
  private inner: net.Socket | undefined;
  private failed = false;
  /** Defined once TLS is up: pg's SCRAM channel binding reads the server's certificate with it. */
  getPeerCertificate?: (detailed?: boolean) => tls.PeerCertificate;

  constructor(
    private readonly tlsOptions: tls.ConnectionOptions,
    private readonly serverName: string,
  ) {
    super();
    this.raw.on('error', (error) => this.fail(error));
    // A server that goes away before negotiation ends must fail the attempt, not leave it hanging.
    this.raw.once('close', () => {
      if (!this.inner) this.fail(new Error('the server closed the connection before TLS negotiation ended'));
    });
  }

  get writable(): boolean {
    return (this.inner ?? this.raw).writable;
  }

  setNoDelay(noDelay?: boolean): this {
    this.raw.setNoDelay(noDelay);
    return this;
  }

  setKeepAlive(enable?: boolean, initialDelay?: number): this {
    this.raw.setKeepAlive(enable, initialDelay);
    return this;
  }

  ref(): this {
    this.raw.ref();
    return this;
  }

  unref(): this {
    this.raw.unref();
    return this;
  }

  cork(): void {
    this.inner?.cork();
  }

  uncork(): void {
    this.inner?.uncork();
  }

  write(data: Uint8Array | string, callback?: (error?: Error | null) => void): boolean {
    if (this.inner) return this.inner.write(data, callback);
    const error = new Error('write before the connection was negotiated');
    if (callback) process.nextTick(callback, error);
    return false;
  }

  end(callback?: () => void): this {
    (this.inner ?? this.raw).end(callback);
    return this;
  }

  destroy(error?: Error): this {
    if (this.inner && this.inner !== this.raw) this.inner.destroy(error);
    this.raw.destroy(error);
    return this;
  }

  connect(port: number, host: string): this {
    this.raw.once('connect', () => this.raw.write(SSL_REQUEST));
    this.raw.once('data', (answer: Buffer) => {
      // One byte, nothing after it: bytes sent before the TLS handshake could have been injected
      // by anyone on the path (CVE-2021-23222), so they are refused as libpq refuses them.
      if (answer.length !== 1) {
        this.fail(new Error('the server sent more than its one-byte answer to SSLRequest'));
      } else if (answer[0] === 0x4e /* N */) {
        this.ready(this.raw);
      } else if (answer[0] === 0x53 /* S */) {
        this.startTls(host);
      } else {
        this.fail(new Error(`the server answered SSLRequest with 0x${answer[0]!.toString(16)}, not S or N`));
      }
    });
    this.raw.connect(port, host);
    return this;
  }

  private startTls(host: string): void {
    const options: tls.ConnectionOptions = { ...this.tlsOptions, socket: this.raw, host };
    // SNI carries names only (RFC 6066), as pg and libpq send it.
    if (net.isIP(this.serverName) === 0 && !this.serverName.startsWith('/')) options.servername = this.serverName;
    const secure = tls.connect(options);
    secure.once('secureConnect', () => {
      this.getPeerCertificate = (detailed?: boolean) => secure.getPeerCertificate(detailed as true);
      this.ready(secure);
    });
    secure.on('error', (error) => this.fail(error));
  }

  /** Negotiation is over: events come straight from the socket, and pg hears it is connected. */
  private ready(socket: net.Socket): void {
    this.inner = socket;
    socket.on('data', (chunk: Buffer) => this.emit('data', chunk));
    socket.on('end', () => this.emit('end'));
    socket.on('close', () => this.emit('close'));
    if (socket !== this.raw) socket.on('error', (error) => this.fail(error));
    this.emit('connect');
  }

  /** Reported once (pg listens for 'error'), then the sockets are closed. */
  private fail(error: Error): void {
    if (this.failed) return;
    this.failed = true;
    this.emit('error', error);
    this.destroy();
    if (!this.inner) this.emit('close');
  }
}
