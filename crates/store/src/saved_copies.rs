//! Saved copies of the in-process indexes, in `saved_copies`: an
//! organisation's BM25 copy on both backends and, on SQLite, its 8-bit
//! vector copy of each model. Loading a copy from every chunk's row takes
//! hundreds of milliseconds at 100k chunks, paid by the first search of each
//! new process; a saved copy reads back as a few large arrays.
//!
//! A saved copy is stamped with the epoch it reflects and is read only while
//! the database is at that epoch. Every epoch bump also deletes that kind's
//! saved copies in its transaction (a trigger on the epoch tables, migration
//! 0033), and a save checks the epoch under a lock the bump needs, so no
//! saved copy outlives the chunks it was made from.
//!
//! Copies are saved in the background: after this process rebuilt one from
//! the rows, and after it changed one in place, once the organisation's
//! writes have paused for [`QUIET`], so an ingestion of many documents saves
//! once at its end, not once per document. A copy is saved at most once per
//! [`AT_MOST_EVERY`] (a saved copy of 100k chunks is about 45 MB: a document
//! added now and then must not rewrite it each time), and at the latest
//! [`AT_LATEST`] after its first unsaved change while writes go on.

use crate::{Store, StoreError, StoreResult, in_tx};
use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};
use wayfinder_accounts_rules::OrgId;
use wayfinder_search::CorruptSavedCopy;

/// Which copy of an organisation's.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum SavedCopy {
    /// The BM25 copy of the postings.
    Lexical,
    /// The 8-bit copy of one model's vectors (SQLite).
    Vectors(String),
}

impl SavedCopy {
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            SavedCopy::Lexical => "lexical",
            SavedCopy::Vectors(_) => "vectors",
        }
    }

    pub(crate) fn model(&self) -> &str {
        match self {
            SavedCopy::Lexical => "",
            SavedCopy::Vectors(model) => model,
        }
    }
}

/// How long an organisation's writes must pause before its changed copies are saved.
pub(crate) const QUIET: Duration = Duration::from_secs(2);
/// The least time between two saves of one copy by this process.
pub(crate) const AT_MOST_EVERY: Duration = Duration::from_secs(60);
/// How long a changed copy waits at most while writes go on.
pub(crate) const AT_LATEST: Duration = Duration::from_secs(600);

/// Parts a saved copy is split into, each at most this many bytes.
const PART_BYTES: usize = 8 << 20;

/// The copies this process changed and has not saved yet.
#[derive(Debug, Default)]
pub(crate) struct UnsavedCopies {
    /// Per copy: when it first changed unsaved, and when it last changed.
    waiting: Mutex<HashMap<(OrgId, SavedCopy), (Instant, Instant)>>,
    /// Per copy: when this process last saved it.
    saved_at: Mutex<HashMap<(OrgId, SavedCopy), Instant>>,
}

/// The statement reading a saved copy's parts at an epoch, in order.
pub(crate) const SAVED_PARTS_SQL: &str = "SELECT data FROM saved_copies
     WHERE org_id = $1 AND kind = $2 AND model = $3 AND epoch = $4 ORDER BY part";

/// Reads the saved copy of `copy` at `epoch` within the loader's snapshot
/// transaction `$tx` and evaluates to it restored by `$restore`, or `None`
/// when there is none (or it does not read back: then it is reported and the
/// copy is rebuilt from the rows).
macro_rules! read_saved {
    ($tx:expr, $org:expr, $copy:expr, $epoch:expr, $restore:expr) => {{
        let (org, copy): (wayfinder_accounts_rules::OrgId, &$crate::saved_copies::SavedCopy) = ($org, $copy);
        let started = std::time::Instant::now();
        let parts: Vec<(Vec<u8>,)> = sqlx::query_as($crate::saved_copies::SAVED_PARTS_SQL)
            .bind(org.to_string())
            .bind(copy.kind())
            .bind(copy.model())
            .bind($epoch)
            .fetch_all($tx)
            .await?;
        $crate::saved_copies::restored(parts, org, copy, started, $restore)
    }};
}
pub(crate) use read_saved;

/// A saved copy restored from its parts; `None` when there are none or they
/// do not read back (reported).
pub(crate) fn restored<T>(
    parts: Vec<(Vec<u8>,)>,
    org: OrgId,
    copy: &SavedCopy,
    started: std::time::Instant,
    restore: impl FnOnce(&[u8]) -> Result<T, CorruptSavedCopy>,
) -> Option<T> {
    let read = started.elapsed();
    let bytes = match parts.len() {
        0 => return None,
        1 => parts.into_iter().next().map(|(data,)| data).unwrap_or_default(),
        _ => {
            let mut joined = Vec::with_capacity(parts.iter().map(|(data,)| data.len()).sum());
            for (data,) in &parts {
                joined.extend_from_slice(data);
            }
            joined
        }
    };
    let joined = started.elapsed();
    match restore(&bytes) {
        Ok(index) => {
            tracing::debug!(org = %org, kind = copy.kind(), bytes = bytes.len(), ?read, ?joined, restored = ?started.elapsed(), "index copy read from its saved form");
            Some(index)
        }
        Err(CorruptSavedCopy) => {
            tracing::warn!(org = %org, kind = copy.kind(), "a saved index copy does not read back; rebuilding it from the rows");
            None
        }
    }
}

