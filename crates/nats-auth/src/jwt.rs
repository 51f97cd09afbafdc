//! NATS JWTs (version 2 claims), signed with the issuer's nkey: what nats-server checks when
//! an operator, account or user is presented to it.

use data_encoding::{BASE32_NOPAD, BASE64URL_NOPAD};
use nkeys::KeyPair;
use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};

/// The header every NATS v2 JWT carries.
const HEADER: &str = r#"{"typ":"JWT","alg":"ed25519-nkey"}"#;

#[derive(Debug, thiserror::Error)]
pub enum JwtError {
    #[error("failed to sign the claims of '{name}' with key {issuer}")]
    Sign {
        name: String,
        issuer: String,
        #[source]
        source: nkeys::error::Error,
    },
    #[error("a JWT has three dot-separated parts; this one has {0}")]
    Shape(usize),
    #[error("a part of the JWT is not base64url")]
    Encoding(#[from] data_encoding::DecodeError),
    #[error("the JWT's claims are not JSON")]
    Json(#[from] serde_json::Error),
    #[error("the JWT's claims name no issuer")]
    NoIssuer,
    #[error("the JWT's signature does not verify against its issuer {issuer}")]
    Signature {
        issuer: String,
        #[source]
        source: nkeys::error::Error,
    },
}

/// What a JWT says about its subject: a name, and the NATS-specific claims (`nats`), whose
/// `type` says whether it is an operator, an account or a user.
#[derive(Debug, Clone)]
pub struct Claims {
    pub subject: String,
    pub name: String,
    pub nats: Value,
}

/// Signs `claims` as `issuer`, issued at `issued_at` (seconds since the epoch). The `jti` is
/// the SHA-256 of the claims without it, in base32, as nsc makes it.
pub fn encode(issuer: &KeyPair, claims: &Claims, issued_at: u64) -> Result<String, JwtError> {
    let mut body = json!({
        "iat": issued_at,
        "iss": issuer.public_key(),
        "jti": "",
        "name": claims.name,
        "sub": claims.subject,
        "nats": claims.nats,
    });
    let digest = Sha256::digest(serde_json::to_vec(&body)?);
    body["jti"] = Value::String(BASE32_NOPAD.encode(&digest));
    let signing_input = format!(
        "{}.{}",
        BASE64URL_NOPAD.encode(HEADER.as_bytes()),
        BASE64URL_NOPAD.encode(&serde_json::to_vec(&body)?)
    );
    let signature = issuer
        .sign(signing_input.as_bytes())
        .map_err(|source| JwtError::Sign {
            name: claims.name.clone(),
            issuer: issuer.public_key(),
            source,
        })?;
    Ok(format!(
        "{signing_input}.{}",
        BASE64URL_NOPAD.encode(&signature)
    ))
}

/// The claims of `jwt`, once its signature verifies against the issuer it names.
pub fn decode_verified(jwt: &str) -> Result<Value, JwtError> {
    let parts: Vec<&str> = jwt.split('.').collect();
    let [header, body, signature] = parts[..] else {
        return Err(JwtError::Shape(parts.len()));
    };
    let claims: Value = serde_json::from_slice(&BASE64URL_NOPAD.decode(body.as_bytes())?)?;
    let issuer = claims["iss"].as_str().ok_or(JwtError::NoIssuer)?;
    let key = KeyPair::from_public_key(issuer).map_err(|source| JwtError::Signature {
        issuer: issuer.to_owned(),
        source,
    })?;
    key.verify(
        format!("{header}.{body}").as_bytes(),
        &BASE64URL_NOPAD.decode(signature.as_bytes())?,
    )
    .map_err(|source| JwtError::Signature {
        issuer: issuer.to_owned(),
        source,
    })?;
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims_for(subject: &KeyPair) -> Claims {
        Claims {
            subject: subject.public_key(),
            name: "someone".into(),
            nats: json!({"type": "user", "version": 2}),
        }
    }

    #[test]
    fn a_jwt_verifies_against_its_issuer_and_carries_the_claims() {
        let account = KeyPair::new_account();
        let user = KeyPair::new_user();
        let jwt = encode(&account, &claims_for(&user), 1_700_000_000).expect("encode");
        let claims = decode_verified(&jwt).expect("verifies");
        assert_eq!(claims["iss"], account.public_key());
        assert_eq!(claims["sub"], user.public_key());
        assert_eq!(claims["iat"], 1_700_000_000);
        assert_eq!(claims["nats"]["type"], "user");
        assert_eq!(claims["jti"].as_str().map(str::len), Some(52));
        let header = jwt.split('.').next().expect("a header");
        assert_eq!(
            BASE64URL_NOPAD
                .decode(header.as_bytes())
                .expect("base64url"),
            HEADER.as_bytes()
        );
    }

    #[test]
    fn a_changed_claim_breaks_the_signature() {
        let account = KeyPair::new_account();
        let jwt = encode(&account, &claims_for(&KeyPair::new_user()), 1).expect("encode");
        let mut parts: Vec<String> = jwt.split('.').map(str::to_owned).collect();
        let mut claims: Value =
            serde_json::from_slice(&BASE64URL_NOPAD.decode(parts[1].as_bytes()).expect("b64"))
                .expect("json");
        claims["name"] = "someone else".into();
        parts[1] = BASE64URL_NOPAD.encode(&serde_json::to_vec(&claims).expect("json"));
        assert!(matches!(
            decode_verified(&parts.join(".")),
            Err(JwtError::Signature { .. })
        ));
        assert!(matches!(decode_verified("a.b"), Err(JwtError::Shape(2))));
    }
}
