//! Organisations, memberships and relationships. Every query here is scoped
//! by organisation id, so a record from another organisation reads as missing.

use crate::{
    Backend, Store, StoreError, StoreResult, duplicate_as, in_tx, on_pool,
    people::{PERSON_COLUMNS, PersonRow},
    rows::*,
};
use wayfinder_accounts_rules::{
    Member, OrgId, Organisation, PersonId, Relationship, RelationshipId, RelationshipKind, Role,
};

#[derive(sqlx::FromRow)]
struct OrgRow {
    id: String,
    slug: String,
    name: String,
    created_at: i64,
}

impl OrgRow {
    fn into_org(self) -> StoreResult<Organisation> {
        Ok(Organisation {
            id: parse(&self.id, "org id")?,
            slug: self.slug,
            name: self.name,
            created_at: time(self.created_at),
        })
    }
}

#[derive(sqlx::FromRow)]
struct OrgWithRoleRow {
    #[sqlx(flatten)]
    org: OrgRow,
    role: String,
}

#[derive(sqlx::FromRow)]
struct MemberRow {
    #[sqlx(flatten)]
    person: PersonRow,
    role: String,
    joined_at: i64,
}

#[derive(sqlx::FromRow)]
struct RelationshipRow {
    id: String,
    org_id: String,
    kind: String,
    from_person: String,
    to_person: String,
    created_at: i64,
}

impl RelationshipRow {
    fn into_relationship(self) -> StoreResult<Relationship> {
        Ok(Relationship {
            id: parse(&self.id, "relationship id")?,
            org_id: parse(&self.org_id, "org id")?,
            kind: parse(&self.kind, "relationship kind")?,
            from_person: parse(&self.from_person, "person id")?,
            to_person: parse(&self.to_person, "person id")?,
            created_at: time(self.created_at),
        })
    }
}

/// Why a membership change that must keep an admin did not happen.
#[derive(Debug, thiserror::Error)]
pub enum MembershipChangeError {
    /// The change would leave the organisation without an admin.
    #[error("an organisation must keep at least one admin")]
    LastAdmin,
    /// The organisation or membership is missing, or storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for MembershipChangeError {
    fn from(e: sqlx::Error) -> Self {
        MembershipChangeError::Store(e.into())
    }
}

/// A role change as it was applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RoleChanged {
    /// The role held before.
    pub from: Role,
    /// Relationships ended because they no longer fit the new role;
    /// `None` when the role was already the asked one and nothing changed.
    pub relationships_ended: Option<u64>,
}

