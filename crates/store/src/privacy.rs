//! A person's data: every row that names them, found from the database's own catalogue (so a
//! table added later is covered without being listed here), for export; and erasure, in one
//! transaction, of everything that is theirs.

use crate::{Backend, MembershipChangeError, Store, StoreError, StoreResult, in_tx, on_pool};
use std::collections::{BTreeMap, HashMap};
use wayfinder_accounts_rules::{OrgId, PersonId};

/// Column names that refer to a person. Every column of the schema with one of these names is
/// searched for the person; a column that looks like a person reference (see
/// [`looks_like_a_person_column`]) but is not listed here fails the schema test.
pub const PERSON_REFERENCE_COLUMNS: &[&str] = &[
    "person_id",
    "owner_id",
    "author_id",
    "actor_id",
    "held_by",
    "from_person",
    "to_person",
    "manager_id",
    "visitor_person_id",
    "created_by",
    "uploaded_by",
    "invited_by",
    "accepted_by",
    "provisioned_by",
    "enrolled_by",
    "recorded_by",
    "set_by",
    "reviewed_by",
    "updated_by",
    "started_by",
];

/// Whether a column's name suggests it holds a person's id.
pub fn looks_like_a_person_column(column: &str) -> bool {
    column.ends_with("_by")
        || column.ends_with("person")
        || column.ends_with("person_id")
        || matches!(column, "owner_id" | "author_id" | "actor_id" | "manager_id" | "user_id" | "member_id")
}

/// Columns whose values are secrets or machine data, withheld from an export.
const WITHHELD: &[&str] = &[
    "password_hash",
    "secret",
    "secret_digest",
    "token_hash",
    "csrf_token",
    "share_token_hash",
    "code_digest",
    "code_challenge",
    "token_digest",
    "private_key_sealed",
    "api_key_sealed",
    "embedding",
    "vector",
];

/// Tables an export or erasure never reads: the migration ledger and the search engines'
/// internal copies (they hold chunk text and terms, never people).
fn is_internal(table: &str) -> bool {
    table.starts_with("_sqlx") || table.starts_with("sqlite_") || table.starts_with("chunks_fts")
}

/// Everything stored about a person, table by table (each row as a JSON object), and the text
/// of the documents they uploaded.
#[derive(Clone, Debug, Default)]
pub struct PersonData {
    pub tables: BTreeMap<String, Vec<serde_json::Value>>,
    /// (document id, title, text in order) of each document they uploaded.
    pub documents: Vec<(String, String, String)>,
}

/// What an erasure removed or changed, by table.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Erasure {
    /// The id that stands for the person in the audit entries that remain.
    pub pseudonym: PersonId,
    pub deleted: BTreeMap<&'static str, u64>,
    /// Records of others that named the person (as author, reviewer, uploader …) and now name
    /// nobody, or the organisation's admin for documents.
    pub unnamed: BTreeMap<&'static str, u64>,
    /// Audit entries rewritten with the pseudonym.
    pub audit_entries: u64,
}

/// Tables whose rows are a person's own by their `person_id`, deleted with them (children before
/// parents).
const OWN_BY_PERSON_ID: &[&str] = &[
    "conversation_sharing",
    "interview_recordings",
    "interviews",
    "nudge_decisions",
    "sequence_steps_taken",
    "sequence_enrolments",
    "outbox",
    "channel_link_codes",
    "email_reply_addresses",
    "reach_preferences",
    "practice_attempts",
    "practice_sessions",
    "evidence",
    "learner_concepts",
    "learner_states",
    "goals",
    "enrolments",
    "program_days",
    "person_days",
    "person_weeks",
    "person_last_active",
    "notifications",
    "alerts",
    "model_usage",
    "memberships",
    "sessions",
    "api_tokens",
    "sso_identities",
    "mfa_factors",
    "mfa_recovery_codes",
    "mfa_challenges",
    "mfa_remembered_devices",
    "oauth_authorization_codes",
    "oauth_grants",
];

