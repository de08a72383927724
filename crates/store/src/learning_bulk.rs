//! Learning records in bulk, for benchmarks and imports of history: loading
//! members, published programs, enrolments, evidence and the learner model's
//! state many thousands of rows at a time, and reading many learners'
//! enrolments, goals and model state in one query each (a coach's overview).
//!
//! The writes differ by dialect on purpose: SQLite takes multi-row `INSERT`s
//! of a few hundred rows on one prepared statement inside one transaction;
//! PostgreSQL takes one `INSERT … SELECT * FROM UNNEST(arrays)` per ten
//! thousand rows, which sends each column as one array instead of one
//! parameter per value. Nothing here checks the learning rules (acyclic
//! prerequisites, evidence only in enrolled programs, state that matches the
//! evidence): the caller loads history that already obeys them.

use crate::{
    ConceptRecord, EvidenceRecord, GoalRecord, LearnerConceptRecord, Pool, Store, StoreError, StoreResult, on_pool,
    rows::{from_json, now_ms, parse, to_json},
};
use sqlx::{PgConnection, SqliteConnection};
use wayfinder_accounts_rules::{OrgId, PersonId, Role};
use wayfinder_learning_rules::mastery::{ConceptState, LearnerState};
use wayfinder_learning_rules::program::{ConceptId, EnrolmentId, EnrolmentStatus, ProgramId, ProgramStatus};

/// A learner's model state on one concept, as a coach's overview reads it.
#[derive(Clone, Debug, PartialEq)]
pub struct ConceptStanding {
    pub concept: ConceptId,
    pub state: ConceptState,
    /// Mastery at the last update (before forgetting since then).
    pub mastery: f64,
    pub evidence_count: i64,
}

/// A person to create and make a member of the organisation.
#[derive(Clone, Debug)]
pub struct BulkMember {
    pub id: PersonId,
    pub email: String,
    pub display_name: String,
    pub role: Role,
}

/// A program to create as published in version 1.
#[derive(Clone, Debug)]
pub struct BulkProgram {
    pub id: ProgramId,
    pub title: String,
    pub description: String,
    pub self_enrolment: bool,
}

/// A prerequisite edge of a program's version 1: `concept` requires `requires`.
#[derive(Clone, Copy, Debug)]
pub struct BulkPrerequisite {
    /// The program of `concept`.
    pub program: ProgramId,
    pub concept: ConceptId,
    pub requires: ConceptId,
}

/// An active enrolment.
#[derive(Clone, Copy, Debug)]
pub struct BulkEnrolment {
    pub program: ProgramId,
    pub person: PersonId,
    pub enrolled_by: Option<PersonId>,
}

/// One slice of an organisation's learning history for [`Store::bulk_load_learning`];
/// empty parts are skipped, so a large history goes in several calls (graph and
/// members first, then learners' evidence and state a few hundred learners at a time).
#[derive(Clone, Debug, Default)]
pub struct LearningHistory {
    pub members: Vec<BulkMember>,
    pub programs: Vec<BulkProgram>,
    /// Concepts of the programs above (or of programs loaded before), live from version 1.
    pub concepts: Vec<ConceptRecord>,
    pub prerequisites: Vec<BulkPrerequisite>,
    pub enrolments: Vec<BulkEnrolment>,
    pub goals: Vec<GoalRecord>,
    pub evidence: Vec<EvidenceRecord>,
    /// Each learner's organisation-wide model state.
    pub learner_states: Vec<(PersonId, LearnerState)>,
    /// Each learner's state, mastery and review card per concept.
    pub learner_concepts: Vec<LearnerConceptRecord>,
}

/// A stored column's type, for binding a whole column at once.
#[derive(Clone, Copy)]
pub(crate) enum Kind {
    Text,
    Int,
    Float,
    Bool,
}

/// One value of a row being written.
pub(crate) enum Cell {
    Text(Option<String>),
    Int(Option<i64>),
    Float(Option<f64>),
    Bool(bool),
}