/// Inside a membership transaction holding the organisation's lock: refuses
/// with [`MembershipChangeError::LastAdmin`] unless the organisation has
/// another admin besides the one about to stop being one.
macro_rules! ensure_another_admin {
    ($tx:ident, $org:expr) => {
        let (admins,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM memberships WHERE org_id = $1 AND role = $2")
            .bind($org)
            .bind(Role::Admin.as_str())
            .fetch_one(&mut *$tx)
            .await?;
        if admins <= 1 {
            return Err(MembershipChangeError::LastAdmin);
        }
    };
}

/// The relationship ends a member holding `role` can no longer occupy: each
/// kind with the column (`from_person` or `to_person`) whose role does not fit.
fn unfit_relationship_ends(role: Role) -> impl Iterator<Item = (RelationshipKind, &'static str)> {
    RelationshipKind::ALL.into_iter().flat_map(move |kind| {
        let (from_role, to_role) = kind.roles();
        [(from_role, "from_person"), (to_role, "to_person")]
            .into_iter()
            .filter(move |(needed, _)| *needed != role)
            .map(move |(_, column)| (kind, column))
    })
}

const ORG_COLUMNS: &str = "o.id, o.slug, o.name, o.created_at";
const REL_COLUMNS: &str = "r.id, r.org_id, r.kind, r.from_person, r.to_person, r.created_at";

impl Store {
    /// Creates an organisation; a taken slug is `Duplicate("slug")`.
    pub async fn create_org(&self, slug: &str, name: &str) -> StoreResult<Organisation> {
        let org = Organisation {
            id: OrgId::new(),
            slug: slug.to_string(),
            name: name.to_string(),
            created_at: time(now_ms()),
        };
        let sql = "INSERT INTO organisations (id, slug, name, created_at) VALUES ($1, $2, $3, $4)";
        on_pool!(self, pool => sqlx::query(sql)
            .bind(org.id.to_string())
            .bind(&org.slug)
            .bind(&org.name)
            .bind(org.created_at.timestamp_millis())
            .execute(pool)
            .await
            .map_err(duplicate_as("slug"))?.rows_affected());
        Ok(org)
    }

    /// Creates an organisation with `admin` as its first admin, in one transaction.
    pub async fn create_org_with_admin(&self, slug: &str, name: &str, admin: PersonId) -> StoreResult<Organisation> {
        let org = Organisation {
            id: OrgId::new(),
            slug: slug.to_string(),
            name: name.to_string(),
            created_at: time(now_ms()),
        };
        let created = org.created_at.timestamp_millis();
        in_tx!(self, tx => {
            sqlx::query("INSERT INTO organisations (id, slug, name, created_at) VALUES ($1, $2, $3, $4)")
                .bind(org.id.to_string()).bind(&org.slug).bind(&org.name).bind(created)
                .execute(&mut *tx).await.map_err(duplicate_as("slug"))?;
            sqlx::query("INSERT INTO memberships (org_id, person_id, role, created_at) VALUES ($1, $2, $3, $4)")
                .bind(org.id.to_string()).bind(admin.to_string()).bind(Role::Admin.as_str()).bind(created)
                .execute(&mut *tx).await?;
        });
        Ok(org)
    }

    /// An organisation by id.
    pub async fn org(&self, id: OrgId) -> StoreResult<Organisation> {
        let sql = format!("SELECT {ORG_COLUMNS} FROM organisations o WHERE o.id = $1");
        let row: OrgRow = on_pool!(self, pool => sqlx::query_as(&sql).bind(id.to_string()).fetch_one(pool).await?);
        row.into_org()
    }

    /// An organisation by slug.
    pub async fn org_by_slug(&self, slug: &str) -> StoreResult<Organisation> {
        let sql = format!("SELECT {ORG_COLUMNS} FROM organisations o WHERE o.slug = $1");
        let row: OrgRow = on_pool!(self, pool => sqlx::query_as(&sql).bind(slug).fetch_one(pool).await?);
        row.into_org()
    }

    /// Every organisation on the instance, by name.
    pub async fn list_orgs(&self) -> StoreResult<Vec<Organisation>> {
        let sql = format!("SELECT {ORG_COLUMNS} FROM organisations o ORDER BY o.name, o.id");
        let rows: Vec<OrgRow> = on_pool!(self, pool => sqlx::query_as(&sql).fetch_all(pool).await?);
        rows.into_iter().map(OrgRow::into_org).collect()
    }

    /// The organisations a person belongs to, with their role in each.
    pub async fn orgs_of(&self, person: PersonId) -> StoreResult<Vec<(Organisation, Role)>> {
        let sql = format!(
            "SELECT {ORG_COLUMNS}, m.role FROM memberships m JOIN organisations o ON o.id = m.org_id
             WHERE m.person_id = $1 ORDER BY o.name, o.id"
        );
        let rows: Vec<OrgWithRoleRow> =
            on_pool!(self, pool => sqlx::query_as(&sql).bind(person.to_string()).fetch_all(pool).await?);
        rows.into_iter().map(|r| Ok((r.org.into_org()?, parse(&r.role, "role")?))).collect()
    }

    /// Renames an organisation.
    pub async fn rename_org(&self, id: OrgId, name: &str) -> StoreResult<Organisation> {
        let sql = "UPDATE organisations SET name = $1 WHERE id = $2";
        let done = on_pool!(self, pool => sqlx::query(sql).bind(name).bind(id.to_string()).execute(pool).await?.rows_affected());
        if done == 0 {
            return Err(StoreError::NotFound);
        }
        self.org(id).await
    }

    /// Deletes an organisation and everything in it. Its knowledge collections
    /// must be deleted first (`delete_collection` cleans the lexical index).
    pub async fn delete_org(&self, id: OrgId) -> StoreResult<()> {
        let sql = "DELETE FROM organisations WHERE id = $1";
        let done = on_pool!(self, pool => sqlx::query(sql).bind(id.to_string()).execute(pool).await?.rows_affected());
        if done == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Adds a person to an organisation; an existing membership is `Duplicate("membership")`.
    pub async fn add_member(&self, org: OrgId, person: PersonId, role: Role) -> StoreResult<()> {
        let sql = "INSERT INTO memberships (org_id, person_id, role, created_at) VALUES ($1, $2, $3, $4)";
        on_pool!(self, pool => sqlx::query(sql)
            .bind(org.to_string())
            .bind(person.to_string())
            .bind(role.as_str())
            .bind(now_ms())
            .execute(pool)
            .await
            .map_err(duplicate_as("membership"))?.rows_affected());
        Ok(())
    }

    /// A person's role in an organisation, if they are a member.
    pub async fn role_in(&self, org: OrgId, person: PersonId) -> StoreResult<Option<Role>> {
        let sql = "SELECT role FROM memberships WHERE org_id = $1 AND person_id = $2";
        let row: Option<(String,)> = on_pool!(self, pool => sqlx::query_as(sql)
            .bind(org.to_string())
            .bind(person.to_string())
            .fetch_optional(pool)
            .await?);
        row.map(|(r,)| parse(&r, "role")).transpose()
    }

    /// One member of an organisation.
    pub async fn member(&self, org: OrgId, person: PersonId) -> StoreResult<Member> {
        let sql = format!(
            "SELECT {PERSON_COLUMNS}, m.role, m.created_at AS joined_at FROM memberships m
             JOIN people p ON p.id = m.person_id WHERE m.org_id = $1 AND m.person_id = $2"
        );
        let row: MemberRow = on_pool!(self, pool => sqlx::query_as(&sql)
            .bind(org.to_string())
            .bind(person.to_string())
            .fetch_one(pool)
            .await?);
        member_from(row)
    }

    /// Every member of an organisation, by name.
    pub async fn list_members(&self, org: OrgId) -> StoreResult<Vec<Member>> {
        let sql = format!(
            "SELECT {PERSON_COLUMNS}, m.role, m.created_at AS joined_at FROM memberships m
             JOIN people p ON p.id = m.person_id WHERE m.org_id = $1 ORDER BY p.display_name, p.id"
        );
        let rows: Vec<MemberRow> =
            on_pool!(self, pool => sqlx::query_as(&sql).bind(org.to_string()).fetch_all(pool).await?);
        rows.into_iter().map(member_from).collect()
    }

    /// Changes a member's role. Relationships that no longer fit the new role
    /// are removed in the same transaction; returns how many. Does not keep an
    /// admin: the API goes through [`Store::set_role_keeping_an_admin`].
    pub async fn set_role(&self, org: OrgId, person: PersonId, role: Role) -> StoreResult<u64> {
        let (org_s, person_s) = (org.to_string(), person.to_string());
        let removed = in_tx!(self, tx => {
            let done = sqlx::query("UPDATE memberships SET role = $1 WHERE org_id = $2 AND person_id = $3")
                .bind(role.as_str())
                .bind(&org_s)
                .bind(&person_s)
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            let mut removed = 0;
            for (kind, column) in unfit_relationship_ends(role) {
                removed += sqlx::query(&format!("DELETE FROM relationships WHERE org_id = $1 AND kind = $2 AND {column} = $3"))
                    .bind(&org_s).bind(kind.as_str()).bind(&person_s)
                    .execute(&mut *tx).await?.rows_affected();
            }
            removed
        });
        Ok(removed)
    }

    /// Changes a member's role unless that would leave the organisation
    /// without an admin, deciding and writing in one transaction that holds
    /// the organisation's lock, so two admins demoting each other at once
    /// cannot both pass the check. Relationships that no longer fit the new
    /// role end in the same transaction. A role equal to the current one
    /// changes nothing.
    pub async fn set_role_keeping_an_admin(
        &self,
        org: OrgId,
        person: PersonId,
        role: Role,
    ) -> Result<RoleChanged, MembershipChangeError> {
        let (org_s, person_s) = (org.to_string(), person.to_string());
        let lock = self.org_lock_sql();
        let changed = in_tx!(self, tx => {
            sqlx::query(lock).bind(&org_s).fetch_optional(&mut *tx).await?.ok_or(StoreError::NotFound)?;
            let (from,): (String,) = sqlx::query_as("SELECT role FROM memberships WHERE org_id = $1 AND person_id = $2")
                .bind(&org_s).bind(&person_s).fetch_optional(&mut *tx).await?.ok_or(StoreError::NotFound)?;
            let from: Role = parse(&from, "role")?;
            if from == role {
                return Ok(RoleChanged { from, relationships_ended: None });
            }
            if from == Role::Admin {
                ensure_another_admin!(tx, &org_s);
            }
            sqlx::query("UPDATE memberships SET role = $1 WHERE org_id = $2 AND person_id = $3")
                .bind(role.as_str()).bind(&org_s).bind(&person_s)
                .execute(&mut *tx).await?;
            let mut removed = 0;
            for (kind, column) in unfit_relationship_ends(role) {
                removed += sqlx::query(&format!("DELETE FROM relationships WHERE org_id = $1 AND kind = $2 AND {column} = $3"))
                    .bind(&org_s).bind(kind.as_str()).bind(&person_s)
                    .execute(&mut *tx).await?.rows_affected();
            }
            RoleChanged { from, relationships_ended: Some(removed) }
        });
        Ok(changed)
    }

    /// Removes a member (their relationships go with them) unless they are the
    /// organisation's last admin; decided and written in one transaction that
    /// holds the organisation's lock, like [`Store::set_role_keeping_an_admin`].
    pub async fn remove_member_keeping_an_admin(
        &self,
        org: OrgId,
        person: PersonId,
    ) -> Result<Role, MembershipChangeError> {
        let (org_s, person_s) = (org.to_string(), person.to_string());
        let lock = self.org_lock_sql();
        let role = in_tx!(self, tx => {
            sqlx::query(lock).bind(&org_s).fetch_optional(&mut *tx).await?.ok_or(StoreError::NotFound)?;
            let (role,): (String,) = sqlx::query_as("SELECT role FROM memberships WHERE org_id = $1 AND person_id = $2")
                .bind(&org_s).bind(&person_s).fetch_optional(&mut *tx).await?.ok_or(StoreError::NotFound)?;
            let role: Role = parse(&role, "role")?;
            if role == Role::Admin {
                ensure_another_admin!(tx, &org_s);
            }
            sqlx::query("DELETE FROM memberships WHERE org_id = $1 AND person_id = $2")
                .bind(&org_s).bind(&person_s).execute(&mut *tx).await?;
            role
        });
        Ok(role)
    }

    /// The statement that takes an organisation's lock for a membership change.
    /// SQLite's write transaction (`BEGIN IMMEDIATE`) already excludes every
    /// other writer, so there it only checks the organisation exists; PostgreSQL
    /// locks the row so concurrent changes to one organisation's members queue.
    /// `NO KEY UPDATE` still lets memberships be inserted meanwhile (their
    /// foreign key only takes a key-share lock).
    pub(crate) fn org_lock_sql(&self) -> &'static str {
        match self.backend() {
            Backend::Sqlite => "SELECT id FROM organisations WHERE id = $1",
            Backend::Postgres => "SELECT id FROM organisations WHERE id = $1 FOR NO KEY UPDATE",
        }
    }

    /// Counts members holding `role`.
    pub async fn count_role(&self, org: OrgId, role: Role) -> StoreResult<i64> {
        let sql = "SELECT COUNT(*) FROM memberships WHERE org_id = $1 AND role = $2";
        let (n,): (i64,) = on_pool!(self, pool => sqlx::query_as(sql).bind(org.to_string()).bind(role.as_str()).fetch_one(pool).await?);
        Ok(n)
    }

    /// Creates a relationship. Both people must be members (else `MissingReference`);
    /// the same relationship twice is `Duplicate("relationship")`. Role fit is the caller's rule.
    pub async fn create_relationship(
        &self,
        org: OrgId,
        kind: RelationshipKind,
        from: PersonId,
        to: PersonId,
    ) -> StoreResult<Relationship> {
        let rel = Relationship {
            id: RelationshipId::new(),
            org_id: org,
            kind,
            from_person: from,
            to_person: to,
            created_at: time(now_ms()),
        };
        let sql = "INSERT INTO relationships (id, org_id, kind, from_person, to_person, created_at)
                   VALUES ($1, $2, $3, $4, $5, $6)";
        on_pool!(self, pool => sqlx::query(sql)
            .bind(rel.id.to_string())
            .bind(org.to_string())
            .bind(kind.as_str())
            .bind(from.to_string())
            .bind(to.to_string())
            .bind(rel.created_at.timestamp_millis())
            .execute(pool)
            .await
            .map_err(duplicate_as("relationship"))?.rows_affected());
        Ok(rel)
    }

    /// One relationship of an organisation.
    pub async fn relationship(&self, org: OrgId, id: RelationshipId) -> StoreResult<Relationship> {
        let sql = format!("SELECT {REL_COLUMNS} FROM relationships r WHERE r.org_id = $1 AND r.id = $2");
        let row: RelationshipRow = on_pool!(self, pool => sqlx::query_as(&sql)
            .bind(org.to_string()).bind(id.to_string()).fetch_one(pool).await?);
        row.into_relationship()
    }

    /// Every relationship of an organisation, oldest first.
    pub async fn list_relationships(&self, org: OrgId) -> StoreResult<Vec<Relationship>> {
        let sql = format!("SELECT {REL_COLUMNS} FROM relationships r WHERE r.org_id = $1 ORDER BY r.created_at, r.id");
        let rows: Vec<RelationshipRow> =
            on_pool!(self, pool => sqlx::query_as(&sql).bind(org.to_string()).fetch_all(pool).await?);
        rows.into_iter().map(RelationshipRow::into_relationship).collect()
    }

    /// The relationships the permission policy needs for `person`: every one
    /// touching them, plus those of the coaches they manage.
    pub async fn relationships_near(&self, org: OrgId, person: PersonId) -> StoreResult<Vec<Relationship>> {
        // A union of three index lookups: one condition joined by OR would read every
        // relationship of the organisation.
        let sql = format!(
            "SELECT {REL_COLUMNS} FROM relationships r WHERE r.org_id = $1 AND r.from_person = $2
             UNION SELECT {REL_COLUMNS} FROM relationships r WHERE r.org_id = $1 AND r.to_person = $2
             UNION SELECT {REL_COLUMNS} FROM relationships r WHERE r.org_id = $1 AND r.from_person IN (
                 SELECT m.to_person FROM relationships m
                 WHERE m.org_id = $1 AND m.kind = 'manager_coach' AND m.from_person = $2)
             ORDER BY created_at, id"
        );
        let rows: Vec<RelationshipRow> = on_pool!(self, pool => sqlx::query_as(&sql)
            .bind(org.to_string()).bind(person.to_string()).fetch_all(pool).await?);
        rows.into_iter().map(RelationshipRow::into_relationship).collect()
    }

    /// Deletes a relationship of an organisation.
    pub async fn delete_relationship(&self, org: OrgId, id: RelationshipId) -> StoreResult<()> {
        let sql = "DELETE FROM relationships WHERE org_id = $1 AND id = $2";
        let done = on_pool!(self, pool => sqlx::query(sql).bind(org.to_string()).bind(id.to_string()).execute(pool).await?.rows_affected());
        if done == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}

fn member_from(row: MemberRow) -> StoreResult<Member> {
    Ok(Member { person: row.person.into_person()?, role: parse(&row.role, "role")?, joined_at: time(row.joined_at) })
}
