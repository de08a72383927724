-- Proactive coaching across channels: the accounts people link on messaging
-- platforms, one-time link codes, inbound deduplication, the outbox every
-- outbound message goes through, and how each person wants to be reached.

-- Messages carry the channel they were written on, and a human's own messages
-- (a coach who joined the conversation) their author.
ALTER TABLE messages ADD COLUMN channel TEXT NOT NULL DEFAULT 'web';
ALTER TABLE messages ADD COLUMN author_id TEXT;

-- A coach or admin who joined the conversation holds it: the AI does not answer
-- until they hand it back.
ALTER TABLE conversations ADD COLUMN held_by TEXT;

-- How far each person has read a conversation (read receipts).
CREATE TABLE conversation_reads (
    conversation_id  TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    person_id        TEXT NOT NULL,
    seq              BIGINT NOT NULL,
    read_at          BIGINT NOT NULL,
    PRIMARY KEY (conversation_id, person_id)
);

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

-- Inbound messages, kept by their platform ids (platforms redeliver: a second
-- delivery of an id is dropped) until the worker has answered them.
CREATE TABLE inbound_events (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    channel      TEXT NOT NULL,
    external_id  TEXT NOT NULL,
    -- JSON: the sender's platform id and name, the text, when it was written.
    payload      TEXT NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('pending', 'done')),
    attempts     BIGINT NOT NULL DEFAULT 0,
    lease_until  BIGINT,
    received_at  BIGINT NOT NULL,
    done_at      BIGINT,
    UNIQUE (org_id, channel, external_id)
);
CREATE INDEX inbound_events_pending ON inbound_events (state, received_at);

-- An organisation's settings for a channel (a bot's token and webhook secret, a
-- WhatsApp number's ids and secrets): JSON, shown to admins with secrets masked.
CREATE TABLE channel_configs (
    org_id      TEXT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    channel     TEXT NOT NULL,
    settings    TEXT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (org_id, channel)
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
    -- When it was sent, or given up.
    settled_at           BIGINT
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

-- Rules that nudge learners when something happens (or stops happening), each
-- with a holdout share that is never nudged, so the effect can be measured.
CREATE TABLE nudge_rules (
    id             TEXT PRIMARY KEY,
    org_id         TEXT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    name           TEXT NOT NULL,
    trigger_kind   TEXT NOT NULL,
    days           BIGINT NOT NULL,
    message        TEXT NOT NULL,
    holdout_share  DOUBLE PRECISION NOT NULL,
    active         BOOLEAN NOT NULL,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
CREATE INDEX nudge_rules_org ON nudge_rules (org_id);

-- What a rule decided about a person, once per episode (an inactivity spell, a
-- rating): their arm, whether the nudge was queued (and when it may go) or
-- withheld and why.
CREATE TABLE nudge_decisions (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    rule_id      TEXT NOT NULL REFERENCES nudge_rules(id) ON DELETE CASCADE,
    person_id    TEXT NOT NULL,
    episode      TEXT NOT NULL,
    arm          TEXT NOT NULL CHECK (arm IN ('nudged', 'holdout')),
    outcome      TEXT NOT NULL CHECK (outcome IN ('queued', 'held_out', 'opted_out', 'cap_reached', 'no_channel')),
    decided_at   BIGINT NOT NULL,
    send_at      BIGINT,
    outbound_id  TEXT,
    UNIQUE (rule_id, person_id, episode)
);
CREATE INDEX nudge_decisions_person ON nudge_decisions (org_id, person_id, decided_at);

-- Where a person's replies to e-mail come back: reply+TOKEN@ the reply domain.
CREATE TABLE email_reply_addresses (
    org_id      TEXT NOT NULL,
    person_id   TEXT NOT NULL,
    token       TEXT NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (org_id, person_id),
    FOREIGN KEY (org_id, person_id) REFERENCES memberships (org_id, person_id) ON DELETE CASCADE
);