fn text(s: impl ToString) -> Cell {
    Cell::Text(Some(s.to_string()))
}

fn opt_text(s: Option<impl ToString>) -> Cell {
    Cell::Text(s.map(|s| s.to_string()))
}

/// A table and the columns a bulk write fills, in row order.
pub(crate) struct Table {
    pub(crate) name: &'static str,
    pub(crate) columns: &'static [(&'static str, Kind)],
}

const PEOPLE: Table = Table {
    name: "people",
    columns: &[
        ("id", Kind::Text),
        ("email", Kind::Text),
        ("display_name", Kind::Text),
        ("is_operator", Kind::Bool),
        ("created_at", Kind::Int),
    ],
};
const MEMBERSHIPS: Table = Table {
    name: "memberships",
    columns: &[("org_id", Kind::Text), ("person_id", Kind::Text), ("role", Kind::Text), ("created_at", Kind::Int)],
};
const PROGRAMS: Table = Table {
    name: "programs",
    columns: &[
        ("id", Kind::Text),
        ("org_id", Kind::Text),
        ("title", Kind::Text),
        ("description", Kind::Text),
        ("status", Kind::Text),
        ("self_enrolment", Kind::Bool),
        ("published_version", Kind::Int),
        ("latest_version", Kind::Int),
        ("created_at", Kind::Int),
        ("updated_at", Kind::Int),
    ],
};
const CONCEPTS: Table = Table {
    name: "concepts",
    columns: &[
        ("id", Kind::Text),
        ("since_version", Kind::Int),
        ("org_id", Kind::Text),
        ("program_id", Kind::Text),
        ("name", Kind::Text),
        ("description", Kind::Text),
        ("tags", Kind::Text),
        ("estimated_minutes", Kind::Int),
        ("material", Kind::Text),
        ("position", Kind::Int),
    ],
};
const PREREQUISITES: Table = Table {
    name: "prerequisites",
    columns: &[
        ("org_id", Kind::Text),
        ("program_id", Kind::Text),
        ("concept_id", Kind::Text),
        ("requires_id", Kind::Text),
        ("since_version", Kind::Int),
    ],
};
const ENROLMENTS: Table = Table {
    name: "enrolments",
    columns: &[
        ("id", Kind::Text),
        ("org_id", Kind::Text),
        ("program_id", Kind::Text),
        ("person_id", Kind::Text),
        ("status", Kind::Text),
        ("enrolled_by", Kind::Text),
        ("created_at", Kind::Int),
        ("updated_at", Kind::Int),
    ],
};
const GOALS: Table = Table {
    name: "goals",
    columns: &[
        ("id", Kind::Text),
        ("org_id", Kind::Text),
        ("person_id", Kind::Text),
        ("kind", Kind::Text),
        ("title", Kind::Text),
        ("targets", Kind::Text),
        ("set_by", Kind::Text),
        ("created_at", Kind::Int),
    ],
};
const EVIDENCE: Table = Table {
    name: "evidence",
    columns: &[
        ("id", Kind::Text),
        ("org_id", Kind::Text),
        ("person_id", Kind::Text),
        ("concept_id", Kind::Text),
        ("kind", Kind::Text),
        ("outcome", Kind::Float),
        ("source", Kind::Text),
        ("recorded_by", Kind::Text),
        ("idempotency_key", Kind::Text),
        ("occurred_at", Kind::Int),
        ("created_at", Kind::Int),
    ],
};
const LEARNER_STATES: Table = Table {
    name: "learner_states",
    columns: &[("org_id", Kind::Text), ("person_id", Kind::Text), ("state", Kind::Text), ("updated_at", Kind::Int)],
};
const LEARNER_CONCEPTS: Table = Table {
    name: "learner_concepts",
    columns: &[
        ("org_id", Kind::Text),
        ("person_id", Kind::Text),
        ("concept_id", Kind::Text),
        ("state", Kind::Text),
        ("mastery", Kind::Float),
        ("evidence_count", Kind::Int),
        ("review", Kind::Text),
        ("review_due", Kind::Int),
        ("updated_at", Kind::Int),
    ],
};

