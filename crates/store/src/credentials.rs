//! Sessions, personal API tokens, sign-in throttling and the one-time setup
//! link. Secrets are stored only as digests; revoking deletes or stamps the
//! row, so the next request with that secret fails at once.

use crate::mfa::MFA_STANDING_COLUMNS;
use crate::{
    Store, StoreError, StoreResult, in_tx, on_pool,
    people::{NewPerson, PERSON_COLUMNS, PersonRow},
    rows::*,
};
use chrono::{DateTime, Utc};
use wayfinder_accounts_rules::{Person, PersonId, SessionId, TokenId};

/// A session to create.
#[derive(Clone, Debug)]
pub struct NewSession {
    pub person: PersonId,
    pub secret_digest: String,
    pub csrf_token: String,
    /// Absolute expiry: the session ends then whatever its activity.
    pub expires_at: DateTime<Utc>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// A stored session (without its secret).
#[derive(Clone, Debug, PartialEq)]
pub struct Session {
    pub id: SessionId,
    pub person: PersonId,
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// A session found by its secret, with its owner.
#[derive(Clone, Debug)]
pub struct SessionAuth {
    pub session: Session,
    pub person: Person,
    pub mfa: crate::MfaStanding,
}

/// A personal API token (without its secret).
#[derive(Clone, Debug, PartialEq)]
pub struct ApiToken {
    pub id: TokenId,
    pub person: PersonId,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A token found by its secret, with its owner.
#[derive(Clone, Debug)]
pub struct TokenAuth {
    pub token: ApiToken,
    pub person: Person,
    pub mfa: crate::MfaStanding,
}

/// The state of sign-in throttling for one key after a failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoginThrottle {
    /// Failures inside the current window.
    pub failures: i64,
    /// Set when the key is locked out.
    pub locked_until: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    session_id: String,
    person_id: String,
    csrf_token: String,
    session_created_at: i64,
    last_seen_at: i64,
    expires_at: i64,
    ip: Option<String>,
    user_agent: Option<String>,
}

impl SessionRow {
    fn into_session(self) -> StoreResult<Session> {
        Ok(Session {
            id: parse(&self.session_id, "session id")?,
            person: parse(&self.person_id, "person id")?,
            csrf_token: self.csrf_token,
            created_at: time(self.session_created_at),
            last_seen_at: time(self.last_seen_at),
            expires_at: time(self.expires_at),
            ip: self.ip,
            user_agent: self.user_agent,
        })
    }
}

#[derive(sqlx::FromRow)]
struct SessionAuthRow {
    #[sqlx(flatten)]
    session: SessionRow,
    #[sqlx(flatten)]
    person: PersonRow,
    mfa_enabled: bool,
    mfa_required_as_admin: bool,
}

#[derive(sqlx::FromRow)]
struct TokenRow {
    token_id: String,
    person_id: String,
    name: String,
    token_created_at: i64,
    expires_at: i64,
    last_used_at: Option<i64>,
    revoked_at: Option<i64>,
}

impl TokenRow {
    fn into_token(self) -> StoreResult<ApiToken> {
        Ok(ApiToken {
            id: parse(&self.token_id, "token id")?,
            person: parse(&self.person_id, "person id")?,
            name: self.name,
            created_at: time(self.token_created_at),
            expires_at: time(self.expires_at),
            last_used_at: opt_time(self.last_used_at),
            revoked_at: opt_time(self.revoked_at),
        })
    }
}

#[derive(sqlx::FromRow)]
struct TokenAuthRow {
    #[sqlx(flatten)]
    token: TokenRow,
    #[sqlx(flatten)]
    person: PersonRow,
    mfa_enabled: bool,
    mfa_required_as_admin: bool,
}

// Aliased so a join with `people` (which also has `id` and `created_at`) stays unambiguous.
const SESSION_COLUMNS: &str = "s.id AS session_id, s.person_id, s.csrf_token, s.created_at AS session_created_at, \
                               s.last_seen_at, s.expires_at, s.ip, s.user_agent";
const TOKEN_COLUMNS: &str = "t.id AS token_id, t.person_id, t.name, t.created_at AS token_created_at, \
                             t.expires_at, t.last_used_at, t.revoked_at";

impl Store {
    /// Stores a new session.
    pub async fn create_session(&self, new: &NewSession) -> StoreResult<Session> {
        let now = now_ms();
        let session = Session {
            id: SessionId::new(),
            person: new.person,
            csrf_token: new.csrf_token.clone(),
            created_at: time(now),
            last_seen_at: time(now),
            expires_at: new.expires_at,
            ip: new.ip.clone(),
            user_agent: new.user_agent.clone(),
        };
        let sql = "INSERT INTO sessions (id, person_id, secret_digest, csrf_token, created_at, last_seen_at, expires_at, ip, user_agent)
                   VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8)";
        on_pool!(self, pool => sqlx::query(sql)
            .bind(session.id.to_string())
            .bind(new.person.to_string())
            .bind(&new.secret_digest)
            .bind(&new.csrf_token)
            .bind(now)
            .bind(new.expires_at.timestamp_millis())
            .bind(&new.ip)
            .bind(&new.user_agent)
            .execute(pool)
            .await?.rows_affected());
        Ok(session)
    }

