//! Personal API tokens: a name, a lifetime within the configured bounds, and a
//! secret shown once and stored only as a digest.

use crate::{Accounts, AccountsResult};
use chrono::{Duration, Utc};
use wayfinder_accounts_rules::{PersonId, ValidationError, new_secret, validate_display_name};
use wayfinder_store::ApiToken;

impl Accounts {
    /// Creates an API token for `person` named `name`, living `expires_in_days`
    /// (the default lifetime when `None`). Returns it with its secret.
    pub async fn create_token(
        &self,
        person: PersonId,
        name: &str,
        expires_in_days: Option<i64>,
    ) -> AccountsResult<(ApiToken, String)> {
        let name = validate_display_name(name, "name")?;
        let max_days = self.settings.token_max_ttl.num_days();
        let ttl = match expires_in_days {
            None => self.settings.token_default_ttl,
            Some(days) if (1..=max_days).contains(&days) => Duration::days(days),
            Some(_) => {
                return Err(ValidationError::new("expires_in_days", format!("must be between 1 and {max_days}")).into());
            }
        };
        let secret = new_secret("wft");
        let token = self.store.create_token(person, &name, &secret.digest, Utc::now() + ttl).await?;
        Ok((token, secret.plaintext))
    }
}
