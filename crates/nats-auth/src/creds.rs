//! The creds file NATS clients read (`nats --creds`, async-nats `credentials_file`, wash's
//! `--ctl-credsfile`): a user's JWT and its nkey seed, each between marker lines.

use std::fmt::Write as _;

const JWT_BEGIN: &str = "-----BEGIN NATS USER JWT-----";
const JWT_END: &str = "------END NATS USER JWT------";
const SEED_BEGIN: &str = "-----BEGIN USER NKEY SEED-----";
const SEED_END: &str = "------END USER NKEY SEED------";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CredsError {
    #[error("the creds file has no {0} block")]
    Missing(&'static str),
    #[error("the creds file's {0} block is empty")]
    Empty(&'static str),
}

/// A user's JWT and seed, as a creds file holds them.
#[derive(Clone, PartialEq, Eq)]
pub struct Creds {
    pub jwt: String,
    pub seed: String,
}

impl std::fmt::Debug for Creds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Creds")
            .field("jwt", &self.jwt)
            .field("seed", &"<redacted>")
            .finish()
    }
}

fn block<'a>(text: &'a str, what: &'static str, begin: &str) -> Result<&'a str, CredsError> {
    let mut lines = text.lines().map(str::trim);
    lines
        .by_ref()
        .find(|line| *line == begin)
        .ok_or(CredsError::Missing(what))?;
    lines
        .find(|line| !line.is_empty())
        .filter(|line| !line.starts_with("---"))
        .ok_or(CredsError::Empty(what))
}

impl Creds {
    pub fn parse(text: &str) -> Result<Self, CredsError> {
        Ok(Self {
            jwt: block(text, "JWT", JWT_BEGIN)?.to_owned(),
            seed: block(text, "seed", SEED_BEGIN)?.to_owned(),
        })
    }

    /// The file's text, in the layout nsc writes.
    pub fn to_file_text(&self) -> String {
        let mut text = String::new();
        let _ = write!(
            text,
            "{JWT_BEGIN}\n{}\n{JWT_END}\n\n\
             ************************* IMPORTANT *************************\n\
             NKEY Seed printed below can be used to sign and prove identity.\n\
             NKEYs are sensitive and should be treated as secrets.\n\n\
             {SEED_BEGIN}\n{}\n{SEED_END}\n\n\
             *************************************************************\n",
            self.jwt, self.seed
        );
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_creds_file_round_trips() {
        let creds = Creds {
            jwt: "eyJhbGciOi.eyJzdWIi.c2ln".into(),
            seed: "SUAXXX".into(),
        };
        assert_eq!(Creds::parse(&creds.to_file_text()), Ok(creds.clone()));
        assert!(!format!("{creds:?}").contains("SUAXXX"));
    }

    #[test]
    fn a_file_without_either_block_is_refused() {
        assert_eq!(Creds::parse(""), Err(CredsError::Missing("JWT")));
        let only_jwt = format!("{JWT_BEGIN}\nabc\n{JWT_END}\n");
        assert_eq!(Creds::parse(&only_jwt), Err(CredsError::Missing("seed")));
        let empty_seed = format!("{JWT_BEGIN}\nabc\n{JWT_END}\n{SEED_BEGIN}\n{SEED_END}\n");
        assert_eq!(Creds::parse(&empty_seed), Err(CredsError::Empty("seed")));
    }
}
