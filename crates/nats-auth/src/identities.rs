//! The identities on disk. One folder (made 0700) holds:
//! - `operator.nk`, `accounts/{system,lattice}.nk`, `users/<role>.nk`: the seeds, made once
//!   and kept (0600);
//! - `users/<role>.creds`: each user's JWT and seed (0600), for its party to connect with;
//! - `operator.jwt` and `server.conf`: what nats-server is told (the operator, the system
//!   account, and the accounts it preloads); public, as JWTs are.
//!
//! Everything but the seeds is written anew from them on every [`Identities::write`], so a
//! change of the roles' permissions reaches the users on their next connection.

use std::fs;
use std::io::Write as _;
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

use nkeys::KeyPair;
use serde_json::json;

use crate::creds::Creds;
use crate::jwt::{self, Claims, JwtError};
use crate::roles::{roles, Role, Topics};

#[derive(Debug, thiserror::Error)]
pub enum IdentitiesError {
    #[error("failed to {action} {path}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} does not hold a valid {kind} seed")]
    Seed {
        path: PathBuf,
        kind: &'static str,
        #[source]
        source: nkeys::error::Error,
    },
    #[error("{path} holds a seed of another kind (a {kind} seed starts with 'S{prefix}')")]
    SeedKind {
        path: PathBuf,
        kind: &'static str,
        prefix: char,
    },
    #[error(transparent)]
    Jwt(#[from] JwtError),
}

fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> IdentitiesError {
    let path = path.to_owned();
    move |source| IdentitiesError::Io {
        action,
        path,
        source,
    }
}

/// The kinds of key the folder holds.
#[derive(Clone, Copy)]
enum Kind {
    Operator,
    Account,
    User,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Operator => "operator",
            Kind::Account => "account",
            Kind::User => "user",
        }
    }
    fn prefix(self) -> char {
        match self {
            Kind::Operator => 'O',
            Kind::Account => 'A',
            Kind::User => 'U',
        }
    }
    fn generate(self) -> KeyPair {
        match self {
            Kind::Operator => KeyPair::new_operator(),
            Kind::Account => KeyPair::new_account(),
            Kind::User => KeyPair::new_user(),
        }
    }
}

/// Writes `contents` to `path` as a new file of mode `mode`, replacing what was there at once.
fn write_file(path: &Path, contents: &str, mode: u32) -> Result<(), IdentitiesError> {
    let partial = path.with_extension("partial");
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode)
        .open(&partial)
        .map_err(io("create", &partial))?;
    file.write_all(contents.as_bytes())
        .map_err(io("write", &partial))?;
    fs::set_permissions(&partial, fs::Permissions::from_mode(mode))
        .map_err(io("set the mode of", &partial))?;
    fs::rename(&partial, path).map_err(io("replace", path))
}

fn make_dir(path: &Path) -> Result<(), IdentitiesError> {
    fs::create_dir_all(path).map_err(io("create", path))?;
    fs::set_permissions(path, fs::Permissions::from_mode(0o700))
        .map_err(io("set the mode of", path))
}

/// The key whose seed is in `path`, made and kept there on first use.
fn key(path: &Path, kind: Kind) -> Result<KeyPair, IdentitiesError> {
    let seed = match fs::read_to_string(path) {
        Ok(seed) => seed.trim().to_owned(),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            let seed = kind
                .generate()
                .seed()
                .map_err(|source| IdentitiesError::Seed {
                    path: path.to_owned(),
                    kind: kind.name(),
                    source,
                })?;
            write_file(path, &format!("{seed}\n"), 0o600)?;
            seed
        }
        Err(err) => return Err(io("read", path)(err)),
    };
    if !seed.starts_with('S') || seed.chars().nth(1) != Some(kind.prefix()) {
        return Err(IdentitiesError::SeedKind {
            path: path.to_owned(),
            kind: kind.name(),
            prefix: kind.prefix(),
        });
    }
    KeyPair::from_seed(&seed).map_err(|source| IdentitiesError::Seed {
        path: path.to_owned(),
        kind: kind.name(),
        source,
    })
}

/// The operator and accounts, from the folder that keeps their seeds.
pub struct Identities {
    dir: PathBuf,
    operator: KeyPair,
    system: KeyPair,
    lattice: KeyPair,
}

/// What [`Identities::write`] wrote.
#[derive(Debug)]
pub struct Written {
    pub server_config: PathBuf,
    pub users: Vec<(Role, PathBuf)>,
}

impl Identities {
    /// Opens `dir`, making it and any seed it lacks.
    pub fn open(dir: &Path) -> Result<Self, IdentitiesError> {
        make_dir(dir)?;
        make_dir(&dir.join("accounts"))?;
        make_dir(&dir.join("users"))?;
        Ok(Self {
            dir: dir.to_owned(),
            operator: key(&dir.join("operator.nk"), Kind::Operator)?,
            system: key(&dir.join("accounts/system.nk"), Kind::Account)?,
            lattice: key(&dir.join("accounts/lattice.nk"), Kind::Account)?,
        })
    }

    /// The account every party of the lattice connects in.
    pub fn lattice_account(&self) -> String {
        self.lattice.public_key()
    }

