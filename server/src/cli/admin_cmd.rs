//! `preflight project ...` and `preflight key ...`: administration on the database.
use super::{KeyCommand, ProjectCommand};

pub(super) async fn find_project(
    store: &dyn store::Store,
    name_or_id: &str,
) -> Result<store::Project, String> {
    if let Some(project) = store
        .project_by_name(name_or_id)
        .await
        .map_err(|e| e.to_string())?
    {
        return Ok(project);
    }
    store
        .project(name_or_id)
        .await
        .map_err(|_| format!("no project named {name_or_id:?} (see `preflight project list`)"))
}

pub async fn project(cmd: ProjectCommand) -> Result<(), String> {
    match cmd {
        ProjectCommand::Create { name, db } => {
            let store = db.open().await?;
            let project = store.create_project(&name).await.map_err(|e| match e {
                store::StoreError::Conflict(_) => {
                    format!("a project named {name:?} already exists")
                }
                other => other.to_string(),
            })?;
            let key = store
                .create_api_key(&project.id, store::KeyScope::Agent)
                .await
                .map_err(|e| e.to_string())?;
            println!("Created project {:?} ({}).", project.name, project.id);
            println!("Agent API key (shown once; only its hash is stored):");
            println!("{}", key.key);
            Ok(())
        }
        ProjectCommand::List { db } => {
            let store = db.open().await?;
            for p in store.list_projects().await.map_err(|e| e.to_string())? {
                println!("{}\t{}", p.id, p.name);
            }
            Ok(())
        }
    }
}

pub async fn key(cmd: KeyCommand) -> Result<(), String> {
    match cmd {
        KeyCommand::Create { project, scope, db } => {
            let store = db.open().await?;
            let project = find_project(store.as_ref(), &project).await?;
            let scope = store::KeyScope::from(scope);
            let key = store
                .create_api_key(&project.id, scope)
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "{scope} API key for {:?} (shown once; only its hash is stored):",
                project.name
            );
            println!("{}", key.key);
            Ok(())
        }
        KeyCommand::List { project, db } => {
            let store = db.open().await?;
            let project = find_project(store.as_ref(), &project).await?;
            println!("ID\tPREFIX\tSCOPE\tCREATED\tREVOKED");
            for k in store
                .list_api_keys(&project.id)
                .await
                .map_err(|e| e.to_string())?
            {
                let revoked = k
                    .revoked_at
                    .map(|r| r.to_string())
                    .unwrap_or_else(|| "-".to_string());
                println!(
                    "{}\t{}…\t{}\t{}\t{}",
                    k.id, k.prefix, k.scope, k.created_at, revoked
                );
            }
            Ok(())
        }
        KeyCommand::Revoke {
            project,
            key_id,
            db,
        } => {
            let store = db.open().await?;
            let project = find_project(store.as_ref(), &project).await?;
            if store
                .revoke_api_key(&project.id, &key_id)
                .await
                .map_err(|e| e.to_string())?
            {
                println!("Revoked {key_id}.");
                Ok(())
            } else {
                Err(format!("no key {key_id:?} in project {:?}", project.name))
            }
        }
    }
}
