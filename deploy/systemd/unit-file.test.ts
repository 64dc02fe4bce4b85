import { describe, expect, test } from "bun:test";
import { execArgv, parseEnvFile, parseUnitFile, unitEnvironment, unitValues } from "./unit-file.ts";

describe("parseUnitFile", () => {
  const unit = parseUnitFile(
    "# comment\n[Unit]\nDescription=x\n\n[Service]\n; other comment\nEnvironment=A=1 B=%d/b\nEnvironment=C=3\n" +
      "ExecStart=/bin/x \\\n  serve\nCapabilityBoundingSet=\n",
  );

  test("keeps every value of a repeated key, joins continued lines and reads empty values", () => {
    expect(unitValues(unit, "Service", "Environment")).toEqual(["A=1 B=%d/b", "C=3"]);
    expect(unitValues(unit, "Service", "ExecStart")).toEqual(["/bin/x    serve"]);
    expect(unitValues(unit, "Service", "CapabilityBoundingSet")).toEqual([""]);
    expect(unitValues(unit, "Install", "WantedBy")).toEqual([]);
  });

  test("expands specifiers in Environment= and Exec lines, and names one it was not given", () => {
    expect(unitEnvironment(unit, { d: "/run/c" })).toEqual({ A: "1", B: "/run/c/b", C: "3" });
    expect(execArgv("/bin/x serve", {})).toEqual(["/bin/x", "serve"]);
    expect(execArgv("/bin/x 100%%", {})).toEqual(["/bin/x", "100%"]);
    expect(() => unitEnvironment(unit, {})).toThrow("specifier %d not supplied");
    expect(() => execArgv("-/bin/x", {})).toThrow("exec prefixes");
  });

  test("refuses a setting outside a section", () => {
    expect(() => parseUnitFile("Type=simple\n")).toThrow("not a setting: Type=simple");
  });
});

describe("parseEnvFile", () => {
  test("reads NAME=value lines, strips matching quotes and skips comments", () => {
    expect(parseEnvFile("# c\nA=1\n; c\nB=\"two words\"\nC='x'\nD=\n")).toEqual({
      A: "1",
      B: "two words",
      C: "x",
      D: "",
    });
  });

  test("refuses a line that is not NAME=value", () => {
    expect(() => parseEnvFile("export A=1\n")).toThrow("not NAME=value: export A=1");
  });
});
