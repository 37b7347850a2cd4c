/**
 * A streamed request body passed through to the splitter chunk by chunk while its bytes are kept
 * (as the Buffers they arrived in, outside the JS heap): the provenance record seals the payload
 * as received, and an empty body is told apart from a malformed one only after the fact.
 */
export class ReceivedBody implements AsyncIterable<Uint8Array> {
  private chunks: Uint8Array[] = [];

  constructor(private readonly source: AsyncIterable<Uint8Array>) {}

  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array> {
    for await (const chunk of this.source) {
      this.chunks.push(chunk);
      yield chunk;
    }
  }

  /** The bytes received so far as one Buffer (joined once; the pieces are let go). */
  bytes(): Buffer {
    const [only] = this.chunks;
    if (this.chunks.length === 1 && Buffer.isBuffer(only)) return only;
    const joined = Buffer.concat(this.chunks);
    this.chunks = [joined];
    return joined;
  }

  /** Nothing but whitespace (and a byte order mark) was received. */
  blank(): boolean {
    return this.bytes().toString('utf8').trim() === '';
  }
}
