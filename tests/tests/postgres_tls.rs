//! TLS to Postgres on the running lattice: the application's role gets in over TCP only with
//! TLS, and the app works with every one of the Postgres provider's connections encrypted and
//! verified against this machine's CA (scripts/postgres-tls.sh, the `postgres-tls` config).

use movie_e2e::{bash, unique, wash, TestApp};
use serde_json::json;

/// `psql` as the application's role over TCP with the given libpq `sslmode` (and the
/// project's CA for the verifying modes; the password from `$PGPASSFILE`); its output, or what
/// it said when refused.
fn psql_as_app(sslmode: &str, sql: &str) -> Result<String, String> {
    let output = bash()
        .arg("-c")
        .arg(
            r#"source scripts/env.sh && PGSSLMODE="$1" \
               PGSSLROOTCERT="$PG_CA_FILE" psql -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" \
               -d movie_metadata -qtAX -v ON_ERROR_STOP=1 -c "$2""#,
        )
        .arg("psql")
        .arg(sslmode)
        .arg(sql)
        .output()
        .expect("run psql");
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

#[test]
fn a_plain_connection_is_refused_while_the_app_works_over_tls() {
    let app = TestApp::deployed();

    let refused = psql_as_app("disable", "SELECT 1").expect_err("a plain connection");
    assert!(refused.contains("no encryption"), "{refused}");
    assert_eq!(
        psql_as_app(
            "verify-full",
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
        )
        .expect("TLS verified against the project's CA"),
        "t"
    );

    // Through the API: a write and a read, which the provider makes over its pools.
    let id = unique("tls");
    let movie = json!({"id": id, "title": "Sneakers", "description": "", "director": "Phil Alden Robinson"});
    assert_eq!(app.put_metadata(&movie).json_with(200), movie);
    assert_eq!(app.metadata(&id).json_with(200), movie);

    // Every connection of the provider's is TLS: none plain, at least one there.
    let counts = psql_as_app(
        "verify-full",
        "SELECT count(*) FILTER (WHERE s.ssl) || ' ' || count(*) FILTER (WHERE NOT s.ssl) \
         FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) \
         WHERE a.application_name = 'movie-lattice sqldb-postgres'",
    )
    .expect("the provider's connections");
    let (tls, plain) = counts.split_once(' ').expect("two counts");
    assert_eq!(plain, "0", "plain connections of the provider's: {counts}");
    assert_ne!(tls, "0", "the provider holds TLS connections: {counts}");

    // What the links are given: TLS required and the CA's certificate, nothing secret.
    let config = wash(&["config", "get", "postgres-tls", "-o", "json"]).expect("the TLS config");
    let config: serde_json::Value = serde_json::from_str(&config).expect("JSON");
    assert_eq!(config["POSTGRES_TLS_REQUIRED"], "true", "{config}");
    let ca = config["POSTGRES_TLS_CA"].as_str().unwrap_or_default();
    assert!(ca.starts_with("-----BEGIN CERTIFICATE-----"), "{config}");
    assert!(
        !ca.contains("PRIVATE KEY"),
        "only the certificate: {config}"
    );
}
