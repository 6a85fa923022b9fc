//! Who is asking, and for which project: every operation's first argument after the
//! store. The transports build it (the REST API from the API key, the dashboard from
//! the signed-in account and the resolved project); the operations check it here, in
//! one place.
use crate::{ServiceError, ServiceResult};

/// Who makes a request.
#[derive(Debug, Clone, PartialEq)]
pub enum Actor {
    /// A signed-in dashboard account.
    Account(store::User),
    /// A project API key (`/v1`), known by the part of it kept in clear.
    Key { prefix: String },
}

/// An actor acting on one project.
#[derive(Debug, Clone, PartialEq)]
pub struct Caller {
    pub actor: Actor,
    pub project: store::Project,
}

impl Caller {
    pub fn new(actor: Actor, project: store::Project) -> Caller {
        Caller { actor, project }
    }

    /// A signed-in account acting on `project`.
    pub fn account(user: store::User, project: store::Project) -> Caller {
        Caller::new(Actor::Account(user), project)
    }

    /// An API key acting on its own project.
    pub fn key(prefix: impl Into<String>, project: store::Project) -> Caller {
        Caller::new(
            Actor::Key {
                prefix: prefix.into(),
            },
            project,
        )
    }

    pub fn project_id(&self) -> &str {
        &self.project.id
    }

    /// What a write records as its author: the account's email; for API keys `api`
    /// (what versions and decisions made through `/v1` have always recorded).
    pub fn author(&self) -> String {
        match &self.actor {
            Actor::Account(user) => user.email.clone(),
            Actor::Key { .. } => "api".to_string(),
        }
    }

    /// Changes need an admin account or a key: a viewer only reads (running a
    /// simulation counts as reading: it changes nothing that governs).
    pub fn require_write(&self) -> ServiceResult<()> {
        match &self.actor {
            Actor::Account(user) if user.role != store::Role::Admin => Err(
                ServiceError::Forbidden("viewers can look but not change anything".to_string()),
            ),
            _ => Ok(()),
        }
    }
}
