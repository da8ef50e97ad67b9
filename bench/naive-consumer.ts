// The baseline: a consumer as a team writes it on day one. kafkajs eachMessage, one transaction per
// event, one INSERT per row, references looked up one query at a time; events whose references are
// missing are stored raw and not projected (no parking).
import type { Kafka } from 'kafkajs';
import pg from 'pg';
import { parseEnvelope, primaryUserOf } from '../src/contracts/index.ts';
import { project, isUserEvent, referencesOf } from '../src/pipeline/project/index.ts';
import type { MatchRef } from '../src/pipeline/project/types.ts';

export async function runNaiveConsumer(
  kafka: Kafka,
  options: { databaseUrl: string; groupId: string; pattern: RegExp; expectedEvents: number },
): Promise<{ seconds: number; events: number }> {
  const client = new pg.Client({ connectionString: options.databaseUrl });
  await client.connect();
  const consumer = kafka.consumer({ groupId: options.groupId });
  await consumer.connect();
  await consumer.subscribe({ topics: [options.pattern], fromBeginning: true });
  let stored = 0;
  const started = performance.now();
  const done = new Promise<void>((resolve) => {
    void consumer.run({
      eachMessage: async ({ message }) => {
        let json: unknown;
        try {
          json = JSON.parse(message.value?.toString() ?? '');
        } catch {
          return;
        }
        const parsed = parseEnvelope(json);
        if (!parsed.ok) return;
        const event = parsed.event;
        await client.query('BEGIN');
        const primary = primaryUserOf(event);
        const inserted = await client.query(
          `INSERT INTO buddy_system_events (event_id, event_type, user_id, "timestamp", payload, processed_at)
           VALUES ($1, $2, $3, $4, $5, now()) ON CONFLICT (event_id) DO NOTHING`,
          [
            event.id,
            event.type,
            primary && 'buddyUserId' in primary ? primary.buddyUserId : null,
            event.timestamp,
            json,
          ],
        );
        if (inserted.rowCount === 1) {
          stored++;
          if (isUserEvent(event)) {
            const d = event.data;
            const user = await client.query(
              `INSERT INTO users (email, role, first_name, last_name) VALUES ($1, $2, $3, $4)
               ON CONFLICT (email) DO UPDATE SET first_name = EXCLUDED.first_name RETURNING id`,
              [
                d.email.toLowerCase(),
                d.role === 'buddy' ? 'volunteer' : 'beneficiary',
                d.firstName ?? null,
                d.lastName ?? null,
              ],
            );
            await client.query(
              `INSERT INTO user_external_ids (profile_id, provider, external_id) VALUES ($1, 'buddy', $2)
               ON CONFLICT DO NOTHING`,
              [user.rows[0].id, d.userId],
            );
          } else {
            const refs = referencesOf(event);
            const users = new Map<string, string>();
            for (const id of refs.users) {
              const r = await client.query(
                `SELECT profile_id FROM user_external_ids WHERE provider = 'buddy' AND external_id = $1`,
                [id],
              );
              if (r.rows[0]) users.set(id, r.rows[0].profile_id);
            }
            const matches = new Map<string, MatchRef>();
            for (const id of refs.matches) {
              const r = await client.query(
                `SELECT participant_id, buddy_id, company_id FROM buddy_matches WHERE id = $1`,
                [id],
              );
              if (r.rows[0]) {
                matches.set(id, {
                  participantId: r.rows[0].participant_id,
                  buddyId: r.rows[0].buddy_id,
                  participantBuddyId: '',
                  companyId: r.rows[0].company_id,
                });
              }
            }
            const projection = project(event, {
              user: (id) => users.get(id),
              match: (id) => matches.get(id),
              info: () => undefined,
            });
            if (projection.kind === 'applied') {
              for (const [table, rows] of Object.entries(projection.rows)) {
                for (const row of rows as Record<string, unknown>[]) await insertRow(client, table, row);
              }
            }
          }
        }
        await client.query('COMMIT');
        if (stored >= options.expectedEvents) resolve();
      },
    });
  });
  await done;
  const seconds = (performance.now() - started) / 1000;
  await consumer.disconnect();
  await client.end();
  return { seconds, events: stored };
}

async function insertRow(client: pg.Client, table: string, row: Record<string, unknown>) {
  if (table === 'match_ends') {
    await client.query(
      `UPDATE buddy_matches SET status = 'ended', ended_at = $2, end_reason = $3 WHERE id = $1`,
      [row.id, row.ended_at, row.end_reason],
    );
    return;
  }
  const columns = Object.keys(row);
  const values = columns.map((c) => {
    const v = row[c];
    return v !== null && typeof v === 'object' ? JSON.stringify(v) : v;
  });
  // Table and column names come from the projection types, never from input.
  await client.query(
    `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')}) ON CONFLICT DO NOTHING`,
    values,
  );
}
