//! Fixed-window request counters shared by every instance on the database: a hit is one
//! upsert that returns the window's count so far.

use crate::{Store, StoreResult, on_pool};

impl Store {
    /// Counts a hit on `key` in the window starting at `window_start` (milliseconds); the
    /// window's hits including this one.
    pub async fn hit_rate_counter(&self, key: &str, window_start: i64) -> StoreResult<i64> {
        let (hits,): (i64,) = on_pool!(self, pool => sqlx::query_as(
            "INSERT INTO rate_counters (key, window_start, hits) VALUES ($1, $2, 1)
             ON CONFLICT (key, window_start) DO UPDATE SET hits = rate_counters.hits + 1
             RETURNING hits")
            .bind(key).bind(window_start).fetch_one(pool).await?);
        Ok(hits)
    }

    /// Drops the counters of windows that started before `before`.
    pub async fn sweep_rate_counters(&self, before: i64) -> StoreResult<u64> {
        Ok(on_pool!(self, pool => sqlx::query("DELETE FROM rate_counters WHERE window_start < $1")
            .bind(before).execute(pool).await?.rows_affected()))
    }
}
