import type { IncomingMessage } from 'node:http';
import { FhirError } from '../fhir/outcome.ts';
import { tooLarge } from './body.ts';

/**
 * A request body handed to an operation as it arrives (operations that declare streamsBody). The
 * MAX_BODY_BYTES limit holds as for whole bodies: a declared Content-Length over it is refused
 * before anything is read, a body that grows past it fails the read with 413.
 *
 * An operation may answer before the body ended (an early payload was already bad). The rest is
 * then discarded, not buffered, so the client can finish sending and read its answer, and the
 * keep-alive connection stays usable; a client that sends more than another MAX_BODY_BYTES after
 * being answered is not listening, and its connection is closed.
 */
export class StreamedBody implements AsyncIterable<Buffer> {
  private started = false;

  constructor(
    private readonly req: IncomingMessage,
    private readonly limit: number,
  ) {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit);
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer> {
    if (this.started) throw new Error('A request body stream is read once');
    this.started = true;
    let received = 0;
    // destroyOnReturn: false — a stream destroyed before its end takes the socket with it, and with it the answer.
    const chunks = this.req.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>;
    try {
      for await (const chunk of chunks) {
        received += chunk.length;
        if (received > this.limit) throw tooLarge(this.limit);
        yield chunk;
      }
    } catch (error) {
      if (error instanceof FhirError) throw error;
      // The client went away mid-upload (no one is left to read the answer; nothing is logged as a server fault).
      throw new FhirError(400, { severity: 'error', code: 'incomplete', diagnostics: 'The request body ended before it was complete' });
    }
  }

  /** After the answer: reads and drops whatever the operation left unread. */
  discard(): void {
    const req = this.req;
    if (req.readableEnded || req.destroyed) return;
    let dropped = 0;
    req.on('data', (chunk: Buffer) => {
      dropped += chunk.length;
      if (dropped > this.limit) req.socket.destroy();
    });
    req.resume();
  }
}
