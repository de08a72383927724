//! What a backup needs from the database: a consistent snapshot (SQLite writes one to a file;
//! PostgreSQL exports one for `pg_dump` to read), and each table's row count to check a restore
//! against.

use crate::{Pool, Store, StoreError, StoreResult, on_pool};
use std::collections::BTreeMap;
use std::future::Future;
use std::path::Path;

impl Store {
    /// Every table's row count (the schema's tables, from its catalogue).
    pub async fn table_counts(&self) -> StoreResult<BTreeMap<String, i64>> {
        let mut counts = BTreeMap::new();
        for table in self.schema_tables().await? {
            // Table names come from the database's catalogue.
            let sql = format!("SELECT COUNT(*) FROM \"{table}\"");
            let (n,): (i64,) = on_pool!(self, pool => sqlx::query_as(&sql).fetch_one(pool).await?);
            counts.insert(table, n);
        }
        Ok(counts)
    }

    /// Whether the database holds no Wayfinder schema yet (a restore's target must not).
    pub async fn is_blank(&self) -> StoreResult<bool> {
        Ok(!self.schema_tables().await?.iter().any(|t| t == "organisations"))
    }

    /// SQLite: writes a consistent copy of the whole database to `path` (`VACUUM INTO`, while
    /// the server keeps running).
    pub async fn snapshot_into(&self, path: &Path) -> StoreResult<()> {
        let Pool::Sqlite(pool) = &self.pool else {
            return Err(StoreError::Conflict("a PostgreSQL database is backed up with pg_dump"));
        };
        sqlx::query("VACUUM INTO $1").bind(path.to_string_lossy().to_string()).execute(pool).await?;
        Ok(())
    }

    /// PostgreSQL: holds a read-only snapshot of the database open while `use_it` runs, with the
    /// snapshot's id (for `pg_dump --snapshot`) and each table's row count in it.
    pub async fn with_exported_snapshot<F, Fut, T>(&self, use_it: F) -> StoreResult<T>
    where
        F: FnOnce(String, BTreeMap<String, i64>) -> Fut,
        Fut: Future<Output = T>,
    {
        let Pool::Postgres(pool) = &self.pool else {
            return Err(StoreError::Conflict("a SQLite database is backed up with a snapshot file"));
        };
        let mut tx = pool.begin_with(crate::PG_READ_ONLY_SNAPSHOT).await?;
        let (snapshot,): (String,) = sqlx::query_as("SELECT pg_export_snapshot()").fetch_one(&mut *tx).await?;
        let mut counts = BTreeMap::new();
        for table in self.schema_tables().await? {
            let sql = format!("SELECT COUNT(*) FROM \"{table}\"");
            let (n,): (i64,) = sqlx::query_as(&sql).fetch_one(&mut *tx).await?;
            counts.insert(table, n);
        }
        let out = use_it(snapshot, counts).await;
        tx.commit().await?;
        Ok(out)
    }
}