/// Records of others that name the person (as author, reviewer, holder …): the record stays and
/// names nobody. (`documents.uploaded_by` passes to an admin instead.)
const UNNAMED: &[(&str, &str)] = &[
    ("messages", "author_id"),
    ("conversations", "held_by"),
    ("practice_attempts", "reviewed_by"),
    ("evidence", "recorded_by"),
    ("goals", "set_by"),
    ("enrolments", "enrolled_by"),
    ("sequence_enrolments", "enrolled_by"),
    ("coach_provisions", "manager_id"),
    ("coach_provisions", "provisioned_by"),
    ("invitations", "invited_by"),
    ("alert_rules", "created_by"),
    ("jobs", "created_by"),
    ("programs", "created_by"),
    ("questions", "created_by"),
    ("sequences", "created_by"),
    ("oauth_clients", "created_by"),
    ("org_model_endpoints", "updated_by"),
    ("interviews", "started_by"),
    ("interview_flows", "created_by"),
    ("interview_flow_versions", "created_by"),
];

/// Person columns accounted for otherwise: audit entries name a pseudonym; documents pass to an
/// admin; a widget's visitor account stands for anonymous visitors, not a person who can ask.
const OTHERWISE: &[(&str, &str)] =
    &[("audit_events", "actor_id"), ("documents", "uploaded_by"), ("widgets", "visitor_person_id")];

/// One statement of an erasure: the rows of `table` it deletes through `columns`.
struct Deletion {
    table: &'static str,
    columns: &'static [&'static str],
    sql: String,
}

/// The erasure's deletions, children before parents (`$1` the person's id, `$2` their e-mail).
fn deletions() -> Vec<Deletion> {
    let own_conversations = "SELECT id FROM conversations WHERE owner_id = $1";
    let special = |table, columns, sql: String| Deletion { table, columns, sql };
    let mut all = vec![
        special("question_log", &["person_id"], "DELETE FROM question_log WHERE person_id = $1".into()),
        special(
            "message_feedback",
            &["person_id"],
            format!(
                "DELETE FROM message_feedback WHERE person_id = $1 OR message_id IN
                   (SELECT id FROM messages WHERE conversation_id IN ({own_conversations}))"
            ),
        ),
        special(
            "conversation_reads",
            &["person_id"],
            format!("DELETE FROM conversation_reads WHERE person_id = $1 OR conversation_id IN ({own_conversations})"),
        ),
        special(
            "widget_sessions",
            &["person_id"],
            format!("DELETE FROM widget_sessions WHERE person_id = $1 OR conversation_id IN ({own_conversations})"),
        ),
        special("messages", &[], format!("DELETE FROM messages WHERE conversation_id IN ({own_conversations})")),
        special("conversations", &["owner_id"], "DELETE FROM conversations WHERE owner_id = $1".into()),
        special(
            "coach_provisions",
            &[],
            "DELETE FROM coach_provisions WHERE invitation_id IN
               (SELECT id FROM invitations WHERE accepted_by = $1 OR lower(email) = lower($2))"
                .into(),
        ),
        special(
            "invitations",
            &["accepted_by"],
            "DELETE FROM invitations WHERE accepted_by = $1 OR lower(email) = lower($2)".into(),
        ),
        special(
            "inbound_events",
            &[],
            "DELETE FROM inbound_events WHERE EXISTS (SELECT 1 FROM channel_accounts a
               WHERE a.person_id = $1 AND a.org_id = inbound_events.org_id AND a.channel = inbound_events.channel
                 AND inbound_events.payload LIKE '%' || a.external_id || '%')"
                .into(),
        ),
        special(
            "oauth_refresh_tokens",
            &[],
            "DELETE FROM oauth_refresh_tokens WHERE grant_id IN (SELECT id FROM oauth_grants WHERE person_id = $1)"
                .into(),
        ),
        special("channel_accounts", &["person_id"], "DELETE FROM channel_accounts WHERE person_id = $1".into()),
        special(
            "relationships",
            &["from_person", "to_person"],
            "DELETE FROM relationships WHERE from_person = $1 OR to_person = $1".into(),
        ),
        special("login_throttle", &[], "DELETE FROM login_throttle WHERE key LIKE '%' || lower($2) || '%'".into()),
    ];
    // The plain ones, in their order, before relationships and the throttle.
    let plain = OWN_BY_PERSON_ID.iter().map(|&table| Deletion {
        table,
        columns: &["person_id"],
        sql: format!("DELETE FROM {table} WHERE person_id = $1"),
    });
    let at = all.len() - 2;
    all.splice(at..at, plain);
    all
}

