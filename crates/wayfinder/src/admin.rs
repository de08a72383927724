//! Administrative commands that work directly on the database: organisations,
//! people, roles, passwords and API tokens. They apply the same rules as the
//! API (validation, password strength) and write the same audit events.

use crate::{
    cli::{OrgCommand, TokenCommand, UserCommand},
    config::Config,
};
use anyhow::{Context, bail};
use chrono::{Duration, Utc};
use std::io::BufRead;
use wayfinder_accounts_rules::{
    Person, TokenId, check_password_strength, generate_password, hash_password, new_secret, normalise_email,
    validate_display_name, validate_slug,
};
use wayfinder_store::{MembershipChangeError, NewAuditEvent, NewPerson, Store, StoreError};

async fn audit(store: &Store, event: NewAuditEvent) {
    if let Err(e) = store.record_audit(&event).await {
        tracing::error!(error = %e, "could not write audit event");
    }
}

fn cli_event(
    org: Option<wayfinder_accounts_rules::OrgId>,
    action: &str,
    subject: String,
    detail: serde_json::Value,
) -> NewAuditEvent {
    NewAuditEvent { org, actor: None, action: action.into(), subject: Some(subject), detail, ip: Some("cli".into()) }
}

/// `wayfinder org …`
pub async fn org(store: &Store, command: OrgCommand) -> anyhow::Result<()> {
    match command {
        OrgCommand::Create { slug, name } => {
            let slug = validate_slug(&slug)?;
            let name = validate_display_name(&name, "name")?;
            let org = store.create_org(&slug, &name).await.map_err(|e| match e {
                StoreError::Duplicate(_) => anyhow::anyhow!("an organisation with slug {slug:?} already exists"),
                other => other.into(),
            })?;
            audit(
                store,
                cli_event(Some(org.id), "org.created", org.id.to_string(), serde_json::json!({ "slug": slug })),
            )
            .await;
            outln!("created organisation {} ({}) id={}", org.name, org.slug, org.id);
        }
        OrgCommand::List => {
            let orgs = store.list_orgs().await?;
            if orgs.is_empty() {
                outln!("no organisations yet: create one with `wayfinder org create --slug … --name …`");
            }
            for org in orgs {
                outln!("{}\t{}\t{}", org.id, org.slug, org.name);
            }
        }
    }
    Ok(())
}

/// Reads a password from standard input, or generates one and says so.
fn obtain_password(from_stdin: bool, person: &[&str]) -> anyhow::Result<(String, bool)> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).context("reading the password from standard input")?;
        let password = line.trim_end_matches(['\r', '\n']).to_string();
        check_password_strength(&password, person)?;
        Ok((password, false))
    } else {
        Ok((generate_password(), true))
    }
}

pub(crate) async fn person_by_email(store: &Store, email: &str) -> anyhow::Result<Person> {
    let email = normalise_email(email)?;
    match store.person_with_password(&email).await? {
        Some((person, _)) => Ok(person),
        None => bail!("no person with email {email}"),
    }
}