impl Store {
    /// Notes that this process changed (or rebuilt) its copy: it is saved in
    /// the background once the organisation's writes pause.
    pub(crate) fn copy_changed(&self, org: OrgId, copy: SavedCopy) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        let now = Instant::now();
        let first = {
            let Ok(mut waiting) = self.unsaved.waiting.lock() else { return };
            match waiting.get_mut(&(org, copy.clone())) {
                Some((_, last)) => {
                    *last = now;
                    false
                }
                None => {
                    waiting.insert((org, copy.clone()), (now, now));
                    true
                }
            }
        };
        if first {
            let store = self.clone();
            runtime.spawn(async move { store.save_when_quiet(org, copy).await });
        }
    }

    async fn save_when_quiet(&self, org: OrgId, copy: SavedCopy) {
        let key = (org, copy);
        loop {
            let due = {
                let Ok(waiting) = self.unsaved.waiting.lock() else { return };
                // Gone: saved meanwhile by `save_changed_copies`.
                let Some((first, last)) = waiting.get(&key) else { return };
                let previous = self.unsaved.saved_at.lock().ok().and_then(|saved| saved.get(&key).copied());
                let quiet = *last + QUIET;
                quiet.max(previous.map_or(quiet, |at| at + AT_MOST_EVERY)).min(*first + AT_LATEST)
            };
            if Instant::now() >= due {
                break;
            }
            tokio::time::sleep_until(due.into()).await;
        }
        if let Ok(mut waiting) = self.unsaved.waiting.lock() {
            waiting.remove(&key);
        }
        if self.is_closed() {
            return;
        }
        if let Err(e) = self.save_copy(key.0, &key.1).await {
            tracing::warn!(org = %key.0, kind = key.1.kind(), error = %e, "saving an index copy failed; the next process rebuilds it from the rows");
        }
    }

    /// Saves now every copy this process changed and has not saved yet (at
    /// shutdown, and where a caller must know they are saved); returns how
    /// many were saved.
    pub async fn save_changed_copies(&self) -> StoreResult<usize> {
        let keys: Vec<(OrgId, SavedCopy)> = match self.unsaved.waiting.lock() {
            Ok(mut waiting) => waiting.drain().map(|(key, _)| key).collect(),
            Err(_) => Vec::new(),
        };
        let mut saved = 0;
        for (org, copy) in keys {
            saved += usize::from(self.save_copy(org, &copy).await?);
        }
        Ok(saved)
    }

    /// Deletes an organisation's saved copies: the next new process rebuilds
    /// its copies from the rows (and saves them again).
    pub async fn forget_saved_copies(&self, org: OrgId) -> StoreResult<()> {
        let org = org.to_string();
        crate::on_pool!(self, pool => sqlx::query("DELETE FROM saved_copies WHERE org_id = $1").bind(&org).execute(pool).await?.rows_affected());
        Ok(())
    }

    /// Saves this process's copy if it is at the database's epoch; false when
    /// there is none to save (no copy, an empty one, or one another write overtook).
    async fn save_copy(&self, org: OrgId, copy: &SavedCopy) -> StoreResult<bool> {
        let encoded = match copy {
            SavedCopy::Lexical => self.lexical.read_stamped(&org, |epoch, index| (epoch, index.saved())),
            SavedCopy::Vectors(model) => {
                self.vectors.read_stamped(&(org, model.clone()), |epoch, index| (epoch, index.saved()))
            }
        };
        let Some((epoch, bytes)) = encoded else { return Ok(false) };
        if epoch == 0 {
            return Ok(false);
        }
        let (org_s, kind, model) = (org.to_string(), copy.kind(), copy.model());
        let saved = in_tx!(self, tx => {
            let current = tx.lock_epoch(copy, &org_s).await?;
            if current == Some(epoch) {
                sqlx::query("DELETE FROM saved_copies WHERE org_id = $1 AND kind = $2 AND model = $3")
                    .bind(&org_s).bind(kind).bind(model).execute(&mut *tx).await?;
                for (part, data) in bytes.chunks(PART_BYTES).enumerate() {
                    sqlx::query("INSERT INTO saved_copies (org_id, kind, model, epoch, part, data) VALUES ($1, $2, $3, $4, $5, $6)")
                        .bind(&org_s).bind(kind).bind(model).bind(epoch).bind(part as i32).bind(data)
                        .execute(&mut *tx).await?;
                }
                true
            } else {
                false
            }
        });
        if let Ok(mut saved_at) = self.unsaved.saved_at.lock() {
            saved_at.insert((org, copy.clone()), Instant::now());
        }
        if saved {
            tracing::debug!(org = %org, kind, epoch, bytes = bytes.len(), "index copy saved");
        }
        Ok(saved)
    }
}

/// Reads an epoch for a save, so that no bump commits between the check and the save.
trait EpochLock {
    async fn lock_epoch(&mut self, copy: &SavedCopy, org: &str) -> Result<Option<i64>, StoreError>;
}

fn epoch_table(copy: &SavedCopy) -> &'static str {
    match copy {
        SavedCopy::Lexical => "lexical_epochs",
        SavedCopy::Vectors(_) => "vector_epochs",
    }
}

impl EpochLock for sqlx::SqliteConnection {
    /// SQLite: the save's transaction already holds the write lock.
    async fn lock_epoch(&mut self, copy: &SavedCopy, org: &str) -> Result<Option<i64>, StoreError> {
        let sql = format!("SELECT epoch FROM {} WHERE org_id = $1", epoch_table(copy));
        Ok(sqlx::query_scalar(&sql).bind(org).fetch_optional(self).await?)
    }
}

impl EpochLock for sqlx::PgConnection {
    /// PostgreSQL: the row is share-locked, so a bump waits for the save to commit (and then deletes it).
    async fn lock_epoch(&mut self, copy: &SavedCopy, org: &str) -> Result<Option<i64>, StoreError> {
        let sql = format!("SELECT epoch FROM {} WHERE org_id = $1 FOR SHARE", epoch_table(copy));
        Ok(sqlx::query_scalar(&sql).bind(org).fetch_optional(self).await?)
    }
}