/// (table, column) pairs that name a person in the schema and that no part of the erasure
/// accounts for: a table added without deciding what erasing a person does to it.
pub fn unaccounted_person_columns(schema: &[(String, String)]) -> Vec<(String, String)> {
    let deletions = deletions();
    schema
        .iter()
        .filter(|(_, column)| looks_like_a_person_column(column))
        .filter(|(table, column)| {
            let (t, c) = (table.as_str(), column.as_str());
            !deletions.iter().any(|d| d.table == t && d.columns.contains(&c))
                && !UNNAMED.contains(&(t, c))
                && !OTHERWISE.contains(&(t, c))
        })
        .cloned()
        .collect()
}

impl Store {
    /// Every (table, column) of the schema, in table order.
    pub async fn schema_columns(&self) -> StoreResult<Vec<(String, String)>> {
        let rows: Vec<(String, String)> = match self.backend() {
            Backend::Sqlite => on_pool!(self, pool => sqlx::query_as(
                "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p
                 WHERE m.type = 'table' ORDER BY m.name, p.cid")
                .fetch_all(pool).await?),
            Backend::Postgres => on_pool!(self, pool => sqlx::query_as(
                "SELECT c.table_name::text, c.column_name::text FROM information_schema.columns c
                   JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
                 WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
                 ORDER BY c.table_name, c.ordinal_position")
                .fetch_all(pool).await?),
        };
        Ok(rows.into_iter().filter(|(table, _)| !is_internal(table)).collect())
    }

    /// The schema's tables.
    pub(crate) async fn schema_tables(&self) -> StoreResult<Vec<String>> {
        Ok(self.tables().await?.into_keys().collect())
    }

    /// The schema's tables with their columns.
    async fn tables(&self) -> StoreResult<BTreeMap<String, Vec<String>>> {
        let mut tables = BTreeMap::<String, Vec<String>>::new();
        for (table, column) in self.schema_columns().await? {
            tables.entry(table).or_default().push(column);
        }
        Ok(tables)
    }

    /// Rows of `table` matching `condition` (over `binds`, all text), each as a JSON object.
    async fn rows_as_json(
        &self,
        table: &str,
        columns: &[String],
        condition: &str,
        binds: &[String],
    ) -> StoreResult<Vec<serde_json::Value>> {
        // Table and column names come from the database's catalogue, never from input.
        let rows: Vec<serde_json::Value> = match &self.pool {
            crate::Pool::Postgres(pool) => {
                let sql = format!("SELECT row_to_json(t)::text FROM {table} t WHERE {condition}");
                let mut query = sqlx::query_as::<_, (String,)>(&sql);
                for value in binds {
                    query = query.bind(value);
                }
                let texts = query.fetch_all(pool).await?;
                texts
                    .into_iter()
                    .map(|(json,)| {
                        serde_json::from_str(&json)
                            .map_err(|e| StoreError::Corrupt(format!("an exported row of {table}: {e}")))
                    })
                    .collect::<StoreResult<_>>()?
            }
            crate::Pool::Sqlite(pool) => {
                // Read column by column in Rust: SQLite's own JSON writes reals with 15 digits, so
                // f64::MAX would come back out of range and 0.1 + 0.2 as 0.3.
                let select: Vec<String> = columns.iter().map(|c| format!("\"{c}\"")).collect();
                let sql = format!("SELECT {} FROM {table} t WHERE {condition}", select.join(", "));
                let mut query = sqlx::query(&sql);
                for value in binds {
                    query = query.bind(value);
                }
                let found = query.fetch_all(pool).await?;
                found.iter().map(|row| sqlite_row_as_json(row, columns)).collect::<StoreResult<_>>()?
            }
        };
        rows.into_iter()
            .map(|mut row| {
                if let Some(object) = row.as_object_mut() {
                    for column in WITHHELD {
                        if object.contains_key(*column) {
                            object.insert((*column).to_string(), serde_json::Value::String("(withheld)".into()));
                        }
                    }
                }
                Ok(row)
            })
            .collect()
    }

    /// Everything that names `person`: every row of every table with a person column holding
    /// their id, their profile, invitations to their address, the messages of their
    /// conversations and the text of the documents they uploaded. With `org`, only rows of that
    /// organisation (and the profile).
    pub async fn person_data(&self, person: PersonId, org: Option<OrgId>) -> StoreResult<PersonData> {
        let id = person.to_string();
        let (email,): (String,) = on_pool!(self, pool => sqlx::query_as("SELECT email FROM people WHERE id = $1")
            .bind(&id).fetch_optional(pool).await?)
        .ok_or(StoreError::NotFound)?;
        let mut data = PersonData::default();
        for (table, columns) in self.tables().await? {
            let mut clauses: Vec<String> = columns
                .iter()
                .filter(|c| PERSON_REFERENCE_COLUMNS.contains(&c.as_str()))
                .map(|c| format!("t.{c} = $1"))
                .collect();
            match table.as_str() {
                "people" => clauses.push("t.id = $1".into()),
                "audit_events" => clauses.push("t.subject = $1".into()),
                "invitations" => clauses.push("lower(t.email) = lower($2)".into()),
                "messages" | "conversation_reads" => {
                    clauses.push("t.conversation_id IN (SELECT id FROM conversations WHERE owner_id = $1)".into())
                }
                _ => {}
            }
            if clauses.is_empty() {
                continue;
            }
            let mut condition = format!("({})", clauses.join(" OR "));
            if let Some(org) = org
                && table != "people"
            {
                // An organisation's share: its rows, and of the rest (sessions, tokens) nothing
                // but reads of its conversations.
                if columns.iter().any(|c| c == "org_id") {
                    condition = format!("{condition} AND t.org_id = '{org}'");
                } else if columns.iter().any(|c| c == "conversation_id") {
                    condition = format!(
                        "{condition} AND t.conversation_id IN (SELECT id FROM conversations WHERE org_id = '{org}')"
                    );
                } else {
                    continue;
                }
            }
            let binds = if condition.contains("$2") { vec![id.clone(), email.clone()] } else { vec![id.clone()] };
            let rows = self.rows_as_json(&table, &columns, &condition, &binds).await?;
            if !rows.is_empty() {
                data.tables.insert(table, rows);
            }
        }
        let documents: Vec<(String, String, String)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT d.id, d.title, c.text FROM documents d JOIN chunks c ON c.document_id = d.id
             WHERE d.uploaded_by = $1 AND ($2 = '' OR d.org_id = $2) ORDER BY d.id, c.position")
            .bind(&id).bind(org.map(|o| o.to_string()).unwrap_or_default()).fetch_all(pool).await?);
        for (document, title, text) in documents {
            match data.documents.last_mut() {
                Some((last, _, body)) if *last == document => {
                    body.push_str("\n\n");
                    body.push_str(&text);
                }
                _ => data.documents.push((document, title, text)),
            }
        }
        Ok(data)
    }

    /// Erases `person`: their own rows go; records of others keep what happened without their
    /// name; documents they uploaded are reassigned to `steward_of` each organisation (an admin,
    /// or nobody); audit entries name a pseudonym instead, without their e-mail or address. One
    /// transaction: it all happens or nothing does, and not at all when they are the last admin
    /// of an organisation.
    pub async fn erase_person(
        &self,
        person: PersonId,
        steward_of: &HashMap<OrgId, PersonId>,
    ) -> Result<Erasure, MembershipChangeError> {
        let id = person.to_string();
        let pseudonym = PersonId::new();
        let (email, name): (String, String) = on_pool!(self, pool => sqlx::query_as(
            "SELECT email, display_name FROM people WHERE id = $1")
            .bind(&id).fetch_optional(pool).await?)
        .ok_or(StoreError::NotFound)?;
        let mut erasure = Erasure { pseudonym, ..Erasure::default() };
        let deletions = deletions();
        let audit_rows: Vec<(String, Option<String>, Option<String>, String)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT id, actor_id, subject, detail FROM audit_events
             WHERE actor_id = $1 OR subject = $1 OR detail LIKE '%' || $1 || '%' OR lower(detail) LIKE '%' || lower($2) || '%'")
            .bind(&id).bind(&email).fetch_all(pool).await?);
        let stewards: Vec<(String, String)> = steward_of.iter().map(|(o, p)| (o.to_string(), p.to_string())).collect();
        let lock = self.org_lock_sql();
        in_tx!(self, tx => {
            let admin_of: Vec<(String,)> =
                sqlx::query_as("SELECT org_id FROM memberships WHERE person_id = $1 AND role = 'admin' ORDER BY org_id")
                    .bind(&id).fetch_all(&mut *tx).await?;
            for (org,) in &admin_of {
                sqlx::query(lock).bind(org).fetch_optional(&mut *tx).await?;
                let (others,): (i64,) = sqlx::query_as(
                    "SELECT COUNT(*) FROM memberships WHERE org_id = $1 AND role = 'admin' AND person_id <> $2")
                    .bind(org).bind(&id).fetch_one(&mut *tx).await?;
                if others == 0 {
                    return Err(MembershipChangeError::LastAdmin);
                }
            }
            for Deletion { table, sql, .. } in &deletions {
                let mut query = sqlx::query(sql).bind(&id);
                if sql.contains("$2") {
                    query = query.bind(&email);
                }
                let n = query.execute(&mut *tx).await?.rows_affected();
                if n > 0 {
                    *erasure.deleted.entry(table).or_default() += n;
                }
            }
            for (org, steward) in &stewards {
                let n = sqlx::query("UPDATE documents SET uploaded_by = $2 WHERE uploaded_by = $1 AND org_id = $3")
                    .bind(&id).bind(steward).bind(org).execute(&mut *tx).await?.rows_affected();
                if n > 0 {
                    *erasure.unnamed.entry("documents").or_default() += n;
                }
            }
            let n = sqlx::query("UPDATE documents SET uploaded_by = NULL WHERE uploaded_by = $1")
                .bind(&id).execute(&mut *tx).await?.rows_affected();
            if n > 0 {
                *erasure.unnamed.entry("documents").or_default() += n;
            }
            for &(table, column) in UNNAMED {
                // Both names are constants above.
                let sql = format!("UPDATE {table} SET {column} = NULL WHERE {column} = $1");
                let n = sqlx::query(&sql).bind(&id).execute(&mut *tx).await?.rows_affected();
                if n > 0 {
                    *erasure.unnamed.entry(table).or_default() += n;
                }
            }
            for (audit_id, actor, subject, detail) in &audit_rows {
                let by_them = actor.as_deref() == Some(id.as_str());
                let detail = serde_json::from_str::<serde_json::Value>(detail)
                    .map(|d| pseudonymise(d, &[(&id, &pseudonym.to_string()), (&email, "(erased)"), (&name, "(erased)")]))
                    .unwrap_or(serde_json::Value::Null);
                let swap = |value: &Option<String>| value.as_ref().map(|v| if *v == id { pseudonym.to_string() } else { v.clone() });
                sqlx::query(
                    "UPDATE audit_events SET actor_id = $2, subject = $3, detail = $4,
                       ip = CASE WHEN $5 THEN NULL ELSE ip END WHERE id = $1")
                    .bind(audit_id).bind(swap(actor)).bind(swap(subject)).bind(detail.to_string()).bind(by_them)
                    .execute(&mut *tx).await?;
            }
            erasure.audit_entries = audit_rows.len() as u64;
            sqlx::query("DELETE FROM people WHERE id = $1").bind(&id).execute(&mut *tx).await?;
            *erasure.deleted.entry("people").or_default() += 1;
        });
        Ok(erasure)
    }
}

/// `value` with every string equal to (or, for ids, containing) one of `swaps`' first halves
/// replaced by its second.
fn pseudonymise(value: serde_json::Value, swaps: &[(&str, &str)]) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::String(s) => {
            let mut out = s;
            for (from, to) in swaps {
                if from.is_empty() {
                    continue;
                }
                if out.eq_ignore_ascii_case(from) {
                    out = (*to).to_string();
                } else if from.len() >= 32 && out.contains(from) {
                    out = out.replace(from, to);
                }
            }
            Value::String(out)
        }
        Value::Array(items) => Value::Array(items.into_iter().map(|v| pseudonymise(v, swaps)).collect()),
        Value::Object(map) => Value::Object(map.into_iter().map(|(k, v)| (k, pseudonymise(v, swaps))).collect()),
        other => other,
    }
}

