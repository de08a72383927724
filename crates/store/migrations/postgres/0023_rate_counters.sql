-- Requests per caller or address in the current minute, for the rate limits on
-- expensive and abusable endpoints; shared by every instance on one database.
CREATE TABLE rate_counters (
    key           TEXT NOT NULL,
    window_start  BIGINT NOT NULL,
    hits          BIGINT NOT NULL,
    PRIMARY KEY (key, window_start)
);
CREATE INDEX rate_counters_window ON rate_counters (window_start);