    /// Creds for `user` with `role`'s permissions, signed by the lattice's account.
    pub fn issue(
        &self,
        role: &Role,
        user: &KeyPair,
        issued_at: u64,
    ) -> Result<Creds, IdentitiesError> {
        let jwt = jwt::encode(
            &self.lattice,
            &Claims {
                subject: user.public_key(),
                name: role.name.into(),
                nats: json!({
                    "pub": {"allow": role.permissions.publish},
                    "sub": {"allow": role.permissions.subscribe},
                    "subs": -1, "data": -1, "payload": -1,
                    "type": "user",
                    "version": 2,
                }),
            },
            issued_at,
        )?;
        let seed = user.seed().map_err(|source| IdentitiesError::Seed {
            path: self.dir.clone(),
            kind: "user",
            source,
        })?;
        Ok(Creds { jwt, seed })
    }

    /// Writes the server's configuration and every role's creds, issued at `issued_at`.
    pub fn write(&self, topics: &Topics, issued_at: u64) -> Result<Written, IdentitiesError> {
        let operator_jwt = jwt::encode(
            &self.operator,
            &Claims {
                subject: self.operator.public_key(),
                name: "movie-lattice".into(),
                nats: json!({
                    "system_account": self.system.public_key(),
                    "type": "operator",
                    "version": 2,
                }),
            },
            issued_at,
        )?;
        // Unlimited, and JetStream only in the lattice's account (all zero leaves it off).
        let limits = |jetstream: i64| {
            json!({
                "subs": -1, "data": -1, "payload": -1, "imports": -1, "exports": -1,
                "wildcards": true, "conn": -1, "leaf": -1,
                "mem_storage": jetstream, "disk_storage": jetstream,
                "streams": jetstream, "consumer": jetstream,
            })
        };
        let account_jwt = |key: &KeyPair, name: &str, jetstream: i64| {
            jwt::encode(
                &self.operator,
                &Claims {
                    subject: key.public_key(),
                    name: name.into(),
                    nats: json!({
                        "limits": limits(jetstream),
                        "default_permissions": {"pub": {}, "sub": {}},
                        "type": "account",
                        "version": 2,
                    }),
                },
                issued_at,
            )
        };
        let system_jwt = account_jwt(&self.system, "SYS", 0)?;
        let lattice_jwt = account_jwt(&self.lattice, "LATTICE", -1)?;

        let operator_path = self.dir.join("operator.jwt");
        write_file(&operator_path, &format!("{operator_jwt}\n"), 0o644)?;
        let server_config = self.dir.join("server.conf");
        write_file(
            &server_config,
            &format!(
                "# Written by lattice-auth from the seeds beside it: the lattice's operator, its\n\
                 # system account, and the accounts the server knows without a resolver service.\n\
                 operator: \"{operator}\"\n\
                 system_account: {system}\n\
                 resolver: MEMORY\n\
                 resolver_preload: {{\n  {system}: \"{system_jwt}\"\n  {lattice}: \"{lattice_jwt}\"\n}}\n",
                operator = operator_path.display(),
                system = self.system.public_key(),
                lattice = self.lattice.public_key(),
            ),
            0o644,
        )?;

        let mut users = Vec::new();
        for role in roles(topics) {
            let seed_path = self.dir.join(format!("users/{}.nk", role.name));
            let creds = self.issue(&role, &key(&seed_path, Kind::User)?, issued_at)?;
            let path = self.dir.join(format!("users/{}.creds", role.name));
            write_file(&path, &creds.to_file_text(), 0o600)?;
            users.push((role, path));
        }
        Ok(Written {
            server_config,
            users,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topics() -> Topics {
        Topics::parse(
            "default",
            "wasmcloud.secrets",
            "nats-kv",
            "wasmcloud.policy",
        )
        .expect("valid names")
    }

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("nats-auth-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn seeds_are_made_once_and_every_user_is_signed_by_the_lattice_account() {
        let dir = scratch("once");
        let first = Identities::open(&dir).expect("open");
        let written = first.write(&topics(), 1).expect("write");
        let again = Identities::open(&dir).expect("reopen");
        assert_eq!(first.lattice_account(), again.lattice_account());

        let mode = |path: &Path| fs::metadata(path).expect("metadata").permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&dir.join("operator.nk")), 0o600);
        assert_eq!(written.users.len(), 5);
        for (role, path) in &written.users {
            assert_eq!(mode(path), 0o600, "{}", role.name);
            let creds =
                Creds::parse(&fs::read_to_string(path).expect("creds")).expect("a creds file");
            let claims = jwt::decode_verified(&creds.jwt).expect("verifies");
            assert_eq!(claims["iss"], first.lattice_account());
            assert_eq!(claims["name"], role.name);
            assert_eq!(
                claims["sub"],
                KeyPair::from_seed(&creds.seed).expect("seed").public_key()
            );
            assert_eq!(
                claims["nats"]["pub"]["allow"],
                json!(role.permissions.publish)
            );
        }
        let config = fs::read_to_string(&written.server_config).expect("config");
        assert!(config.contains(&first.lattice_account()));
        assert!(config.contains("resolver: MEMORY"));
        for seed in ["operator.nk", "accounts/system.nk", "accounts/lattice.nk"] {
            let seed = fs::read_to_string(dir.join(seed)).expect("seed");
            assert!(
                !config.contains(seed.trim()),
                "a seed in the server's config"
            );
        }
        fs::remove_dir_all(&dir).expect("clean up");
    }

    #[test]
    fn a_seed_of_the_wrong_kind_is_refused() {
        let dir = scratch("kind");
        make_dir(&dir).expect("dir");
        let user_seed = KeyPair::new_user().seed().expect("seed");
        fs::write(dir.join("operator.nk"), user_seed).expect("write");
        assert!(matches!(
            Identities::open(&dir),
            Err(IdentitiesError::SeedKind { prefix: 'O', .. })
        ));
        fs::remove_dir_all(&dir).expect("clean up");
    }
}
