//! Authoring flows: the built-in templates, writing a flow (each save a new
//! version; interviews under way keep theirs), reading any version, and
//! deleting a flow no interview has run on. A flow's spec is what is exported
//! and imported as JSON.

use crate::{Interviews, InterviewsError, InterviewsResult};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use wayfinder_accounts_rules::{OrgId, PersonId};
use wayfinder_interviews_rules::{
    InterviewFlowId,
    flow::{FlowSpec, check_flow},
    templates::templates,
};
use wayfinder_store::InterviewFlowRecord;

/// A flow as the API shows it: one version's spec with the flow's history.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct InterviewFlow {
    #[schema(value_type = String)]
    pub id: InterviewFlowId,
    /// The version `spec` is.
    pub version: i64,
    /// The version new interviews start on.
    pub current_version: i64,
    pub spec: FlowSpec,
    /// Interviews run on any version of it.
    pub interviews: i64,
    #[schema(value_type = Option<String>)]
    pub created_by: Option<PersonId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<InterviewFlowRecord> for InterviewFlow {
    fn from(r: InterviewFlowRecord) -> Self {
        InterviewFlow {
            id: r.id,
            version: r.version,
            current_version: r.current_version,
            spec: r.spec,
            interviews: r.interviews,
            created_by: r.created_by,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

fn checked(spec: FlowSpec) -> InterviewsResult<FlowSpec> {
    check_flow(&spec).map_err(|e| InterviewsError::Invalid { field: e.field, message: e.message })?;
    Ok(spec)
}

impl Interviews {
    /// The built-in flows to start from.
    pub fn templates(&self) -> Vec<FlowSpec> {
        templates()
    }

    /// The organisation's flows, at their current versions.
    pub async fn flows(&self, org: OrgId) -> InterviewsResult<Vec<InterviewFlow>> {
        Ok(self.store.interview_flows(org).await?.into_iter().map(InterviewFlow::from).collect())
    }

    /// A flow at `version` (its current one when `None`).
    pub async fn flow(&self, org: OrgId, id: InterviewFlowId, version: Option<i64>) -> InterviewsResult<InterviewFlow> {
        Ok(self.store.interview_flow(org, id, version).await?.into())
    }

    /// Saves a new flow (written, imported or copied from a template), checked first.
    pub async fn create_flow(&self, org: OrgId, spec: FlowSpec, by: PersonId) -> InterviewsResult<InterviewFlow> {
        let spec = checked(spec)?;
        let id = InterviewFlowId::new();
        self.store.create_interview_flow(org, id, &spec, Some(by)).await?;
        self.flow(org, id, None).await
    }

    /// Saves a flow's next version, checked first.
    pub async fn update_flow(
        &self,
        org: OrgId,
        id: InterviewFlowId,
        spec: FlowSpec,
        by: PersonId,
    ) -> InterviewsResult<InterviewFlow> {
        let spec = checked(spec)?;
        let version = self.store.save_interview_flow_version(org, id, &spec, Some(by)).await?;
        self.flow(org, id, Some(version)).await
    }

    /// Deletes a flow no interview has run on.
    pub async fn delete_flow(&self, org: OrgId, id: InterviewFlowId) -> InterviewsResult<()> {
        Ok(self.store.delete_interview_flow(org, id).await?)
    }
}
