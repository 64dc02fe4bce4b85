import { describe, expect, test } from "bun:test";
import { decodePgOutput, formatLsn, parseLsn } from "./pgoutput.ts";
import { timestampToIso } from "./slot.ts";

type Part = ["u8" | "i16" | "i32", number] | ["u64", bigint] | ["str" | "raw", string];

/** Builds a message from parts: numbers with their byte width, strings NUL-terminated unless raw. */
function message(...parts: Part[]): Uint8Array {
  const out: number[] = [];
  for (const part of parts) {
    const view = new DataView(new ArrayBuffer(8));
    let width = 0;
    switch (part[0]) {
      case "u8":
        view.setUint8(0, part[1]);
        width = 1;
        break;
      case "i16":
        view.setInt16(0, part[1]);
        width = 2;
        break;
      case "i32":
        view.setInt32(0, part[1]);
        width = 4;
        break;
      case "u64":
        view.setBigUint64(0, part[1]);
        width = 8;
        break;
      default:
        out.push(...new TextEncoder().encode(part[1]));
        if (part[0] === "str") out.push(0);
    }
    out.push(...new Uint8Array(view.buffer, 0, width));
  }
  return new Uint8Array(out);
}
const code = (c: string): Part => ["u8", c.charCodeAt(0)];

describe("decodePgOutput", () => {
  test("reads a Relation's columns and an Insert's text and null values", () => {
    const relation = decodePgOutput(
      message(
        code("R"),
        ["i32", 16401],
        ["str", "orders"],
        ["str", "outbox"],
        ["u8", 100],
        ["i16", 2],
        ["u8", 1],
        ["str", "id"],
        ["i32", 2950],
        ["i32", -1],
        ["u8", 0],
        ["str", "sent_at"],
        ["i32", 1184],
        ["i32", -1],
      ),
    );
    expect(relation).toEqual({
      tag: "relation",
      relid: 16401,
      namespace: "orders",
      name: "outbox",
      columns: [
        { name: "id", typeOid: 2950 },
        { name: "sent_at", typeOid: 1184 },
      ],
    });
    const insert = decodePgOutput(
      message(code("I"), ["i32", 16401], code("N"), ["i16", 2], code("t"), ["i32", 4], ["raw", "héy"], code("n")),
    );
    expect(insert).toEqual({ tag: "insert", relid: 16401, values: ["héy", null] });
  });

  test("reads a Commit's end position and a non-transactional Message's position", () => {
    expect(decodePgOutput(message(code("C"), ["u8", 0], ["u64", 10n], ["u64", 0x1_0000_0020n], ["u64", 0n]))).toEqual({
      tag: "commit",
      commitLsn: 10n,
      endLsn: 0x1_0000_0020n,
    });
    const m = decodePgOutput(message(code("M"), ["u8", 0], ["u64", 99n], ["str", "hb"], ["i32", 0]));
    expect(m).toMatchObject({ tag: "message", transactional: false, lsn: 99n, prefix: "hb" });
  });

  test("returns other messages as other, and refuses a value that runs past the message", () => {
    expect(decodePgOutput(message(code("U")))).toEqual({ tag: "other", code: "U" });
    expect(() => decodePgOutput(message(code("I"), ["i32", 1], code("N"), ["i16", 1], code("t"), ["i32", 50]))).toThrow(
      "runs past",
    );
  });
});

describe("LSNs and timestamps", () => {
  test("an LSN's text and number convert both ways and order like positions", () => {
    expect(parseLsn("16/B374D848")).toBe((0x16n << 32n) | 0xb374d848n);
    expect(formatLsn(parseLsn("16/B374D848"))).toBe("16/B374D848");
    expect(parseLsn("1/0") > parseLsn("0/FFFFFFFF")).toBe(true);
  });

  test("a timestamptz printed by PostgreSQL becomes ISO 8601 in UTC", () => {
    expect(timestampToIso("2025-03-04 05:06:07.123456+00")).toBe("2025-03-04T05:06:07.123Z");
    expect(timestampToIso("2025-03-04 07:06:07+02")).toBe("2025-03-04T05:06:07.000Z");
    expect(timestampToIso("2025-03-04 00:36:07-04:30")).toBe("2025-03-04T05:06:07.000Z");
  });
});
