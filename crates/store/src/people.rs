//! People: instance-wide identities with an email and a password.

use crate::{Store, StoreResult, duplicate_as, in_tx, on_pool, rows::*};
use wayfinder_accounts_rules::{Person, PersonId};

/// A person to create.
#[derive(Clone, Debug)]
pub struct NewPerson {
    pub email: String,
    pub display_name: String,
    /// Argon2 hash; `None` for someone who has not set a password yet.
    pub password_hash: Option<String>,
    pub is_operator: bool,
}

#[derive(sqlx::FromRow)]
pub(crate) struct PersonRow {
    pub id: String,
    pub email: String,
    pub display_name: String,
    pub is_operator: bool,
    pub created_at: i64,
}

pub(crate) const PERSON_COLUMNS: &str = "p.id, p.email, p.display_name, p.is_operator, p.created_at";

impl PersonRow {
    pub(crate) fn into_person(self) -> StoreResult<Person> {
        Ok(Person {
            id: parse(&self.id, "person id")?,
            email: self.email,
            display_name: self.display_name,
            is_operator: self.is_operator,
            created_at: time(self.created_at),
        })
    }
}

impl Store {
    /// Creates a person; a taken email is [`crate::StoreError::Duplicate`]`("email")`.
    pub async fn create_person(&self, new: &NewPerson) -> StoreResult<Person> {
        let id = PersonId::new();
        let now = now_ms();
        let sql = "INSERT INTO people (id, email, display_name, password_hash, is_operator, created_at)
                   VALUES ($1, $2, $3, $4, $5, $6)";
        on_pool!(self, pool => sqlx::query(sql)
            .bind(id.to_string())
            .bind(&new.email)
            .bind(&new.display_name)
            .bind(&new.password_hash)
            .bind(new.is_operator)
            .bind(now)
            .execute(pool)
            .await
            .map_err(duplicate_as("email"))?.rows_affected());
        Ok(Person {
            id,
            email: new.email.clone(),
            display_name: new.display_name.clone(),
            is_operator: new.is_operator,
            created_at: time(now),
        })
    }

    /// A person by id.
    pub async fn person(&self, id: PersonId) -> StoreResult<Person> {
        let sql = format!("SELECT {PERSON_COLUMNS} FROM people p WHERE p.id = $1");
        let row: PersonRow = on_pool!(self, pool => sqlx::query_as(&sql).bind(id.to_string()).fetch_one(pool).await?);
        row.into_person()
    }

    /// A person by (normalised) email, with their password hash.
    pub async fn person_with_password(&self, email: &str) -> StoreResult<Option<(Person, Option<String>)>> {
        let sql = format!("SELECT {PERSON_COLUMNS}, p.password_hash FROM people p WHERE p.email = $1");
        let found: Option<PersonRowWithHash> =
            on_pool!(self, pool => sqlx::query_as(&sql).bind(email).fetch_optional(pool).await?);
        found
            .map(|r| {
                let hash = r.password_hash.clone();
                Ok((r.person.into_person()?, hash))
            })
            .transpose()
    }

    /// Everyone on the instance, oldest first.
    pub async fn list_people(&self) -> StoreResult<Vec<Person>> {
        let sql = format!("SELECT {PERSON_COLUMNS} FROM people p ORDER BY p.created_at, p.id");
        let rows: Vec<PersonRow> = on_pool!(self, pool => sqlx::query_as(&sql).fetch_all(pool).await?);
        rows.into_iter().map(PersonRow::into_person).collect()
    }

    /// Replaces a person's password and ends all their sessions, in one transaction.
    pub async fn set_password(&self, id: PersonId, password_hash: &str) -> StoreResult<()> {
        in_tx!(self, tx => {
            let done = sqlx::query("UPDATE people SET password_hash = $1 WHERE id = $2")
                .bind(password_hash)
                .bind(id.to_string())
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() == 0 {
                return Err(crate::StoreError::NotFound);
            }
            sqlx::query("DELETE FROM sessions WHERE person_id = $1").bind(id.to_string()).execute(&mut *tx).await?;
        });
        Ok(())
    }

    /// Grants or withdraws instance-operator rights.
    pub async fn set_operator(&self, id: PersonId, is_operator: bool) -> StoreResult<()> {
        let sql = "UPDATE people SET is_operator = $1 WHERE id = $2";
        let done = on_pool!(self, pool => sqlx::query(sql).bind(is_operator).bind(id.to_string()).execute(pool).await?.rows_affected());
        if done == 0 {
            return Err(crate::StoreError::NotFound);
        }
        Ok(())
    }

    /// Whether any instance operator exists yet.
    pub async fn operator_exists(&self) -> StoreResult<bool> {
        let sql = "SELECT COUNT(*) FROM people WHERE is_operator";
        let (n,): (i64,) = on_pool!(self, pool => sqlx::query_as(sql).fetch_one(pool).await?);
        Ok(n > 0)
    }
}

#[derive(sqlx::FromRow)]
struct PersonRowWithHash {
    #[sqlx(flatten)]
    person: PersonRow,
    password_hash: Option<String>,
}
