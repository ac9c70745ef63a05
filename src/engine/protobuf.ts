// A minimal protocol-buffers writer and reader: just the wire types ONNX's ModelProto needs.

export class ProtoWriter {
  private buf = new Uint8Array(256);
  private len = 0;

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  private byte(b: number): void {
    this.ensure(1);
    this.buf[this.len++] = b;
  }

  /** Unsigned varint; negative numbers are written as 64-bit two's complement (10 bytes). */
  varint(v: number | bigint): void {
    let x = BigInt.asUintN(64, BigInt(v));
    while (x >= 0x80n) {
      this.byte(Number(x & 0x7fn) | 0x80);
      x >>= 7n;
    }
    this.byte(Number(x));
  }

  private tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  int(field: number, v: number | bigint): this {
    this.tag(field, 0);
    this.varint(v);
    return this;
  }

  float(field: number, v: number): this {
    this.tag(field, 5);
    this.ensure(4);
    new DataView(this.buf.buffer, this.len, 4).setFloat32(0, v, true);
    this.len += 4;
    return this;
  }

  bytes(field: number, b: Uint8Array): this {
    this.tag(field, 2);
    this.varint(b.length);
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }

  string(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s));
  }

  message(field: number, m: ProtoWriter): this {
    return this.bytes(field, m.finish());
  }

  /** Packed repeated int64. */
  packedInts(field: number, vs: readonly number[]): this {
    const m = new ProtoWriter();
    for (const v of vs) m.varint(v);
    return this.bytes(field, m.finish());
  }

  finish(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }
}

/** Bytes that are not a well-formed protocol-buffers message; the message gives the byte offset. */
export class ProtoError extends Error {
  override name = 'ProtoError';
}

/** The unsigned varint at `at` (values ≥ 2^53 rounded) and the offset after it. */
export function readVarint(bytes: Uint8Array, at: number): [number, number] {
  let v = 0;
  for (let shift = 0; ; shift += 7) {
    if (at >= bytes.length) throw new ProtoError(`truncated varint at byte ${at}`);
    if (shift > 63) throw new ProtoError(`varint longer than 10 bytes at byte ${at}`);
    const b = bytes[at++];
    v += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) return [v, at];
  }
}

/** A packed repeated varint field's values. */
export function readPackedVarints(bytes: Uint8Array): number[] {
  const out: number[] = [];
  for (let at = 0; at < bytes.length; ) {
    const [v, next] = readVarint(bytes, at);
    out.push(v);
    at = next;
  }
  return out;
}

/** One field of a message: varints and fixed-width values as numbers (≥ 2^53 rounded), length-delimited as a view. */
export type ProtoField = { field: number; wire: 0 | 1 | 5; value: number } | { field: number; wire: 2; bytes: Uint8Array };

/** The fields of one message, in order; every length is checked against the bytes before it is used. */
export function readFields(bytes: Uint8Array): ProtoField[] {
  const out: ProtoField[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  const varint = (): number => {
    const [v, next] = readVarint(bytes, at);
    at = next;
    return v;
  };
  while (at < bytes.length) {
    const start = at;
    const key = varint();
    const field = Math.floor(key / 8);
    const wire = key % 8;
    if (field < 1) throw new ProtoError(`field number 0 at byte ${start}`);
    if (wire === 0) out.push({ field, wire, value: varint() });
    else if (wire === 1 || wire === 5) {
      const n = wire === 1 ? 8 : 4;
      if (at + n > bytes.length) throw new ProtoError(`truncated fixed-width field ${field} at byte ${start}`);
      out.push({ field, wire, value: wire === 5 ? view.getUint32(at, true) : Number(view.getBigUint64(at, true)) });
      at += n;
    } else if (wire === 2) {
      const n = varint();
      if (n > bytes.length - at) throw new ProtoError(`field ${field} at byte ${start} declares ${n} bytes, only ${bytes.length - at} remain`);
      out.push({ field, wire, bytes: bytes.subarray(at, at + n) });
      at += n;
    } else throw new ProtoError(`unsupported wire type ${wire} (field ${field}) at byte ${start}`);
  }
  return out;
}
