import { describe, expect, test } from "bun:test";
import { clientAddressOf, unknownClientAddress } from "./auth.client-address.ts";

describe("the client address", () => {
  test("is the rightmost X-Forwarded-For entry, the one the gateway wrote", () => {
    expect(clientAddressOf("203.0.113.7", 1)).toBe("203.0.113.7");
    expect(clientAddressOf("192.0.2.10, 203.0.113.7", 1)).toBe("203.0.113.7");
    expect(clientAddressOf(" 2001:DB8::1 ", 1)).toBe("2001:db8::1");
  });

  test("is read that many entries from the right when more proxies are trusted, never past the left end", () => {
    expect(clientAddressOf("192.0.2.10, 203.0.113.7, 10.0.0.2", 2)).toBe("203.0.113.7");
    expect(clientAddressOf("203.0.113.7", 3)).toBe("203.0.113.7");
  });

  test("is the unknown address without the header or with an empty entry", () => {
    expect(clientAddressOf(undefined, 1)).toBe(unknownClientAddress);
    expect(clientAddressOf("", 1)).toBe(unknownClientAddress);
    expect(clientAddressOf("203.0.113.7, ", 1)).toBe(unknownClientAddress);
  });
});