    /// The session whose secret has this digest, with its owner.
    pub async fn session_by_digest(&self, digest: &str) -> StoreResult<Option<SessionAuth>> {
        let sql = format!(
            "SELECT {SESSION_COLUMNS}, {PERSON_COLUMNS}, {MFA_STANDING_COLUMNS} FROM sessions s JOIN people p ON p.id = s.person_id
             WHERE s.secret_digest = $1"
        );
        let row: Option<SessionAuthRow> =
            on_pool!(self, pool => sqlx::query_as(&sql).bind(digest).fetch_optional(pool).await?);
        row.map(|r| {
            let mfa = crate::MfaStanding { enabled: r.mfa_enabled, required_as_admin: r.mfa_required_as_admin };
            Ok(SessionAuth { session: r.session.into_session()?, person: r.person.into_person()?, mfa })
        })
        .transpose()
    }

    /// Records activity on a session (for idle expiry).
    pub async fn touch_session(&self, id: SessionId, at: DateTime<Utc>) -> StoreResult<()> {
        let sql = "UPDATE sessions SET last_seen_at = $1 WHERE id = $2";
        on_pool!(self, pool => sqlx::query(sql).bind(at.timestamp_millis()).bind(id.to_string()).execute(pool).await?.rows_affected());
        Ok(())
    }

    /// A person's sessions, most recently used first.
    pub async fn list_sessions(&self, person: PersonId) -> StoreResult<Vec<Session>> {
        let sql = format!(
            "SELECT {SESSION_COLUMNS} FROM sessions s WHERE s.person_id = $1 ORDER BY s.last_seen_at DESC, s.id"
        );
        let rows: Vec<SessionRow> =
            on_pool!(self, pool => sqlx::query_as(&sql).bind(person.to_string()).fetch_all(pool).await?);
        rows.into_iter().map(SessionRow::into_session).collect()
    }