/// Rows per PostgreSQL statement: each column travels as one array.
const POSTGRES_ROWS: usize = 10_000;
/// Bound values per SQLite statement. Far under SQLite's limit of 32,766: sqlx looks each
/// value's parameter up by name, so a statement's binding time grows with the square of its
/// values (1,000 values loaded 36k rows/s, 30,000 only 1.5k).
const SQLITE_VALUES: usize = 300;
/// Rows converted to cells at a time, so a large slice is never copied whole.
const CONVERT_ROWS: usize = 50_000;

/// The parts of a history slice, in the order their rows must be written (references first).
#[derive(Clone, Copy)]
enum Part {
    People,
    Memberships,
    Programs,
    Concepts,
    Prerequisites,
    Enrolments,
    Goals,
    Evidence,
    LearnerStates,
    LearnerConcepts,
}

const PARTS: [Part; 10] = [
    Part::People,
    Part::Memberships,
    Part::Programs,
    Part::Concepts,
    Part::Prerequisites,
    Part::Enrolments,
    Part::Goals,
    Part::Evidence,
    Part::LearnerStates,
    Part::LearnerConcepts,
];

impl Part {
    fn table(self) -> &'static Table {
        match self {
            Part::People => &PEOPLE,
            Part::Memberships => &MEMBERSHIPS,
            Part::Programs => &PROGRAMS,
            Part::Concepts => &CONCEPTS,
            Part::Prerequisites => &PREREQUISITES,
            Part::Enrolments => &ENROLMENTS,
            Part::Goals => &GOALS,
            Part::Evidence => &EVIDENCE,
            Part::LearnerStates => &LEARNER_STATES,
            Part::LearnerConcepts => &LEARNER_CONCEPTS,
        }
    }

    fn len(self, h: &LearningHistory) -> usize {
        match self {
            Part::People | Part::Memberships => h.members.len(),
            Part::Programs => h.programs.len(),
            Part::Concepts => h.concepts.len(),
            Part::Prerequisites => h.prerequisites.len(),
            Part::Enrolments => h.enrolments.len(),
            Part::Goals => h.goals.len(),
            Part::Evidence => h.evidence.len(),
            Part::LearnerStates => h.learner_states.len(),
            Part::LearnerConcepts => h.learner_concepts.len(),
        }
    }

    /// Rows `from..to` of this part as cells in its table's column order.
    fn rows(self, h: &LearningHistory, org: &str, now: i64, from: usize, to: usize) -> Vec<Vec<Cell>> {
        let o = || text(org);
        let at = |ms: i64| Cell::Int(Some(ms));
        match self {
            Part::People => h.members[from..to]
                .iter()
                .map(|m| vec![text(m.id), text(&m.email), text(&m.display_name), Cell::Bool(false), at(now)])
                .collect(),
            Part::Memberships => {
                h.members[from..to].iter().map(|m| vec![o(), text(m.id), text(m.role.as_str()), at(now)]).collect()
            }
            Part::Programs => h.programs[from..to]
                .iter()
                .map(|p| {
                    vec![
                        text(p.id),
                        o(),
                        text(&p.title),
                        text(&p.description),
                        text(<&str>::from(ProgramStatus::Published)),
                        Cell::Bool(p.self_enrolment),
                        Cell::Int(Some(1)),
                        Cell::Int(Some(1)),
                        at(now),
                        at(now),
                    ]
                })
                .collect(),
            Part::Concepts => h.concepts[from..to]
                .iter()
                .map(|c| {
                    vec![
                        text(c.id),
                        Cell::Int(Some(1)),
                        o(),
                        text(c.program),
                        text(&c.name),
                        text(&c.description),
                        text(to_json(&c.tags)),
                        Cell::Int(Some(c.estimated_minutes)),
                        text(to_json(&c.material)),
                        Cell::Int(Some(c.position)),
                    ]
                })
                .collect(),
            Part::Prerequisites => h.prerequisites[from..to]
                .iter()
                .map(|e| vec![o(), text(e.program), text(e.concept), text(e.requires), Cell::Int(Some(1))])
                .collect(),
            Part::Enrolments => h.enrolments[from..to]
                .iter()
                .map(|e| {
                    vec![
                        text(EnrolmentId::new()),
                        o(),
                        text(e.program),
                        text(e.person),
                        text(<&str>::from(EnrolmentStatus::Active)),
                        opt_text(e.enrolled_by),
                        at(now),
                        at(now),
                    ]
                })
                .collect(),
            Part::Goals => h.goals[from..to]
                .iter()
                .map(|g| {
                    let targets: Vec<String> = g.targets.iter().map(ToString::to_string).collect();
                    vec![
                        text(g.id),
                        o(),
                        text(g.person),
                        text(<&str>::from(g.kind)),
                        text(&g.title),
                        text(to_json(&targets)),
                        opt_text(g.set_by),
                        at(g.created_at.timestamp_millis()),
                    ]
                })
                .collect(),
            Part::Evidence => h.evidence[from..to]
                .iter()
                .map(|e| {
                    vec![
                        text(e.id),
                        o(),
                        text(e.person),
                        text(e.concept),
                        text(&e.kind),
                        Cell::Float(e.outcome),
                        text(&e.source),
                        opt_text(e.recorded_by),
                        Cell::Text(e.idempotency_key.clone()),
                        at(e.occurred_at.timestamp_millis()),
                        at(e.occurred_at.timestamp_millis()),
                    ]
                })
                .collect(),
            Part::LearnerStates => h.learner_states[from..to]
                .iter()
                .map(|(person, state)| vec![o(), text(person), Cell::Text(Some(to_json(state))), at(now)])
                .collect(),
            Part::LearnerConcepts => h.learner_concepts[from..to]
                .iter()
                .map(|r| {
                    vec![
                        o(),
                        text(r.person),
                        text(r.concept),
                        Cell::Text(Some(to_json(&r.state))),
                        Cell::Float(Some(r.mastery)),
                        Cell::Int(Some(r.evidence_count)),
                        Cell::Text(r.review.as_ref().map(to_json)),
                        Cell::Int(r.review_due.map(|d| d.timestamp_millis())),
                        at(r.updated_at.timestamp_millis()),
                    ]
                })
                .collect(),
        }
    }
}

