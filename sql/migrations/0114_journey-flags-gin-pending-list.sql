-- users.journey_flags' GIN index gathers new entries in a pending list and moves them into the index
-- when the list passes gin_pending_list_limit (4 MB by default), inside whichever statement inserts
-- then: every users update (last activity, match flags) is a GIN insert. At a steady 2,000 events/s
-- those flushes took 50 to 66 ms, three times in 20 s, in a batch cycle of about 100 ms: they made
-- bench (d)'s p99. A smaller list flushes more often, in a few ms each (docs/scaling.md, "Latency under
-- a steady rate"). The index itself (the platform's contract) is unchanged.

-- Up Migration

ALTER INDEX idx_users_journey_flags SET (gin_pending_list_limit = 256);

-- Down Migration

ALTER INDEX idx_users_journey_flags RESET (gin_pending_list_limit);
