//! Who is asking, and for which project: every operation's first argument after the
//! store. The transports build it (the REST API from the API key, the dashboard from
//! the signed-in account and the resolved project); every operation checks it here,
//! in one place, as its first step: [`Caller::require`] with the [`Permission`] it
//! needs.
use store::{KeyScope, Role};

use crate::{ServiceError, ServiceResult};

/// Who makes a request.
#[derive(Debug, Clone, PartialEq)]
pub enum Actor {
    /// A signed-in dashboard account.
    Account(store::User),
    /// A project API key (`/v1`), known by the part of it kept in clear.
    Key { prefix: String, scope: KeyScope },
}

/// What an operation needs from its caller. Keys get what their scope grants
/// ([`Permission::granted_to`]); admin accounts everything; viewer accounts what a
/// `read` key gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Send events (JamJet wire and OTLP).
    Ingest,
    /// Read the active policy's rules and evaluate a call against them: what an SDK
    /// enforces.
    ReadRules,
    /// Ask for a human approval and poll the ones it asked for.
    RequestApproval,
    /// Read what the project holds (traces, threads, audit, datasets, replay bundles,
    /// policy versions, every approval, simulations) and run simulations, which change
    /// nothing that governs.
    Read,
    /// Change what governs: policies, datasets, approval decisions, keys, the project.
    Govern,
}

impl Permission {
    pub const ALL: [Permission; 5] = [
        Permission::Ingest,
        Permission::ReadRules,
        Permission::RequestApproval,
        Permission::Read,
        Permission::Govern,
    ];

    /// The table of scopes (README, "Security"): an agent key cannot read what other
    /// agents did nor change its own rules; a read key cannot send events.
    pub fn granted_to(self, scope: KeyScope) -> bool {
        match scope {
            KeyScope::Agent => matches!(
                self,
                Permission::Ingest | Permission::ReadRules | Permission::RequestApproval
            ),
            KeyScope::Read => matches!(self, Permission::ReadRules | Permission::Read),
            KeyScope::Admin => true,
        }
    }

    /// The scopes that grant it, narrowest first (what a refusal names).
    pub fn scopes(self) -> Vec<KeyScope> {
        KeyScope::ALL
            .into_iter()
            .filter(|s| self.granted_to(*s))
            .collect()
    }

    /// What it allows, in words, for messages.
    pub fn describe(self) -> &'static str {
        match self {
            Permission::Ingest => "sending events",
            Permission::ReadRules => "reading the policy rules",
            Permission::RequestApproval => "requesting approvals",
            Permission::Read => "reading the project's traces, datasets, audit and simulations",
            Permission::Govern => "changing policies, datasets, approvals or keys",
        }
    }
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

    /// An API key acting on its own project, within its scope.
    pub fn key(prefix: impl Into<String>, scope: KeyScope, project: store::Project) -> Caller {
        Caller::new(
            Actor::Key {
                prefix: prefix.into(),
                scope,
            },
            project,
        )
    }

    pub fn project_id(&self) -> &str {
        &self.project.id
    }

    /// What a write records as its actor: the account's email, or `key:<prefix>` for
    /// an API key (the prefix is what the Settings page lists, so a key can be found
    /// and revoked from what it wrote).
    pub fn author(&self) -> String {
        match &self.actor {
            Actor::Account(user) => user.email.clone(),
            Actor::Key { prefix, .. } => format!("key:{prefix}"),
        }
    }

    /// Whether the caller may do what `permission` allows.
    pub fn may(&self, permission: Permission) -> bool {
        match &self.actor {
            Actor::Account(user) => match user.role {
                Role::Admin => true,
                Role::Viewer => permission.granted_to(KeyScope::Read),
            },
            Actor::Key { scope, .. } => permission.granted_to(*scope),
        }
    }

    /// The first step of every operation: `Forbidden` (403) unless the caller may. A
    /// key's refusal names the scopes that would do.
    pub fn require(&self, permission: Permission) -> ServiceResult<()> {
        if self.may(permission) {
            return Ok(());
        }
        Err(match &self.actor {
            Actor::Account(_) => ServiceError::Forbidden(format!(
                "viewers can look but not change anything ({} needs an admin account)",
                permission.describe()
            )),
            Actor::Key { scope, .. } => ServiceError::OutOfScope {
                scope: *scope,
                needs: permission.scopes(),
                what: permission.describe(),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project() -> store::Project {
        store::Project {
            id: "proj_1".into(),
            name: "p".into(),
            created_at: store::Timestamp(0),
            retention_days: None,
        }
    }

    fn account(role: Role) -> Caller {
        let user = store::User {
            id: "usr_1".into(),
            email: "ana@example.com".into(),
            role,
            created_at: store::Timestamp(0),
            projects: vec![],
            disabled_at: None,
        };
        Caller::account(user, project())
    }

    #[test]
    fn each_scope_gets_exactly_its_row_of_the_table() {
        use Permission::*;
        let granted = |scope| {
            Permission::ALL
                .into_iter()
                .filter(|p| p.granted_to(scope))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            granted(KeyScope::Agent),
            [Ingest, ReadRules, RequestApproval]
        );
        assert_eq!(granted(KeyScope::Read), [ReadRules, Read]);
        assert_eq!(granted(KeyScope::Admin), Permission::ALL);
    }

    #[test]
    fn accounts_are_admins_or_readers() {
        let admin = account(Role::Admin);
        let viewer = account(Role::Viewer);
        for p in Permission::ALL {
            assert!(admin.may(p));
            assert_eq!(viewer.may(p), p.granted_to(KeyScope::Read), "{p:?}");
        }
        let refused = viewer.require(Permission::Govern).unwrap_err();
        assert!(matches!(refused, ServiceError::Forbidden(_)), "{refused:?}");
    }

    #[test]
    fn a_key_refused_hears_which_scope_would_do() {
        let agent = Caller::key("jj_abcdefg", KeyScope::Agent, project());
        assert_eq!(agent.author(), "key:jj_abcdefg");
        assert!(agent.require(Permission::Ingest).is_ok());
        let refused = agent.require(Permission::Read).unwrap_err();
        assert_eq!(
            refused,
            ServiceError::OutOfScope {
                scope: KeyScope::Agent,
                needs: vec![KeyScope::Read, KeyScope::Admin],
                what: Permission::Read.describe(),
            }
        );
        let text = refused.to_string();
        assert!(
            text.contains("`agent`") && text.contains("`read`"),
            "{text}"
        );
        let reader = Caller::key("jj_abcdefg", KeyScope::Read, project());
        assert!(matches!(
            reader.require(Permission::Govern),
            Err(ServiceError::OutOfScope { needs, .. }) if needs == [KeyScope::Admin]
        ));
    }
}
