-- Proactive coaching across channels: the accounts people link on messaging
-- platforms, one-time link codes, inbound deduplication, the outbox every
-- outbound message goes through, and how each person wants to be reached.

-- Messages carry the channel they were written on, and a human's own messages
-- (a coach who joined the conversation) their author.
ALTER TABLE messages ADD COLUMN channel TEXT NOT NULL DEFAULT 'web';
ALTER TABLE messages ADD COLUMN author_id TEXT;

-- A person's account on a messaging platform or e-mail address, linked with a
-- one-time code; STOP sets opted_out_at until START clears it.
CREATE TABLE channel_accounts (
    id               TEXT PRIMARY KEY,
    org_id           TEXT NOT NULL,
    person_id        TEXT NOT NULL,
    channel          TEXT NOT NULL,
    -- The platform's id for the person: a Telegram chat id, a WhatsApp number, an address.
    external_id      TEXT NOT NULL,
    linked_at        BIGINT NOT NULL,
    opted_out_at     BIGINT,
    -- The person's last message on this account (WhatsApp's 24-hour window starts there).
    last_inbound_at  BIGINT,
    UNIQUE (org_id, channel, external_id),
    FOREIGN KEY (org_id, person_id) REFERENCES memberships (org_id, person_id) ON DELETE CASCADE
);
CREATE INDEX channel_accounts_person ON channel_accounts (org_id, person_id);

-- Codes shown in the web app and sent to a bot to link its account (digest only).
CREATE TABLE channel_link_codes (
    code_digest  TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL,
    person_id    TEXT NOT NULL,
    channel      TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    FOREIGN KEY (org_id, person_id) REFERENCES memberships (org_id, person_id) ON DELETE CASCADE
);
CREATE INDEX channel_link_codes_person ON channel_link_codes (org_id, person_id);

-- Inbound updates already taken, by their platform ids: platforms redeliver.
CREATE TABLE inbound_events (
    org_id       TEXT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    channel      TEXT NOT NULL,
    external_id  TEXT NOT NULL,
    received_at  BIGINT NOT NULL,
    PRIMARY KEY (org_id, channel, external_id)
);

-- Every outbound message, sent by the worker with retries. The attempt is recorded
-- before the send; a row found 'sending' after its lease ran out is resent with the
-- same idempotency key where the platform honours one, else marked 'uncertain'.
CREATE TABLE outbox (
    id                   TEXT PRIMARY KEY,
    org_id               TEXT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    person_id            TEXT,
    channel              TEXT NOT NULL,
    destination          TEXT NOT NULL,
    -- JSON: the message's parts (or template), subject, and what it answers.
    payload              TEXT NOT NULL,
    idempotency_key      TEXT NOT NULL UNIQUE,
    state                TEXT NOT NULL CHECK (state IN ('queued', 'sending', 'sent', 'failed', 'uncertain')),
    attempts             BIGINT NOT NULL DEFAULT 0,
    next_attempt_at      BIGINT NOT NULL,
    lease_until          BIGINT,
    provider_message_id  TEXT,
    last_error           TEXT,
    created_at           BIGINT NOT NULL,
    sent_at              BIGINT
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
CREATE INDEX outbox_person ON outbox (org_id, person_id, created_at);

-- How a person wants to be reached: their time zone and quiet hours (local times
-- 'HH:MM'), a weekly cap on nudges and the channel answers and nudges go to.
CREATE TABLE reach_preferences (
    org_id             TEXT NOT NULL,
    person_id          TEXT NOT NULL,
    time_zone          TEXT,
    quiet_start        TEXT,
    quiet_end          TEXT,
    weekly_cap         BIGINT,
    preferred_channel  TEXT,
    updated_at         BIGINT NOT NULL,
    PRIMARY KEY (org_id, person_id),
    FOREIGN KEY (org_id, person_id) REFERENCES memberships (org_id, person_id) ON DELETE CASCADE
);
