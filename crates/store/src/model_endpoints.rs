//! Organisations' own model endpoints (chat, embedding), their API keys sealed by the caller.

use crate::{Store, StoreResult, on_pool, rows::*};
use chrono::{DateTime, Utc};
use wayfinder_accounts_rules::{OrgId, PersonId};

/// An organisation's endpoint of one kind (`chat` or `embedding`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelEndpointRecord {
    pub org: OrgId,
    pub kind: String,
    pub base_url: String,
    pub model: String,
    /// Sealed with the server key for the record `model-endpoint:<org>:<kind>`.
    pub api_key_sealed: Option<String>,
    /// The key's last four characters.
    pub api_key_hint: Option<String>,
    pub updated_by: Option<PersonId>,
    pub updated_at: DateTime<Utc>,
}

type Row = (String, String, String, String, Option<String>, Option<String>, Option<String>, i64);
const COLUMNS: &str = "org_id, kind, base_url, model, api_key_sealed, api_key_hint, updated_by, updated_at";

fn record(row: Row) -> StoreResult<ModelEndpointRecord> {
    let (org, kind, base_url, model, api_key_sealed, api_key_hint, updated_by, updated_at) = row;
    Ok(ModelEndpointRecord {
        org: parse(&org, "org id")?,
        kind,
        base_url,
        model,
        api_key_sealed,
        api_key_hint,
        updated_by: updated_by.map(|p| parse(&p, "person id")).transpose()?,
        updated_at: time(updated_at),
    })
}

impl Store {
    /// The organisation's endpoints.
    pub async fn model_endpoints(&self, org: OrgId) -> StoreResult<Vec<ModelEndpointRecord>> {
        let sql = format!("SELECT {COLUMNS} FROM org_model_endpoints WHERE org_id = $1 ORDER BY kind");
        let rows: Vec<Row> = on_pool!(self, pool => sqlx::query_as(&sql).bind(org.to_string()).fetch_all(pool).await?);
        rows.into_iter().map(record).collect()
    }

    /// The organisation's endpoint of `kind`, if it has one.
    pub async fn model_endpoint(&self, org: OrgId, kind: &str) -> StoreResult<Option<ModelEndpointRecord>> {
        let sql = format!("SELECT {COLUMNS} FROM org_model_endpoints WHERE org_id = $1 AND kind = $2");
        let row: Option<Row> =
            on_pool!(self, pool => sqlx::query_as(&sql).bind(org.to_string()).bind(kind).fetch_optional(pool).await?);
        row.map(record).transpose()
    }

    /// Every organisation's endpoints (to seal their keys again after a server key change).
    pub async fn all_model_endpoints(&self) -> StoreResult<Vec<ModelEndpointRecord>> {
        let sql = format!("SELECT {COLUMNS} FROM org_model_endpoints ORDER BY org_id, kind");
        let rows: Vec<Row> = on_pool!(self, pool => sqlx::query_as(&sql).fetch_all(pool).await?);
        rows.into_iter().map(record).collect()
    }

    /// Sets (creates or replaces) an endpoint.
    pub async fn put_model_endpoint(&self, endpoint: &ModelEndpointRecord) -> StoreResult<()> {
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO org_model_endpoints (org_id, kind, base_url, model, api_key_sealed, api_key_hint, updated_by, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (org_id, kind) DO UPDATE SET base_url = excluded.base_url, model = excluded.model,
               api_key_sealed = excluded.api_key_sealed, api_key_hint = excluded.api_key_hint,
               updated_by = excluded.updated_by, updated_at = excluded.updated_at")
            .bind(endpoint.org.to_string()).bind(&endpoint.kind).bind(&endpoint.base_url).bind(&endpoint.model)
            .bind(&endpoint.api_key_sealed).bind(&endpoint.api_key_hint)
            .bind(endpoint.updated_by.map(|p| p.to_string())).bind(endpoint.updated_at.timestamp_millis())
            .execute(pool).await.map(|_| ())?);
        Ok(())
    }

    /// Replaces an endpoint's sealed key (sealed again with a new server key).
    pub async fn reseal_model_endpoint_key(&self, org: OrgId, kind: &str, sealed: &str) -> StoreResult<()> {
        on_pool!(self, pool => sqlx::query("UPDATE org_model_endpoints SET api_key_sealed = $3 WHERE org_id = $1 AND kind = $2")
            .bind(org.to_string()).bind(kind).bind(sealed).execute(pool).await.map(|_| ())?);
        Ok(())
    }

    /// Removes an endpoint; false when there was none.
    pub async fn delete_model_endpoint(&self, org: OrgId, kind: &str) -> StoreResult<bool> {
        let n = on_pool!(self, pool => sqlx::query("DELETE FROM org_model_endpoints WHERE org_id = $1 AND kind = $2")
            .bind(org.to_string()).bind(kind).execute(pool).await?.rows_affected());
        Ok(n == 1)
    }
}
