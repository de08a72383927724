//! Bulk loads of coaching activity for the analytics benchmark: relationships,
//! conversations, messages, the question log and the rollups those would have
//! produced, written as whole columns like `learning_bulk` (the rollups come
//! from the caller, who generated the activity and so knows its sums).

use crate::learning_bulk::{Cell, Kind, Table, bulk_error, postgres_write, sqlite_write};
use crate::{Pool, Store, StoreResult};
use wayfinder_accounts_rules::OrgId;

/// One value of a bulk row.
#[derive(Clone, Debug)]
pub enum BulkValue {
    Text(Option<String>),
    Int(Option<i64>),
    Float(Option<f64>),
    Bool(bool),
}

wayfinder_accounts_rules::closed_set! {
/// The tables an activity load fills, in an order that satisfies their references.
pub enum ActivityTable {
    Relationships,
    Conversations,
    Messages,
    QuestionLog,
    OrgDays,
    PersonDays,
    PersonWeeks,
    PersonLastActive,
    CoachDays,
    ProgramDays,
}
}

use Kind::{Float as F, Int as I, Text as T};

impl ActivityTable {
    /// The table and the columns a row gives, in order (`org_id` is always the first).
    fn table(self) -> &'static Table {
        const RELATIONSHIPS: Table = Table {
            name: "relationships",
            columns: &[("org_id", T), ("id", T), ("kind", T), ("from_person", T), ("to_person", T), ("created_at", I)],
        };
        const CONVERSATIONS: Table = Table {
            name: "conversations",
            columns: &[
                ("org_id", T),
                ("id", T),
                ("owner_id", T),
                ("coach_id", T),
                ("title", T),
                ("created_at", I),
                ("updated_at", I),
            ],
        };
        const MESSAGES: Table = Table {
            name: "messages",
            columns: &[
                ("org_id", T),
                ("id", T),
                ("conversation_id", T),
                ("seq", I),
                ("role", T),
                ("content", T),
                ("kind", T),
                ("confidence", F),
                ("input_tokens", I),
                ("output_tokens", I),
                ("cost", F),
                ("created_at", I),
            ],
        };
        const QUESTION_LOG: Table = Table {
            name: "question_log",
            columns: &[
                ("org_id", T),
                ("question_id", T),
                ("answer_id", T),
                ("person_id", T),
                ("coach_id", T),
                ("question", T),
                ("outcome", T),
                ("topic", T),
                ("asked_at", I),
            ],
        };
        const ORG_DAYS: Table = Table {
            name: "org_days",
            columns: &[
                ("org_id", T),
                ("day", I),
                ("active_people", I),
                ("week_starters", I),
                ("conversations", I),
                ("questions", I),
                ("generated", I),
                ("extractive", I),
                ("refused", I),
                ("helpful", I),
                ("unhelpful", I),
                ("input_tokens", I),
                ("output_tokens", I),
                ("cost", F),
                ("evidence", I),
                ("answers", I),
                ("correct", F),
            ],
        };
        const PERSON_DAYS: Table = Table {
            name: "person_days",
            columns: &[
                ("org_id", T),
                ("person_id", T),
                ("day", I),
                ("activity", I),
                ("questions", I),
                ("generated", I),
                ("extractive", I),
                ("refused", I),
                ("helpful", I),
                ("unhelpful", I),
                ("input_tokens", I),
                ("output_tokens", I),
                ("cost", F),
                ("evidence", I),
                ("answers", I),
                ("correct", F),
                ("wrong", I),
                ("mastery_gain", F),
                ("mastered_gain", I),
            ],
        };
        const PERSON_WEEKS: Table =
            Table { name: "person_weeks", columns: &[("org_id", T), ("person_id", T), ("week", I)] };
        const PERSON_LAST_ACTIVE: Table =
            Table { name: "person_last_active", columns: &[("org_id", T), ("person_id", T), ("day", I)] };
        const COACH_DAYS: Table = Table {
            name: "coach_days",
            columns: &[
                ("org_id", T),
                ("coach_id", T),
                ("day", I),
                ("questions", I),
                ("generated", I),
                ("extractive", I),
                ("refused", I),
                ("helpful", I),
                ("unhelpful", I),
                ("input_tokens", I),
                ("output_tokens", I),
                ("cost", F),
            ],
        };
        const PROGRAM_DAYS: Table = Table {
            name: "program_days",
            columns: &[
                ("org_id", T),
                ("program_id", T),
                ("person_id", T),
                ("day", I),
                ("evidence", I),
                ("answers", I),
                ("correct", F),
                ("mastery_gain", F),
                ("mastered_gain", I),
            ],
        };
        match self {
            ActivityTable::Relationships => &RELATIONSHIPS,
            ActivityTable::Conversations => &CONVERSATIONS,
            ActivityTable::Messages => &MESSAGES,
            ActivityTable::QuestionLog => &QUESTION_LOG,
            ActivityTable::OrgDays => &ORG_DAYS,
            ActivityTable::PersonDays => &PERSON_DAYS,
            ActivityTable::PersonWeeks => &PERSON_WEEKS,
            ActivityTable::PersonLastActive => &PERSON_LAST_ACTIVE,
            ActivityTable::CoachDays => &COACH_DAYS,
            ActivityTable::ProgramDays => &PROGRAM_DAYS,
        }
    }

    /// The values a row gives after `org_id`.
    pub fn width(self) -> usize {
        self.table().columns.len() - 1
    }
}

impl Store {
    /// Writes rows of one activity table in one transaction; each row holds the values of
    /// [`ActivityTable`]'s columns after `org_id`. Answers the rows written.
    pub async fn bulk_load_activity(
        &self,
        org: OrgId,
        table: ActivityTable,
        rows: Vec<Vec<BulkValue>>,
    ) -> StoreResult<u64> {
        let org = org.to_string();
        let width = table.width();
        let cells: Vec<Vec<Cell>> = rows
            .into_iter()
            .map(|row| {
                debug_assert_eq!(row.len(), width, "a row of {table}");
                std::iter::once(Cell::Text(Some(org.clone())))
                    .chain(row.into_iter().map(|v| match v {
                        BulkValue::Text(v) => Cell::Text(v),
                        BulkValue::Int(v) => Cell::Int(v),
                        BulkValue::Float(v) => Cell::Float(v),
                        BulkValue::Bool(v) => Cell::Bool(v),
                    }))
                    .collect()
            })
            .collect();
        let written = match &self.pool {
            Pool::Sqlite(pool) => {
                let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                let n = sqlite_write(&mut tx, table.table(), cells).await.map_err(bulk_error)?;
                tx.commit().await?;
                n
            }
            Pool::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                let n = postgres_write(&mut tx, table.table(), cells).await.map_err(bulk_error)?;
                tx.commit().await?;
                n
            }
        };
        Ok(written)
    }

    /// Adds a tally to the rollups in a transaction of its own, the same statements a write adds
    /// to its own transaction to keep the dashboards current, and says how long those statements
    /// took before the commit (the analytics benchmark times both).
    pub async fn add_to_rollups(
        &self,
        org: OrgId,
        scope: crate::TallyScope<'_>,
        at_ms: i64,
        tally: &crate::Tally,
    ) -> StoreResult<std::time::Duration> {
        let took = crate::in_tx!(self, tx => {
            let started = std::time::Instant::now();
            crate::insights::add_tally!(self, tx, org, scope, at_ms, tally);
            started.elapsed()
        });
        Ok(took)
    }
}
