//! Real-time events between instances: on PostgreSQL, `NOTIFY` on one channel
//! and a `LISTEN`ing connection per instance (payloads stay small: ids and
//! short texts; receivers read the rows). SQLite has one process, which
//! passes its events in memory and needs none of this.

use crate::{Store, StoreError, StoreResult};

/// The channel every instance listens on.
pub const LIVE_CHANNEL: &str = "wayfinder_live";

/// The largest payload `NOTIFY` takes (PostgreSQL's limit is 8,000 bytes).
pub const MAX_LIVE_PAYLOAD: usize = 7_900;

/// An instance's listening connection.
pub struct LiveListener(sqlx::postgres::PgListener);

impl LiveListener {
    /// The next payload; after a lost connection it reconnects (what was sent meanwhile is lost,
    /// which readers make up for from the rows).
    pub async fn recv(&mut self) -> StoreResult<String> {
        let notification = self.0.recv().await?;
        Ok(notification.payload().to_string())
    }
}

impl Store {
    /// Sends `payload` to every listening instance (PostgreSQL only).
    pub async fn notify_live(&self, payload: &str) -> StoreResult<()> {
        if payload.len() > MAX_LIVE_PAYLOAD {
            return Err(StoreError::Corrupt(format!("a live event of {} bytes is too large", payload.len())));
        }
        match self.postgres_pool() {
            Some(pool) => {
                sqlx::query("SELECT pg_notify($1, $2)").bind(LIVE_CHANNEL).bind(payload).execute(pool).await?;
                Ok(())
            }
            None => Err(StoreError::Corrupt("live events cross instances only on PostgreSQL".into())),
        }
    }

    /// A connection listening for live events, on PostgreSQL; `None` on SQLite.
    pub async fn live_listener(&self) -> StoreResult<Option<LiveListener>> {
        let Some(pool) = self.postgres_pool() else { return Ok(None) };
        let mut listener = sqlx::postgres::PgListener::connect_with(pool).await?;
        listener.listen(LIVE_CHANNEL).await?;
        Ok(Some(LiveListener(listener)))
    }
}
