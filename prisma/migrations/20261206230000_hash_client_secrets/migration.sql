-- Client secrets are kept only as SHA-256 hashes from now on (src/crypto/client-secret.ts): hash the
-- ones stored in clear before.
UPDATE "oidc_client"
   SET "metadata" = jsonb_set("metadata", '{client_secret}', to_jsonb('sha256:' || encode(sha256(convert_to("metadata"->>'client_secret', 'UTF8')), 'hex')))
 WHERE jsonb_typeof("metadata"->'client_secret') = 'string'
   AND "metadata"->>'client_secret' NOT LIKE 'sha256:%';
