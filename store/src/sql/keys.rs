//! API keys: creation, listing, revocation, and authentication by hash.

use super::rows::{self, KEY_COLS};
use super::Arg::{Int, Text};
use super::{Access, Backend, RowGet, Scope, Tx};
use crate::ids::{self, KEY};
use crate::keys;
use crate::time::now_micros;
use crate::{ApiKeyInfo, KeyGrant, KeyScope, NewApiKey, StoreError, Timestamp};

pub(super) async fn create<B: Backend>(
    b: &B,
    project_id: &str,
    scope: KeyScope,
) -> Result<NewApiKey, StoreError> {
    let key = keys::generate();
    let info = ApiKeyInfo {
        id: ids::new_id(KEY),
        project_id: project_id.to_string(),
        prefix: keys::shown_prefix(&key),
        scope,
        created_at: Timestamp(now_micros()),
        revoked_at: None,
    };
    let hash = keys::hash(&key);
    let mut tx = b.begin(Scope::Project(project_id), Access::Write).await?;
    // A missing project fails the foreign key: NotFound.
    tx.execute(
        "INSERT INTO api_keys (id, project_id, key_hash, prefix, scope, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            Text(&info.id),
            Text(project_id),
            Text(&hash),
            Text(&info.prefix),
            Text(scope.as_str()),
            Int(info.created_at.0),
        ],
    )
    .await?;
    tx.commit().await?;
    Ok(NewApiKey { key, info })
}

pub(super) async fn list<B: Backend>(
    b: &B,
    project_id: &str,
) -> Result<Vec<ApiKeyInfo>, StoreError> {
    let mut tx = b.begin(Scope::Project(project_id), Access::Read).await?;
    let sql =
        format!("SELECT {KEY_COLS} FROM api_keys WHERE project_id = $1 ORDER BY created_at, id");
    tx.fetch_all(&sql, &[Text(project_id)])
        .await?
        .iter()
        .map(rows::key_info)
        .collect()
}

pub(super) async fn revoke<B: Backend>(
    b: &B,
    project_id: &str,
    key_id: &str,
) -> Result<bool, StoreError> {
    let mut tx = b.begin(Scope::Project(project_id), Access::Write).await?;
    // COALESCE keeps the first revocation time when revoking twice.
    let n = tx
        .execute(
            "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $3) WHERE project_id = $1 AND id = $2",
            &[Text(project_id), Text(key_id), Int(now_micros())],
        )
        .await?;
    tx.commit().await?;
    Ok(n > 0)
}

pub(super) async fn authenticate<B: Backend>(
    b: &B,
    key: &str,
) -> Result<Option<KeyGrant>, StoreError> {
    if !keys::well_formed(key) {
        return Ok(None);
    }
    let hash = keys::hash(key);
    // The only transaction that runs before a project is known: on PostgreSQL its
    // scope reveals exactly the api_keys row with this hash (see the crate docs).
    let mut tx = b.begin(Scope::KeyLookup(&hash), Access::Read).await?;
    let row = tx
        .fetch_optional(
            "SELECT k.key_hash, k.revoked_at, k.scope, p.id, p.name, p.created_at, p.retention_days \
             FROM api_keys k JOIN projects p ON p.id = k.project_id WHERE k.key_hash = $1",
            &[Text(&hash)],
        )
        .await?;
    let Some(row) = row else { return Ok(None) };
    // The lookup was by hash already; the constant-time comparison makes sure no
    // index or collation quirk lets a near-miss through.
    if !keys::hashes_match(&row.text("key_hash")?, &hash) || row.opt_int("revoked_at")?.is_some() {
        return Ok(None);
    }
    Ok(Some(KeyGrant {
        project: rows::project(&row)?,
        scope: rows::key_scope(&row.text("scope")?)?,
    }))
}