fn insert_head(table: &Table) -> String {
    let names: Vec<&str> = table.columns.iter().map(|(name, _)| *name).collect();
    format!("INSERT INTO {} ({})", table.name, names.join(", "))
}

/// `INSERT … VALUES ($1, …), (…)` for `rows` rows.
fn values_sql(table: &Table, rows: usize) -> String {
    let width = table.columns.len();
    let mut sql = insert_head(table);
    sql.push_str(" VALUES ");
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for column in 0..width {
            if column > 0 {
                sql.push_str(", ");
            }
            sql.push('$');
            sql.push_str(&(row * width + column + 1).to_string());
        }
        sql.push(')');
    }
    sql
}

/// `INSERT … SELECT * FROM UNNEST($1::text[], …)`: one array parameter per column.
fn unnest_sql(table: &Table) -> String {
    let arrays: Vec<String> = table
        .columns
        .iter()
        .enumerate()
        .map(|(i, (_, kind))| {
            let ty = match kind {
                Kind::Text => "text",
                Kind::Int => "int8",
                Kind::Float => "float8",
                Kind::Bool => "bool",
            };
            format!("${}::{ty}[]", i + 1)
        })
        .collect();
    format!("{} SELECT * FROM UNNEST({})", insert_head(table), arrays.join(", "))
}

