// A decoder for the few pgoutput (protocol version 1) messages the WAL relay needs: Begin, Commit, Relation,
// Insert and logical decoding Messages. Everything else (Update, Delete, Truncate, Type, Origin) is returned as
// "other" and ignored by the relay: the publication only publishes inserts anyway.
// Format: https://www.postgresql.org/docs/current/protocol-logicalrep-message-formats.html

/** A column of a Relation message. */
export interface RelationColumn {
  name: string;
  typeOid: number;
}

/** One decoded pgoutput message. Text-format tuple values are strings; SQL NULL is null. */
export type PgOutputMessage =
  | { tag: "begin"; finalLsn: bigint; xid: number }
  | { tag: "commit"; commitLsn: bigint; endLsn: bigint }
  | { tag: "relation"; relid: number; namespace: string; name: string; columns: RelationColumn[] }
  | { tag: "insert"; relid: number; values: (string | null)[] }
  | { tag: "message"; transactional: boolean; lsn: bigint; prefix: string; content: Uint8Array }
  | { tag: "other"; code: string };

const utf8 = new TextDecoder();

/** Reads big-endian fields and NUL-terminated strings from one message. */
class Reader {
  private offset = 0;
  private readonly view: DataView;
  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  u8(): number {
    return this.view.getUint8(this.offset++);
  }
  i16(): number {
    const v = this.view.getInt16(this.offset);
    this.offset += 2;
    return v;
  }
  i32(): number {
    const v = this.view.getInt32(this.offset);
    this.offset += 4;
    return v;
  }
  u32(): number {
    const v = this.view.getUint32(this.offset);
    this.offset += 4;
    return v;
  }
  u64(): bigint {
    const v = this.view.getBigUint64(this.offset);
    this.offset += 8;
    return v;
  }
  cstring(): string {
    const end = this.bytes.indexOf(0, this.offset);
    if (end < 0) throw new Error("pgoutput: unterminated string");
    const s = utf8.decode(this.bytes.subarray(this.offset, end));
    this.offset = end + 1;
    return s;
  }
  take(n: number): Uint8Array {
    if (n < 0 || this.offset + n > this.bytes.length) throw new Error("pgoutput: field runs past the message");
    const out = this.bytes.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }
}

function tupleData(r: Reader): (string | null)[] {
  const n = r.i16();
  const values: (string | null)[] = [];
  for (let i = 0; i < n; i++) {
    const kind = String.fromCharCode(r.u8());
    if (kind === "n") values.push(null);
    else if (kind === "t") values.push(utf8.decode(r.take(r.i32())));
    // 'u' (unchanged TOAST) only appears in updates; 'b' only with the binary option, which the relay never sets.
    else throw new Error(`pgoutput: unsupported tuple value kind '${kind}'`);
  }
  return values;
}

/**
 * Decodes one pgoutput v1 message, as returned in the `data` column of `pg_logical_slot_peek_binary_changes`.
 * @example const msg = decodePgOutput(row.data); if (msg.tag === "insert") use(msg.values);
 */
export function decodePgOutput(bytes: Uint8Array): PgOutputMessage {
  const r = new Reader(bytes);
  const code = String.fromCharCode(r.u8());
  switch (code) {
    case "B": {
      const finalLsn = r.u64();
      r.u64(); // commit timestamp
      return { tag: "begin", finalLsn, xid: r.u32() };
    }
    case "C": {
      r.u8(); // flags, unused
      const commitLsn = r.u64();
      return { tag: "commit", commitLsn, endLsn: r.u64() };
    }
    case "R": {
      const relid = r.u32();
      const namespace = r.cstring();
      const name = r.cstring();
      r.u8(); // replica identity
      const n = r.i16();
      const columns: RelationColumn[] = [];
      for (let i = 0; i < n; i++) {
        r.u8(); // flags (part of the key)
        const colName = r.cstring();
        const typeOid = r.u32();
        r.i32(); // typmod
        columns.push({ name: colName, typeOid });
      }
      return { tag: "relation", relid, namespace, name, columns };
    }
    case "I": {
      const relid = r.u32();
      const marker = String.fromCharCode(r.u8());
      if (marker !== "N") throw new Error(`pgoutput: insert without a new tuple (marker '${marker}')`);
      return { tag: "insert", relid, values: tupleData(r) };
    }
    case "M": {
      const transactional = r.u8() === 1;
      const lsn = r.u64();
      const prefix = r.cstring();
      return { tag: "message", transactional, lsn, prefix, content: r.take(r.i32()) };
    }
    default:
      return { tag: "other", code };
  }
}

/** Parses a `pg_lsn` text (`16/B374D848`) into a comparable number. */
export function parseLsn(text: string): bigint {
  const [hi, lo] = text.split("/");
  if (hi === undefined || lo === undefined) throw new Error(`not an LSN: ${text}`);
  return (BigInt(`0x${hi}`) << 32n) | BigInt(`0x${lo}`);
}

/** Formats an LSN number as `pg_lsn` text. */
export function formatLsn(lsn: bigint): string {
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`;
}
