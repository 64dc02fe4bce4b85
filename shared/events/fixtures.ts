// Test helpers for the events kit: the outbox and inbox DDL (what drizzle-kit generates from
// outboxTable/inboxTable), unique names, and a wait-until.
import type postgres from "postgres";
import { z } from "zod";
import { defineEvent } from "./contracts.ts";

/** Creates `<schema>.outbox` and `<schema>.inbox` as the service migrations would. */
export async function createEventTables(sql: postgres.Sql, schema: string): Promise<void> {
  const s = `"${schema}"`;
  await sql
    .unsafe(`
    create schema if not exists ${s};
    create table ${s}.outbox (id uuid primary key, subject text not null, version integer not null,
      payload jsonb not null, headers jsonb default '{}'::jsonb not null,
      created_at timestamptz default now() not null, sent_at timestamptz);
    create index outbox_unsent_idx on ${s}.outbox (created_at, id) where sent_at is null;
    create table ${s}.inbox (event_id uuid primary key, subject text not null, received_at timestamptz default now() not null);
  `)
    .simple();
}

/** A short unique lowercase token for stream, subject and durable names of one test. */
export function uniqueToken(): string {
  return `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
}

/** A test-only JetStream event on a subject of its own. */
export function testEvent(token = uniqueToken()) {
  return defineEvent({
    subject: `${token}.thing.happened`,
    version: 1,
    delivery: "jetstream",
    summary: "test event",
    payload: z.object({ n: z.number().int(), poison: z.boolean().optional() }),
  });
}

/** Polls `check` until it returns true, or throws after `timeoutMs` with `what`. */
export async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(20);
  }
}