pub(crate) async fn sqlite_write(conn: &mut SqliteConnection, table: &Table, rows: Vec<Vec<Cell>>) -> StoreResult<u64> {
    let per_statement = (SQLITE_VALUES / table.columns.len()).max(1);
    let full = values_sql(table, per_statement);
    let mut written = 0;
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let batch: Vec<Vec<Cell>> = rows.by_ref().take(per_statement).collect();
        let partial;
        let sql = if batch.len() == per_statement {
            &full
        } else {
            partial = values_sql(table, batch.len());
            &partial
        };
        let mut query = sqlx::query(sql);
        for cell in batch.into_iter().flatten() {
            query = match cell {
                Cell::Text(v) => query.bind(v),
                Cell::Int(v) => query.bind(v),
                Cell::Float(v) => query.bind(v),
                Cell::Bool(v) => query.bind(v),
            };
        }
        written += query.execute(&mut *conn).await?.rows_affected();
    }
    Ok(written)
}

/// One column of a PostgreSQL batch, bound as one array.
enum Column {
    Text(Vec<Option<String>>),
    Int(Vec<Option<i64>>),
    Float(Vec<Option<f64>>),
    Bool(Vec<bool>),
}

pub(crate) async fn postgres_write(conn: &mut PgConnection, table: &Table, rows: Vec<Vec<Cell>>) -> StoreResult<u64> {
    let sql = unnest_sql(table);
    let mut written = 0;
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let batch: Vec<Vec<Cell>> = rows.by_ref().take(POSTGRES_ROWS).collect();
        let n = batch.len();
        let mut columns: Vec<Column> = table
            .columns
            .iter()
            .map(|(_, kind)| match kind {
                Kind::Text => Column::Text(Vec::with_capacity(n)),
                Kind::Int => Column::Int(Vec::with_capacity(n)),
                Kind::Float => Column::Float(Vec::with_capacity(n)),
                Kind::Bool => Column::Bool(Vec::with_capacity(n)),
            })
            .collect();
        for row in batch {
            for (cell, column) in row.into_iter().zip(columns.iter_mut()) {
                match (cell, column) {
                    (Cell::Text(v), Column::Text(c)) => c.push(v),
                    (Cell::Int(v), Column::Int(c)) => c.push(v),
                    (Cell::Float(v), Column::Float(c)) => c.push(v),
                    (Cell::Bool(v), Column::Bool(c)) => c.push(v),
                    _ => {
                        return Err(StoreError::Corrupt(format!(
                            "a bulk row of {} has a value of the wrong type",
                            table.name
                        )));
                    }
                }
            }
        }
        let mut query = sqlx::query(&sql);
        for column in columns {
            query = match column {
                Column::Text(c) => query.bind(c),
                Column::Int(c) => query.bind(c),
                Column::Float(c) => query.bind(c),
                Column::Bool(c) => query.bind(c),
            };
        }
        written += query.execute(&mut *conn).await?.rows_affected();
    }
    Ok(written)
}

/// Bumps an organisation's learning epoch so every process reloads its graph.
const BUMP_EPOCH: &str = "INSERT INTO learning_epochs (org_id, epoch) VALUES ($1, 1)
    ON CONFLICT (org_id) DO UPDATE SET epoch = learning_epochs.epoch + 1";

/// Learning tables whose planner statistics a bulk load changes (the question bank included:
/// loads of history come with the items they were answered on).
const LOADED_TABLES: [&str; 23] = [
    "people",
    "memberships",
    "programs",
    "concepts",
    "prerequisites",
    "enrolments",
    "goals",
    "evidence",
    "learner_states",
    "learner_concepts",
    "relationships",
    "learning_epochs",
    "questions",
    "question_concepts",
    "conversations",
    "messages",
    "question_log",
    "org_days",
    "person_days",
    "person_weeks",
    "person_last_active",
    "coach_days",
    "program_days",
];