/// `wayfinder user …`
pub async fn user(store: &Store, command: UserCommand) -> anyhow::Result<()> {
    match command {
        UserCommand::Create { email, name, password_stdin, operator, org, role } => {
            let email = normalise_email(&email)?;
            let name = validate_display_name(&name, "name")?;
            let org = match &org {
                Some(slug) => Some(store.org_by_slug(slug).await.with_context(|| format!("no organisation {slug:?}"))?),
                None => None,
            };
            let (password, generated) = obtain_password(password_stdin, &[&email, &name])?;
            let new = NewPerson {
                email: email.clone(),
                display_name: name,
                password_hash: Some(hash_password(&password)?),
                is_operator: operator,
            };
            let person = store.create_person(&new).await.map_err(|e| match e {
                StoreError::Duplicate(_) => anyhow::anyhow!("a person with email {email} already exists"),
                other => other.into(),
            })?;
            if let (Some(org), Some(role)) = (&org, role) {
                store.add_member(org.id, person.id, role).await?;
            }
            audit(
                store,
                cli_event(
                    org.as_ref().map(|o| o.id),
                    "person.created",
                    person.id.to_string(),
                    serde_json::json!({ "email": email, "operator": operator, "role": role }),
                ),
            )
            .await;
            outln!(
                "created {} <{}> id={}{}",
                person.display_name,
                person.email,
                person.id,
                if operator { " (instance operator)" } else { "" }
            );
            if let (Some(org), Some(role)) = (org, role) {
                outln!("member of {} as {role}", org.slug);
            }
            if generated {
                outln!("password (shown once): {password}");
            }
        }
        UserCommand::List { org } => match org {
            Some(slug) => {
                let org = store.org_by_slug(&slug).await.with_context(|| format!("no organisation {slug:?}"))?;
                for m in store.list_members(org.id).await? {
                    outln!("{}\t{}\t{}\t{}", m.person.id, m.person.email, m.role, m.person.display_name);
                }
            }
            None => {
                for p in store.list_people().await? {
                    let flag = if p.is_operator { "operator" } else { "-" };
                    outln!("{}\t{}\t{flag}\t{}", p.id, p.email, p.display_name);
                }
            }
        },
        UserCommand::SetRole { email, org, role } => {
            let person = person_by_email(store, &email).await?;
            let org = store.org_by_slug(&org).await.with_context(|| format!("no organisation {org:?}"))?;
            match store.role_in(org.id, person.id).await? {
                None => store.add_member(org.id, person.id, role).await?,
                Some(current) if current == role => {}
                // The same rule as the API: an organisation keeps at least one admin.
                Some(_) => match store.set_role_keeping_an_admin(org.id, person.id, role).await {
                    Ok(_) => {}
                    Err(MembershipChangeError::LastAdmin) => {
                        bail!("{} is the last admin of {}; make someone else an admin first", person.email, org.slug)
                    }
                    Err(MembershipChangeError::Store(e)) => return Err(e.into()),
                },
            }
            audit(
                store,
                cli_event(
                    Some(org.id),
                    "member.role_changed",
                    person.id.to_string(),
                    serde_json::json!({ "to": role }),
                ),
            )
            .await;
            outln!("{} is now {role} in {}", person.email, org.slug);
        }
        UserCommand::ResetPassword { email, password_stdin } => {
            let person = person_by_email(store, &email).await?;
            let (password, generated) = obtain_password(password_stdin, &[&person.email, &person.display_name])?;
            store.set_password(person.id, &hash_password(&password)?).await?;
            store.clear_login_failures(&format!("account:{}", person.email)).await?;
            audit(store, cli_event(None, "auth.password_reset", person.id.to_string(), serde_json::json!({}))).await;
            outln!("password reset for {}; all their sessions have ended", person.email);
            if generated {
                outln!("new password (shown once): {password}");
            }
        }
    }
    Ok(())
}

/// `wayfinder token …`
pub async fn token(store: &Store, config: &Config, command: TokenCommand) -> anyhow::Result<()> {
    match command {
        TokenCommand::Create { email, name, expires_days } => {
            let person = person_by_email(store, &email).await?;
            let name = validate_display_name(&name, "name")?;
            let days = expires_days.unwrap_or(config.token_default_days);
            anyhow::ensure!(
                (1..=config.token_max_days).contains(&days),
                "--expires-days must be between 1 and {}",
                config.token_max_days
            );
            let secret = new_secret("wft");
            let token = store.create_token(person.id, &name, &secret.digest, Utc::now() + Duration::days(days)).await?;
            audit(store, cli_event(None, "token.created", token.id.to_string(), serde_json::json!({ "name": name })))
                .await;
            eprintln!("token {} for {} expires {}", token.id, person.email, token.expires_at.format("%Y-%m-%d"));
            outln!("{}", secret.plaintext);
        }
        TokenCommand::Revoke { id } => {
            let id: TokenId = id.parse().context("not a token id")?;
            store.revoke_token(None, id).await.map_err(|e| match e {
                StoreError::NotFound => anyhow::anyhow!("no token with id {id}"),
                other => other.into(),
            })?;
            audit(store, cli_event(None, "token.revoked", id.to_string(), serde_json::json!({}))).await;
            outln!("revoked token {id}");
        }
    }
    Ok(())
}
