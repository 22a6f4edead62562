-- Appends audit entries in one round trip: takes the append lock, reads the end of the chain and
-- inserts each entry with hash = SHA-256(previous hash || '\n' || canonical entry), exactly as
-- src/audit/audit-log.ts chainHash computes it (and audit:verify recomputes it). Each statement of a
-- VOLATILE PL/pgSQL function takes a fresh snapshot in READ COMMITTED, so the chain's end is read
-- after the lock is held. `entries` is a JSON array of objects with the row's fields and
-- `canonical`, the canonical JSON of the entry made by the application.
CREATE OR REPLACE FUNCTION audit_append(entries jsonb) RETURNS void AS $$
DECLARE
  previous text;
  entry jsonb;
  next_hash text;
BEGIN
  PERFORM pg_advisory_xact_lock(17090);
  SELECT hash INTO previous FROM "audit_event" ORDER BY seq DESC LIMIT 1;
  previous := coalesce(previous, repeat('0', 64));
  FOR entry IN SELECT value FROM jsonb_array_elements(entries) WITH ORDINALITY AS e(value, n) ORDER BY n LOOP
    next_hash := encode(sha256(convert_to(previous || E'\n' || (entry->>'canonical'), 'UTF8')), 'hex');
    INSERT INTO "audit_event" ("at", "event", "result", "practitioner_id", "client_id", "method", "error_code", "ip", "details", "prev_hash", "hash")
    VALUES (
      ((entry->>'at')::timestamptz AT TIME ZONE 'UTC'),
      entry->>'event',
      entry->>'result',
      (entry->>'practitionerId')::uuid,
      entry->>'clientId',
      entry->>'method',
      entry->>'errorCode',
      entry->>'ip',
      coalesce(entry->'details', '{}'::jsonb),
      previous,
      next_hash
    );
    previous := next_hash;
  END LOOP;
END;
$$ LANGUAGE plpgsql VOLATILE;
