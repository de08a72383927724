//! Personal data on request: a person's archive of everything Wayfinder holds about them, and
//! erasure. The rows come from the store, found from the schema; this module decides who may ask
//! and packs the archive.

use crate::{Accounts, AccountsError, AccountsResult, missing};
use std::collections::HashMap;
use std::io::Write;
use wayfinder_accounts_rules::{OrgId, PersonId, Role};
use wayfinder_store::{Erasure, MembershipChangeError, PersonData};

/// Whose data an archive holds: the person's everywhere, or only what one organisation holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArchiveScope {
    Everything,
    Organisation(OrgId),
}

/// A ZIP archive of a person's data.
#[derive(Clone, Debug)]
pub struct Archive {
    pub file_name: String,
    pub bytes: Vec<u8>,
    /// Tables with rows in the archive, and how many.
    pub tables: Vec<(String, usize)>,
}

const README: &str = "This archive holds everything Wayfinder stored about you when it was made.\n\
\n\
tables/<table>.json   every row that names you, one file per table, each row as the database holds it\n\
                      (secrets such as password hashes are withheld; times are milliseconds since 1970)\n\
documents/<id>.txt    the text of each document you uploaded, as it was indexed\n\
summary.json          who, when, which organisations, and how many rows each table holds\n";

impl Accounts {
    /// The archive of `person`'s data in `scope`.
    pub async fn personal_archive(&self, person: PersonId, scope: ArchiveScope) -> AccountsResult<Archive> {
        let profile = self.store.person(person).await.map_err(missing("person"))?;
        let org = match scope {
            ArchiveScope::Everything => None,
            ArchiveScope::Organisation(org) => Some(org),
        };
        let data = self.store.person_data(person, org).await.map_err(missing("person"))?;
        let tables: Vec<(String, usize)> = data.tables.iter().map(|(t, rows)| (t.clone(), rows.len())).collect();
        let bytes = pack(&data, &profile.email, org, &tables)
            .map_err(|e| AccountsError::Conflict(format!("the archive could not be written: {e}")))?;
        let made = chrono::Utc::now().format("%Y%m%d");
        Ok(Archive { file_name: format!("wayfinder-data-{made}.zip"), bytes, tables })
    }

    /// Erases `person`, asked by themselves. Refused while they are the last admin of an
    /// organisation or the instance's only operator.
    pub async fn erase_self(&self, person: PersonId) -> AccountsResult<Erasure> {
        self.erase(person, None).await
    }

    /// Erases `person`, a member of `org`, asked by `admin` of it. Refused when the person also
    /// belongs to another organisation (an admin decides for their own organisation only: remove
    /// them from it instead), or is an operator.
    pub async fn erase_member(&self, admin: PersonId, org: OrgId, person: PersonId) -> AccountsResult<Erasure> {
        self.store.member(org, person).await.map_err(missing("member"))?;
        let profile = self.store.person(person).await.map_err(missing("person"))?;
        if profile.is_operator {
            return Err(AccountsError::Conflict("an operator's account is erased by the operator themselves".into()));
        }
        if self.store.orgs_of(person).await?.iter().any(|(o, _)| o.id != org) {
            return Err(AccountsError::Conflict(
                "this person belongs to another organisation too; remove them from yours instead".into(),
            ));
        }
        self.erase(person, Some(admin)).await
    }

    pub(crate) async fn erase(&self, person: PersonId, asked_by: Option<PersonId>) -> AccountsResult<Erasure> {
        let profile = self.store.person(person).await.map_err(missing("person"))?;
        if profile.is_operator {
            let operators = self.store.list_people().await?.iter().filter(|p| p.is_operator).count();
            if operators <= 1 {
                return Err(AccountsError::Conflict("the instance's only operator cannot be erased".into()));
            }
        }
        // Documents they uploaded stay with their organisation, under an admin's name: the one
        // who asked when they are an admin there, else the longest-standing other admin.
        let mut steward_of = HashMap::new();
        for (org, _) in self.store.orgs_of(person).await? {
            let admins: Vec<PersonId> = self
                .store
                .list_members(org.id)
                .await?
                .into_iter()
                .filter(|m| m.role == Role::Admin && m.person.id != person)
                .map(|m| m.person.id)
                .collect();
            let steward = asked_by.filter(|a| admins.contains(a)).or_else(|| admins.first().copied());
            if let Some(steward) = steward {
                steward_of.insert(org.id, steward);
            }
        }
        self.store.erase_person(person, &steward_of).await.map_err(|e| match e {
            MembershipChangeError::LastAdmin => AccountsError::LastAdmin,
            MembershipChangeError::Store(other) => missing("person")(other),
        })
    }
}

/// The archive's bytes.
fn pack(data: &PersonData, email: &str, org: Option<OrgId>, tables: &[(String, usize)]) -> std::io::Result<Vec<u8>> {
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.start_file("README.txt", options)?;
    zip.write_all(README.as_bytes())?;
    let summary = serde_json::json!({
        "email": email,
        "made_at": chrono::Utc::now().to_rfc3339(),
        "organisation": org.map(|o| o.to_string()),
        "tables": tables.iter().map(|(t, n)| (t.clone(), *n)).collect::<std::collections::BTreeMap<_, _>>(),
        "documents": data.documents.iter().map(|(id, title, _)| serde_json::json!({ "id": id, "title": title })).collect::<Vec<_>>(),
    });
    zip.start_file("summary.json", options)?;
    zip.write_all(serde_json::to_string_pretty(&summary)?.as_bytes())?;
    for (table, rows) in &data.tables {
        zip.start_file(format!("tables/{table}.json"), options)?;
        zip.write_all(serde_json::to_string_pretty(rows)?.as_bytes())?;
    }
    for (id, title, text) in &data.documents {
        zip.start_file(format!("documents/{id}.txt"), options)?;
        zip.write_all(format!("{title}\n\n{text}\n").as_bytes())?;
    }
    Ok(zip.finish()?.into_inner())
}