    /// Ends one of a person's sessions; another person's session is `NotFound`.
    pub async fn delete_session(&self, person: PersonId, id: SessionId) -> StoreResult<()> {
        let sql = "DELETE FROM sessions WHERE person_id = $1 AND id = $2";
        let done = on_pool!(self, pool => sqlx::query(sql).bind(person.to_string()).bind(id.to_string()).execute(pool).await?.rows_affected());
        if done == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Ends every session of a person; returns how many.
    pub async fn delete_sessions_of(&self, person: PersonId) -> StoreResult<u64> {
        let sql = "DELETE FROM sessions WHERE person_id = $1";
        let done =
            on_pool!(self, pool => sqlx::query(sql).bind(person.to_string()).execute(pool).await?.rows_affected());
        Ok(done)
    }

    /// Removes sessions past their absolute expiry or idle longer than `idle_before`.
    pub async fn delete_expired_sessions(&self, now: DateTime<Utc>, idle_before: DateTime<Utc>) -> StoreResult<u64> {
        let sql = "DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at < $2";
        let done = on_pool!(self, pool => sqlx::query(sql)
            .bind(now.timestamp_millis()).bind(idle_before.timestamp_millis()).execute(pool).await?.rows_affected());
        Ok(done)
    }

    /// Stores a new API token.
    pub async fn create_token(
        &self,
        person: PersonId,
        name: &str,
        secret_digest: &str,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<ApiToken> {
        let now = now_ms();
        let token = ApiToken {
            id: TokenId::new(),
            person,
            name: name.to_string(),
            created_at: time(now),
            expires_at,
            last_used_at: None,
            revoked_at: None,
        };
        let sql = "INSERT INTO api_tokens (id, person_id, name, secret_digest, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)";
        on_pool!(self, pool => sqlx::query(sql)
            .bind(token.id.to_string())
            .bind(person.to_string())
            .bind(name)
            .bind(secret_digest)
            .bind(now)
            .bind(expires_at.timestamp_millis())
            .execute(pool)
            .await?.rows_affected());
        Ok(token)
    }

    /// The token whose secret has this digest, with its owner (revoked and
    /// expired tokens are returned too; the caller decides).
    pub async fn token_by_digest(&self, digest: &str) -> StoreResult<Option<TokenAuth>> {
        let sql = format!(
            "SELECT {TOKEN_COLUMNS}, {PERSON_COLUMNS}, {MFA_STANDING_COLUMNS} FROM api_tokens t JOIN people p ON p.id = t.person_id
             WHERE t.secret_digest = $1"
        );
        let row: Option<TokenAuthRow> =
            on_pool!(self, pool => sqlx::query_as(&sql).bind(digest).fetch_optional(pool).await?);
        row.map(|r| {
            let mfa = crate::MfaStanding { enabled: r.mfa_enabled, required_as_admin: r.mfa_required_as_admin };
            Ok(TokenAuth { token: r.token.into_token()?, person: r.person.into_person()?, mfa })
        })
        .transpose()
    }

    /// Records use of a token.
    pub async fn touch_token(&self, id: TokenId, at: DateTime<Utc>) -> StoreResult<()> {
        let sql = "UPDATE api_tokens SET last_used_at = $1 WHERE id = $2";
        on_pool!(self, pool => sqlx::query(sql).bind(at.timestamp_millis()).bind(id.to_string()).execute(pool).await?.rows_affected());
        Ok(())
    }

    /// A person's tokens, newest first.
    pub async fn list_tokens(&self, person: PersonId) -> StoreResult<Vec<ApiToken>> {
        let sql =
            format!("SELECT {TOKEN_COLUMNS} FROM api_tokens t WHERE t.person_id = $1 ORDER BY t.created_at DESC, t.id");
        let rows: Vec<TokenRow> =
            on_pool!(self, pool => sqlx::query_as(&sql).bind(person.to_string()).fetch_all(pool).await?);
        rows.into_iter().map(TokenRow::into_token).collect()
    }

    /// Revokes a token by id; `person` scopes it to its owner (the CLI passes `None`).
    pub async fn revoke_token(&self, person: Option<PersonId>, id: TokenId) -> StoreResult<ApiToken> {
        let sql = "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND ($3 IS NULL OR person_id = $3)";
        let owner: Option<String> = person.map(|p| p.to_string());
        let done = on_pool!(self, pool => sqlx::query(sql)
            .bind(now_ms()).bind(id.to_string()).bind(&owner).execute(pool).await?.rows_affected());
        if done == 0 {
            return Err(StoreError::NotFound);
        }
        let sql = format!("SELECT {TOKEN_COLUMNS} FROM api_tokens t WHERE t.id = $1");
        let row: TokenRow = on_pool!(self, pool => sqlx::query_as(&sql).bind(id.to_string()).fetch_one(pool).await?);
        row.into_token()
    }

    /// Whether `key` is locked out right now; returns the end of the lockout.
    pub async fn login_locked_until(&self, key: &str, now: DateTime<Utc>) -> StoreResult<Option<DateTime<Utc>>> {
        let sql = "SELECT locked_until FROM login_throttle WHERE key = $1 AND locked_until > $2";
        let row: Option<(Option<i64>,)> = on_pool!(self, pool => sqlx::query_as(sql)
            .bind(key).bind(now.timestamp_millis()).fetch_optional(pool).await?);
        Ok(row.and_then(|(t,)| opt_time(t)))
    }

    /// Counts a failed sign-in for `key`. Failures older than `window` start a
    /// new count; reaching `max_failures` locks the key until `now + lockout`.
    pub async fn record_login_failure(
        &self,
        key: &str,
        now: DateTime<Utc>,
        window: chrono::Duration,
        max_failures: i64,
        lockout: chrono::Duration,
    ) -> StoreResult<LoginThrottle> {
        let now_ms = now.timestamp_millis();
        let window_start = (now - window).timestamp_millis();
        let lock_until = (now + lockout).timestamp_millis();
        // One statement, so concurrent failures from several instances count correctly.
        let sql = "INSERT INTO login_throttle (key, failures, window_started_at, locked_until) VALUES ($1, 1, $2, NULL)
                   ON CONFLICT (key) DO UPDATE SET
                     failures = CASE WHEN login_throttle.window_started_at < $3 THEN 1 ELSE login_throttle.failures + 1 END,
                     window_started_at = CASE WHEN login_throttle.window_started_at < $3 THEN $2 ELSE login_throttle.window_started_at END
                   RETURNING failures";
        let (failures,): (i64,) = on_pool!(self, pool => sqlx::query_as(sql)
            .bind(key).bind(now_ms).bind(window_start).fetch_one(pool).await?);
        let mut locked_until = None;
        if failures >= max_failures {
            let sql =
                "UPDATE login_throttle SET locked_until = $1, failures = 0, window_started_at = $2 WHERE key = $3";
            on_pool!(self, pool => sqlx::query(sql).bind(lock_until).bind(now_ms).bind(key).execute(pool).await?.rows_affected());
            locked_until = Some(time(lock_until));
        }
        Ok(LoginThrottle { failures, locked_until })
    }

    /// Forgets failures for `key` (after a successful sign-in or a password reset).
    pub async fn clear_login_failures(&self, key: &str) -> StoreResult<()> {
        on_pool!(self, pool => sqlx::query("DELETE FROM login_throttle WHERE key = $1").bind(key).execute(pool).await?.rows_affected());
        Ok(())
    }

    /// Replaces any earlier setup link with a new one.
    pub async fn replace_setup_token(&self, digest: &str, expires_at: DateTime<Utc>) -> StoreResult<()> {
        in_tx!(self, tx => {
            sqlx::query("DELETE FROM setup_tokens").execute(&mut *tx).await?;
            sqlx::query("INSERT INTO setup_tokens (secret_digest, created_at, expires_at) VALUES ($1, $2, $3)")
                .bind(digest).bind(now_ms()).bind(expires_at.timestamp_millis())
                .execute(&mut *tx).await?;
        });
        Ok(())
    }

    /// Uses the setup link: creates the first operator and consumes every
    /// setup link, in one transaction. `NotFound` when the link is unknown,
    /// expired, or an operator already exists.
    pub async fn complete_setup(&self, digest: &str, new: &NewPerson) -> StoreResult<Person> {
        let id = PersonId::new();
        let now = now_ms();
        in_tx!(self, tx => {
            let valid: Option<(i64,)> = sqlx::query_as("SELECT expires_at FROM setup_tokens WHERE secret_digest = $1 AND expires_at > $2")
                .bind(digest).bind(now).fetch_optional(&mut *tx).await?;
            let (operators,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM people WHERE is_operator")
                .fetch_one(&mut *tx).await?;
            if valid.is_none() || operators > 0 {
                return Err(StoreError::NotFound);
            }
            sqlx::query("INSERT INTO people (id, email, display_name, password_hash, is_operator, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(id.to_string()).bind(&new.email).bind(&new.display_name).bind(&new.password_hash).bind(true).bind(now)
                .execute(&mut *tx).await.map_err(crate::duplicate_as("email"))?;
            sqlx::query("DELETE FROM setup_tokens").execute(&mut *tx).await?;
        });
        self.person(id).await
    }
}
