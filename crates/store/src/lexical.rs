//! The lexical index's side in storage: reading an organisation's postings
//! into a BM25 copy ([`wayfinder_search::Bm25Index`]) and keeping that copy
//! in step with the database.
//!
//! The postings live in the database, written and deleted in the same
//! transaction as their chunks, in the same tables on both backends:
//! `lexical_terms` numbers each organisation's terms, and `chunk_postings`
//! holds one row per chunk, its terms as those numbers with their frequencies.
//! Each process ranks over its own copy. The copy follows the database
//! through `lexical_epochs`: every transaction that adds or removes an
//! organisation's chunks bumps its epoch once; this process applies its own
//! inserts and removals in place, and reloads when the epoch shows a change
//! it did not make.

use crate::{
    ChunkFilter, LexicalEpoch, Store, StoreError, StoreResult,
    knowledge::KnownTerms,
    rows::ChunkOwners,
    saved_copies::{SavedCopy, read_saved},
};
use std::sync::atomic::{AtomicBool, Ordering};
use wayfinder_accounts_rules::OrgId;
use wayfinder_knowledge_rules::ChunkId;
use wayfinder_search::{Bm25Index, Bm25Loader, LexicalChange, Loader, Stamped};

/// Rows per page when loading a copy.
const LOAD_PAGE: i64 = 4096;

/// A row of [`POSTINGS_PAGE_SQL`].
type PostingsRow = (i64, String, String, String);

/// Fills `$loading` (a [`PostingsPages`]) from `chunk_postings` page by page
/// on the connection `$conn` and evaluates to the finished copy. The next
/// page is fetched while the last one is added, so the database (or SQLite's
/// worker thread) and the copy's construction run side by side.
macro_rules! load_pages {
    ($loading:expr, $conn:expr, $org:expr) => {{
        let mut loading = $loading;
        let conn = $conn;
        let mut page: Vec<PostingsRow> = conn.postings_page($org, i64::MIN).await?;
        loop {
            let next = match page.last() {
                Some((last, ..)) if page.len() as i64 == LOAD_PAGE => Some(*last),
                _ => None,
            };
            let next = async {
                match next {
                    Some(after) => conn.postings_page($org, after).await.map(Some),
                    None => Ok(None),
                }
            };
            let (next, added) = futures_util::join!(next, async { loading.add(page) });
            added?;
            match next? {
                Some(rows) => page = rows,
                None => break loading.loader.finish(),
            }
        }
    }};
}

impl Store {
    /// BM25 ranking of chunks for the analysed query terms, best first, at most `k`.
    pub async fn lexical_search(
        &self,
        org: OrgId,
        terms: &[String],
        filter: &ChunkFilter,
        k: usize,
    ) -> StoreResult<LexicalHits> {
        let mut unique: Vec<&str> = terms.iter().map(String::as_str).collect();
        unique.sort_unstable();
        unique.dedup();
        if unique.is_empty() || k == 0 {
            return Ok(LexicalHits { hits: Vec::new(), seen: None });
        }
        let loader = PostingsOf { store: self, org, rebuilt: AtomicBool::new(false) };
        let copy = self.lexical.get(org, &loader).await?;
        if loader.rebuilt.load(Ordering::Relaxed) {
            self.copy_changed(org, SavedCopy::Lexical);
        }
        let copy = copy.read().map_err(|_| StoreError::Corrupt("lexical index lock poisoned".into()))?;
        Ok(LexicalHits { hits: copy.index.rank(&unique, filter, k), seen: Some(LexicalEpoch(copy.epoch)) })
    }

    /// The numbers `terms` have in `lexical_terms`, from this process's copy
    /// when it is exactly at `epoch` (then it holds every number handed out),
    /// with the largest number handed out.
    pub(crate) fn known_term_numbers(&self, org: OrgId, epoch: i64, terms: &[&str]) -> Option<KnownTerms> {
        self.lexical.read_at(&org, epoch, |copy| {
            let known = terms.iter().map(|t| copy.term_number(t)).collect();
            (known, copy.largest_term_number())
        })
    }

    /// Applies this process's own change (committed at `epoch`) to its copy
    /// when nothing else changed in between; otherwise the copy is dropped.
    pub(crate) fn lexical_applied(&self, org: OrgId, epoch: i64, change: LexicalChange<'_>) {
        let mut change = Some(change);
        self.lexical.apply(|o| *o == org, epoch, |_, copy| change.take().is_some_and(|c| copy.apply(c)));
        self.copy_changed(org, SavedCopy::Lexical);
    }
}

/// A BM25 ranking with the epoch its copy was checked against the database at.
#[derive(Debug)]
pub struct LexicalHits {
    /// Chunks and their scores, best first.
    pub hits: Vec<(ChunkId, f32)>,
    /// The lexical epoch the ranking saw (none when there was nothing to rank).
    pub seen: Option<LexicalEpoch>,
}