/// One SQLite row as a JSON object: integers and reals as numbers (a non-finite real as its
/// text), text as strings, blobs as hex, NULL as null.
fn sqlite_row_as_json(row: &sqlx::sqlite::SqliteRow, columns: &[String]) -> StoreResult<serde_json::Value> {
    use sqlx::{Row, TypeInfo, ValueRef};
    let mut object = serde_json::Map::new();
    for (i, column) in columns.iter().enumerate() {
        let raw = row.try_get_raw(i)?;
        let value = if raw.is_null() {
            serde_json::Value::Null
        } else {
            match raw.type_info().name() {
                "INTEGER" => serde_json::Value::from(row.try_get::<i64, _>(i)?),
                "REAL" => {
                    let real = row.try_get::<f64, _>(i)?;
                    serde_json::Number::from_f64(real)
                        .map_or_else(|| serde_json::Value::String(real.to_string()), serde_json::Value::Number)
                }
                "BLOB" => {
                    let bytes = row.try_get::<Vec<u8>, _>(i)?;
                    serde_json::Value::String(bytes.iter().map(|b| format!("{b:02X}")).collect())
                }
                _ => serde_json::Value::String(row.try_get::<String, _>(i)?),
            }
        };
        object.insert(column.clone(), value);
    }
    Ok(serde_json::Value::Object(object))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pseudonymise_replaces_the_person_wherever_they_appear() {
        let id = "0190f0f0-0000-7000-8000-000000000001";
        let detail = serde_json::json!({ "person": id, "email": "Nia@North.example", "name": "Nia New",
            "path": format!("/people/{id}"), "list": ["x", "nia@north.example"], "count": 3 });
        let swapped = pseudonymise(detail, &[(id, "P"), ("nia@north.example", "(erased)"), ("Nia New", "(erased)")]);
        assert_eq!(
            swapped,
            serde_json::json!({ "person": "P", "email": "(erased)", "name": "(erased)", "path": "/people/P",
                "list": ["x", "(erased)"], "count": 3 })
        );
    }

    #[test]
    fn person_columns_are_recognised() {
        for column in PERSON_REFERENCE_COLUMNS {
            assert!(looks_like_a_person_column(column), "{column}");
        }
        assert!(!looks_like_a_person_column("org_id"));
        assert!(!looks_like_a_person_column("person_daily_tokens"));
        assert!(looks_like_a_person_column("approved_by") && looks_like_a_person_column("to_person"));
    }
}