impl Store {
    /// Writes one slice of an organisation's learning history in one
    /// transaction, for benchmarks and imports of history: members (people
    /// created with no password), programs published in version 1 with their
    /// concepts and prerequisites, active enrolments, goals, evidence and the
    /// learner model's state. Returns the rows written. Ids already stored are
    /// a `Duplicate`; the rules of the learning service are not checked (see
    /// the module notes). Loading graph rows bumps the learning epoch, so
    /// running services reload the graph.
    pub async fn bulk_load_learning(&self, org: OrgId, history: &LearningHistory) -> StoreResult<u64> {
        let now = now_ms();
        let graph_changed =
            !(history.programs.is_empty() && history.concepts.is_empty() && history.prerequisites.is_empty());
        let org_text = org.to_string();
        let mut written = 0;
        match &self.pool {
            Pool::Sqlite(pool) => {
                let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                for part in PARTS {
                    let len = part.len(history);
                    for from in (0..len).step_by(CONVERT_ROWS) {
                        let cells = part.rows(history, &org_text, now, from, (from + CONVERT_ROWS).min(len));
                        written += sqlite_write(&mut tx, part.table(), cells).await.map_err(bulk_error)?;
                    }
                }
                if graph_changed {
                    sqlx::query(BUMP_EPOCH).bind(&org_text).execute(&mut *tx).await?;
                }
                tx.commit().await?;
            }
            Pool::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                for part in PARTS {
                    let len = part.len(history);
                    for from in (0..len).step_by(CONVERT_ROWS) {
                        let cells = part.rows(history, &org_text, now, from, (from + CONVERT_ROWS).min(len));
                        written += postgres_write(&mut tx, part.table(), cells).await.map_err(bulk_error)?;
                    }
                }
                if graph_changed {
                    sqlx::query(BUMP_EPOCH).bind(&org_text).execute(&mut *tx).await?;
                }
                tx.commit().await?;
            }
        }
        Ok(written)
    }

    /// Refreshes the planner's statistics of the tables a bulk load filled
    /// (PostgreSQL's autovacuum would get there within minutes; SQLite plans
    /// these queries from their indexes alone, so it is left as it runs in
    /// production).
    pub async fn analyze_after_bulk_load(&self) -> StoreResult<()> {
        if let Pool::Postgres(pool) = &self.pool {
            for table in LOADED_TABLES {
                // Table names come from the constant list above, never from input.
                sqlx::query(&format!("ANALYZE {table}")).execute(pool).await?;
            }
        }
        Ok(())
    }

    /// Each of `people`'s model state on every concept they have evidence on,
    /// without the review schedule. One row per learner: the database packs a
    /// learner's concepts into one JSON array, which costs far less than a row
    /// per concept (SQLite's driver hands rows over one at a time).
    pub async fn concept_standings_of(
        &self,
        org: OrgId,
        people: &[PersonId],
    ) -> StoreResult<Vec<(PersonId, Vec<ConceptStanding>)>> {
        // `[["concept id", state, mastery, evidence count], …]`, put together as text: the state
        // is already JSON, ids need no escaping, and each number is written so it reads back
        // exactly (SQLite's own JSON functions would re-parse the state and round the mastery).
        let packed = match self.pool {
            Pool::Sqlite(_) => {
                "'[' || group_concat('[\"' || concept_id || '\",' || state || ',' || printf('%!.17g', mastery) || ','
                 || evidence_count || ']', ',') || ']'"
            }
            Pool::Postgres(_) => {
                "'[' || string_agg('[\"' || concept_id || '\",' || state || ',' || mastery::text || ','
                 || evidence_count::text || ']', ',') || ']'"
            }
        };
        let mut standings = Vec::new();
        for batch in people.chunks(500) {
            let sql = format!(
                "SELECT person_id, {packed} FROM learner_concepts WHERE org_id = $1 AND person_id IN ({}) GROUP BY person_id",
                marks(batch.len())
            );
            let rows: Vec<(String, String)> = on_pool!(self, pool => {
                let mut q = sqlx::query_as(&sql).bind(org.to_string());
                for person in batch {
                    q = q.bind(person.to_string());
                }
                q.fetch_all(pool).await?
            });
            for (person, packed) in rows {
                let concepts: Vec<(String, ConceptState, f64, i64)> = from_json(&packed, "learner concept states")?;
                let concepts = concepts
                    .into_iter()
                    .map(|(concept, state, mastery, evidence_count)| {
                        Ok(ConceptStanding { concept: parse(&concept, "concept id")?, state, mastery, evidence_count })
                    })
                    .collect::<StoreResult<_>>()?;
                standings.push((parse(&person, "person id")?, concepts));
            }
        }
        Ok(standings)
    }

    /// The programs each of `people` is actively enrolled in, as (learner, program) pairs.
    pub async fn enrolled_programs_of(
        &self,
        org: OrgId,
        people: &[PersonId],
    ) -> StoreResult<Vec<(PersonId, ProgramId)>> {
        let mut pairs = Vec::new();
        for batch in people.chunks(500) {
            let sql = format!(
                "SELECT person_id, program_id FROM enrolments WHERE org_id = $1 AND status = 'active' AND person_id IN ({})",
                marks(batch.len())
            );
            let rows: Vec<(String, String)> = on_pool!(self, pool => {
                let mut q = sqlx::query_as(&sql).bind(org.to_string());
                for person in batch {
                    q = q.bind(person.to_string());
                }
                q.fetch_all(pool).await?
            });
            for (person, program) in rows {
                pairs.push((parse(&person, "person id")?, parse(&program, "program id")?));
            }
        }
        Ok(pairs)
    }

    /// The goals of each of `people`, oldest first per learner.
    pub async fn goals_of(&self, org: OrgId, people: &[PersonId]) -> StoreResult<Vec<GoalRecord>> {
        let mut goals = Vec::new();
        for batch in people.chunks(500) {
            let sql = format!(
                "SELECT id, person_id, kind, title, targets, set_by, created_at, deadline_day FROM goals
                 WHERE org_id = $1 AND person_id IN ({}) ORDER BY person_id, created_at, id",
                marks(batch.len())
            );
            let rows: Vec<crate::learning::GoalRow> = on_pool!(self, pool => {
                let mut q = sqlx::query_as(&sql).bind(org.to_string());
                for person in batch {
                    q = q.bind(person.to_string());
                }
                q.fetch_all(pool).await?
            });
            for row in rows {
                goals.push(row.into_record()?);
            }
        }
        Ok(goals)
    }

    /// The organisation-wide model state of each of `people` who has one.
    pub async fn learner_states_of(
        &self,
        org: OrgId,
        people: &[PersonId],
    ) -> StoreResult<Vec<(PersonId, LearnerState)>> {
        let mut states = Vec::new();
        for batch in people.chunks(500) {
            let sql = format!(
                "SELECT person_id, state FROM learner_states WHERE org_id = $1 AND person_id IN ({})",
                marks(batch.len())
            );
            let rows: Vec<(String, String)> = on_pool!(self, pool => {
                let mut q = sqlx::query_as(&sql).bind(org.to_string());
                for person in batch {
                    q = q.bind(person.to_string());
                }
                q.fetch_all(pool).await?
            });
            for (person, state) in rows {
                if let Some(state) = from_json::<Option<LearnerState>>(&state, "learner state")? {
                    states.push((parse(&person, "person id")?, state));
                }
            }
        }
        Ok(states)
    }
}

/// `$2, $3, …` for `n` values after the organisation's `$1`.
fn marks(n: usize) -> String {
    (0..n).map(|i| format!("${}", i + 2)).collect::<Vec<_>>().join(", ")
}

/// A unique violation in a bulk load names no single field.
pub(crate) fn bulk_error(e: StoreError) -> StoreError {
    match e {
        StoreError::Database(sqlx::Error::Database(db)) if db.is_unique_violation() => StoreError::Duplicate("id"),
        other => other,
    }
}