/// Where an organisation's postings copy is loaded from.
struct PostingsOf<'a> {
    store: &'a Store,
    org: OrgId,
    /// Set when the copy was rebuilt from the rows rather than read from a saved copy.
    rebuilt: AtomicBool,
}

impl Loader<Bm25Index> for PostingsOf<'_> {
    type Error = StoreError;

    async fn epoch(&self) -> StoreResult<i64> {
        let org = self.org.to_string();
        let (epoch,): (i64,) =
            crate::on_pool!(self.store, pool => sqlx::query_as(EPOCH_SQL).bind(&org).fetch_one(pool).await?);
        Ok(epoch)
    }

    /// The epoch and the copy saved at that epoch, or else the terms and the
    /// postings, read in one snapshot.
    async fn load(&self) -> StoreResult<Stamped<Bm25Index>> {
        let org = self.org.to_string();
        let copy = crate::in_snapshot!(self.store, tx => {
            let (epoch,): (i64,) = sqlx::query_as(EPOCH_SQL).bind(&org).fetch_one(&mut *tx).await?;
            match read_saved!(&mut *tx, self.org, &SavedCopy::Lexical, epoch, Bm25Index::restore) {
                Some(index) => Stamped { epoch, index },
                None => {
                    self.rebuilt.store(true, Ordering::Relaxed);
                    let terms = sqlx::query_as(TERMS_SQL).bind(&org).fetch_all(&mut *tx).await?;
                    let index = load_pages!(PostingsPages::new(terms), &mut *tx, &org);
                    Stamped { epoch, index }
                }
            }
        });
        Ok(copy)
    }
}

const EPOCH_SQL: &str = "SELECT COALESCE((SELECT epoch FROM lexical_epochs WHERE org_id = $1), 0)";

/// An organisation's numbered terms (same on both backends).
const TERMS_SQL: &str = "SELECT term, id FROM lexical_terms WHERE org_id = $1";

/// A page of an organisation's stored postings, one row per chunk in id order.
const POSTINGS_PAGE_SQL: &str = "SELECT chunk_id, collection_id, document_id, terms FROM chunk_postings
     WHERE org_id = $1 AND chunk_id > $2 ORDER BY chunk_id LIMIT $3";

/// The same page on SQLite as one JSON array of `[chunk, collection, document, terms]`:
/// sqlx hands SQLite rows over one at a time from its worker thread, and at 4,096 rows a
/// page those hand-offs, not the reading, were most of a load (a first search at 100k
/// chunks spent about 300 ms loading).
const POSTINGS_PAGE_PACKED_SQL: &str =
    "SELECT json_group_array(json_array(chunk_id, collection_id, document_id, terms))
     FROM (SELECT chunk_id, collection_id, document_id, terms FROM chunk_postings
           WHERE org_id = $1 AND chunk_id > $2 ORDER BY chunk_id LIMIT $3)";

/// Reads a page of postings, each backend its own way.
trait PostingsSource {
    async fn postings_page(&mut self, org: &str, after: i64) -> StoreResult<Vec<PostingsRow>>;
}

impl PostingsSource for sqlx::SqliteConnection {
    async fn postings_page(&mut self, org: &str, after: i64) -> StoreResult<Vec<PostingsRow>> {
        let (packed,): (String,) =
            sqlx::query_as(POSTINGS_PAGE_PACKED_SQL).bind(org).bind(after).bind(LOAD_PAGE).fetch_one(self).await?;
        serde_json::from_str(&packed).map_err(|e| StoreError::Corrupt(format!("a page of postings: {e}")))
    }
}

impl PostingsSource for sqlx::PgConnection {
    async fn postings_page(&mut self, org: &str, after: i64) -> StoreResult<Vec<PostingsRow>> {
        Ok(sqlx::query_as(POSTINGS_PAGE_SQL).bind(org).bind(after).bind(LOAD_PAGE).fetch_all(self).await?)
    }
}

/// Stored postings rows going into a [`Bm25Loader`], page by page.
struct PostingsPages {
    loader: Bm25Loader,
    owners: ChunkOwners,
}

impl PostingsPages {
    fn new(terms: Vec<(String, i64)>) -> Self {
        PostingsPages { loader: Bm25Loader::new(terms), owners: ChunkOwners::default() }
    }

    fn add(&mut self, rows: Vec<PostingsRow>) -> StoreResult<()> {
        for (id, collection, document, stored) in rows {
            let (collection, document) = self.owners.parse(collection, document)?;
            self.loader
                .add_chunk(id, collection, document, &stored)
                .map_err(|_| StoreError::Corrupt(format!("chunk {id}: postings {stored:?}")))?;
        }
        self.loader.end_page();
        Ok(())
    }
}
