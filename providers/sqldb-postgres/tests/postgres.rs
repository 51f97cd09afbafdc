//! The provider against a real Postgres (started by `scripts/postgres.sh` when it is not
//! running): type round-trips, errors with SQLSTATE, refused links, literal storage of
//! hostile strings, prepared statements.

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use bytes::Bytes;
use sqldb_postgres::bindings::wasmcloud::postgres::types::{
    Date, Offset, PgValue, ResultRow, Time, Timestamp, TimestampTz,
};
use sqldb_postgres::config::{self, ConfigError};
use sqldb_postgres::convert::{f32_parts, f64_parts};
use sqldb_postgres::{PostgresProvider, StatementError};

const COMPONENT: &str = "test-component";

/// A link as the application's: TLS, verified against the project's CA.
fn link_config(database: &str) -> HashMap<String, String> {
    let mut link = plain_link_config(database);
    link.insert(config::TLS_REQUIRED.into(), "true".into());
    link.insert(
        config::TLS_CA_FILE.into(),
        ensure_postgres().ca_file.clone(),
    );
    link
}

/// A link without TLS settings.
fn plain_link_config(database: &str) -> HashMap<String, String> {
    [
        (config::HOST, "127.0.0.1"),
        (config::PORT, "5432"),
        (config::USERNAME, "movie"),
        (config::PASSWORD, ensure_postgres().password.as_str()),
        (config::DATABASE, database),
        (config::POOL_SIZE, "4"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// How this machine's Postgres is reached: the CA that signed its certificate, and the
/// application role's password (both made by scripts/postgres.sh).
struct PgAccess {
    ca_file: String,
    password: String,
}

/// The project's scripts folder, seen from the package folder at run time (another checkout
/// may have built this binary).
fn scripts() -> std::path::PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf())
        .join("../../scripts")
}

/// Makes sure Postgres runs with the project's role, databases and TLS (once per test binary);
/// how to reach it.
fn ensure_postgres() -> &'static PgAccess {
    static ACCESS: OnceLock<PgAccess> = OnceLock::new();
    ACCESS.get_or_init(|| {
        let output = Command::new("bash")
            .arg("-c")
            .arg(r#"source "$1/env.sh" && "$1/postgres.sh" >&2 && echo "$PG_CA_FILE $PG_PASSWORD_FILE""#)
            .arg("bash")
            .arg(scripts())
            .output()
            .expect("run scripts/postgres.sh");
        assert!(
            output.status.success(),
            "scripts/postgres.sh failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let paths = String::from_utf8_lossy(&output.stdout);
        let (ca_file, password_file) = paths
            .trim()
            .split_once(' ')
            .expect("the CA's and the password's files");
        let ca_file = ca_file.to_string();
        let password = std::fs::read_to_string(password_file)
            .unwrap_or_else(|err| panic!("the role's password in {password_file}: {err}"))
            .trim()
            .to_string();
        PgAccess { ca_file, password }
    })
}

/// A provider with one ready link to `movie_metadata`, and a fresh table name.
async fn linked() -> (PostgresProvider, String) {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    ensure_postgres();
    let provider = PostgresProvider::default();
    provider
        .add_link(COMPONENT, &link_config("movie_metadata"), &HashMap::new())
        .await
        .expect("link accepted");
    let table = format!(
        "provider_test_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    );
    (provider, table)
}

async fn exec(provider: &PostgresProvider, sql: &str, params: Vec<PgValue>) -> Vec<ResultRow> {
    provider
        .query(COMPONENT, sql, params)
        .await
        .unwrap_or_else(|err| panic!("{sql}: {err}"))
}

/// `PgValue` has no `PartialEq` (its generated enums derive it, its variants do not), so
/// values are compared by their full `Debug` form.
#[track_caller]
fn assert_same(actual: &PgValue, expected: &PgValue, context: &str) {
    assert_eq!(format!("{actual:?}"), format!("{expected:?}"), "{context}");
}

fn single(rows: &[ResultRow], column: &str) -> PgValue {
    assert_eq!(rows.len(), 1, "one row expected");
    rows[0]
        .iter()
        .find(|entry| entry.column_name == column)
        .map(|entry| entry.value.clone())
        .unwrap_or_else(|| panic!("no column {column}"))
}

/// Stores `value` in a column of `sql_type` and reads it back.
async fn round_trip(
    provider: &PostgresProvider,
    table: &str,
    sql_type: &str,
    value: PgValue,
) -> PgValue {
    exec(provider, &format!("DROP TABLE IF EXISTS {table}"), vec![]).await;
    exec(
        provider,
        &format!("CREATE TABLE {table} (v {sql_type})"),
        vec![],
    )
    .await;
    exec(
        provider,
        &format!("INSERT INTO {table} (v) VALUES ($1)"),
        vec![value],
    )
    .await;
    let rows = exec(provider, &format!("SELECT v FROM {table}"), vec![]).await;
    exec(provider, &format!("DROP TABLE {table}"), vec![]).await;
    single(&rows, "v")
}

#[tokio::test]
async fn every_supported_type_round_trips() {
    let (provider, table) = linked().await;
    let ts = Timestamp {
        date: Date::Ymd((2024, 2, 29)),
        time: Time {
            hour: 13,
            min: 14,
            sec: 15,
            micro: 123_456,
        },
    };
    let cases: Vec<(&str, PgValue, PgValue)> = vec![
        (
            "text",
            PgValue::Text("héllo ✓".into()),
            PgValue::Text("héllo ✓".into()),
        ),
        ("int2", PgValue::Int2(-12), PgValue::Int2(-12)),
        ("int4", PgValue::Int4(1 << 30), PgValue::Int4(1 << 30)),
        ("int8", PgValue::Int8(-(1 << 60)), PgValue::Int8(-(1 << 60))),
        // An int4 value binds to a wider column.
        ("int8", PgValue::Int4(7), PgValue::Int8(7)),
        (
            "float8",
            PgValue::Float8(f64_parts(-2.5e-7)),
            PgValue::Float8(f64_parts(-2.5e-7)),
        ),
        (
            "float4",
            PgValue::Float4(f32_parts(1.5)),
            PgValue::Float4(f32_parts(1.5)),
        ),
        (
            "numeric",
            PgValue::Numeric("12345.678900".into()),
            PgValue::Numeric("12345.678900".into()),
        ),
        ("bool", PgValue::Bool(true), PgValue::Bool(true)),
        ("text", PgValue::Null, PgValue::Null),
        (
            "bytea",
            PgValue::Bytea(Bytes::from_static(&[0, 1, 254, 255])),
            PgValue::Bytea(Bytes::from_static(&[0, 1, 254, 255])),
        ),
        (
            "uuid",
            PgValue::Uuid("67e55044-10b1-426f-9247-bb680e5fe0c8".into()),
            PgValue::Uuid("67e55044-10b1-426f-9247-bb680e5fe0c8".into()),
        ),
        (
            "json",
            PgValue::Json(r#"{"a":[1,2]}"#.into()),
            PgValue::Json(r#"{"a":[1,2]}"#.into()),
        ),
        (
            "jsonb",
            PgValue::Jsonb(r#"{"b":null}"#.into()),
            PgValue::Jsonb(r#"{"b":null}"#.into()),
        ),
        (
            "date",
            PgValue::Date(Date::Ymd((1999, 12, 31))),
            PgValue::Date(Date::Ymd((1999, 12, 31))),
        ),
        (
            "date",
            PgValue::Date(Date::PositiveInfinity),
            PgValue::Date(Date::PositiveInfinity),
        ),
        ("time", PgValue::Time(ts.time), PgValue::Time(ts.time)),
        ("timestamp", PgValue::Timestamp(ts), PgValue::Timestamp(ts)),
        (
            "timestamptz",
            // 13:14 at UTC+2 is 11:14 UTC; results come back in UTC.
            PgValue::TimestampTz(TimestampTz {
                timestamp: ts,
                offset: Offset::EasternHemisphereSecs(2 * 3600),
            }),
            PgValue::TimestampTz(TimestampTz {
                timestamp: Timestamp {
                    date: Date::Ymd((2024, 2, 29)),
                    time: Time {
                        hour: 11,
                        ..ts.time
                    },
                },
                offset: Offset::EasternHemisphereSecs(0),
            }),
        ),
        (
            "inet",
            PgValue::Inet("192.168.0.1".into()),
            PgValue::Inet("192.168.0.1".into()),
        ),
        (
            "text[]",
            PgValue::TextArray(vec!["a".into(), "b c".into()]),
            PgValue::TextArray(vec!["a".into(), "b c".into()]),
        ),
        (
            "int4[]",
            PgValue::Int4Array(vec![1, -2, 3]),
            PgValue::Int4Array(vec![1, -2, 3]),
        ),
        (
            "int8[]",
            PgValue::Int8Array(vec![i64::MAX]),
            PgValue::Int8Array(vec![i64::MAX]),
        ),
        (
            "bool[]",
            PgValue::BoolArray(vec![true, false]),
            PgValue::BoolArray(vec![true, false]),
        ),
        (
            "float8[]",
            PgValue::Float8Array(vec![f64_parts(0.5)]),
            PgValue::Float8Array(vec![f64_parts(0.5)]),
        ),
        (
            "numeric[]",
            PgValue::NumericArray(vec!["1.5".into(), "-2".into()]),
            PgValue::NumericArray(vec!["1.5".into(), "-2".into()]),
        ),
        (
            "bytea[]",
            PgValue::ByteaArray(vec![Bytes::from_static(b"x")]),
            PgValue::ByteaArray(vec![Bytes::from_static(b"x")]),
        ),
        (
            "uuid[]",
            PgValue::UuidArray(vec!["00000000-0000-0000-0000-000000000001".into()]),
            PgValue::UuidArray(vec!["00000000-0000-0000-0000-000000000001".into()]),
        ),
        (
            "jsonb[]",
            PgValue::JsonbArray(vec!["1".into(), "\"s\"".into()]),
            PgValue::JsonbArray(vec!["1".into(), "\"s\"".into()]),
        ),
        (
            "date[]",
            PgValue::DateArray(vec![Date::Ymd((2000, 1, 1))]),
            PgValue::DateArray(vec![Date::Ymd((2000, 1, 1))]),
        ),
        (
            "timestamp[]",
            PgValue::TimestampArray(vec![ts]),
            PgValue::TimestampArray(vec![ts]),
        ),
    ];
    for (sql_type, value, expected) in cases {
        let back = round_trip(&provider, &table, sql_type, value.clone()).await;
        assert_same(&back, &expected, &format!("{sql_type}: sent {value:?}"));
    }
    provider.close_all().await;
}

#[tokio::test]
async fn varchar_and_char_come_back_as_their_variants() {
    let (provider, table) = linked().await;
    let back = round_trip(
        &provider,
        &table,
        "varchar(10)",
        PgValue::Text("abc".into()),
    )
    .await;
    assert_same(
        &back,
        &PgValue::Varchar((None, Bytes::from_static(b"abc"))),
        "varchar",
    );
    let back = round_trip(&provider, &table, "char(4)", PgValue::Text("ab".into())).await;
    assert_same(
        &back,
        &PgValue::Char((4, Bytes::from_static(b"ab  "))),
        "char",
    );
}

#[tokio::test]
async fn unsupported_types_and_values_are_clear_errors() {
    let (provider, table) = linked().await;
    let err = provider
        .query(COMPONENT, "SELECT '1 day'::interval AS i", vec![])
        .await
        .expect_err("interval is not supported");
    assert!(err.to_string().contains("column \"i\""), "{err}");
    assert!(err.to_string().contains("interval"), "{err}");
    let err = provider
        .query(COMPONENT, "SELECT $1::text", vec![PgValue::PgLsn(5)])
        .await
        .expect_err("pg-lsn parameter");
    assert!(
        matches!(err, StatementError::InvalidParams(ref msg) if msg.contains("pg-lsn")),
        "{err}"
    );
    let err = provider
        .query(
            COMPONENT,
            "SELECT $1::uuid",
            vec![PgValue::Text("nope".into())],
        )
        .await
        .expect_err("bad uuid");
    assert!(
        matches!(err, StatementError::InvalidParams(ref msg) if msg.contains("not a uuid")),
        "{err}"
    );
    let err = provider
        .query(
            COMPONENT,
            "SELECT $1::int4",
            vec![PgValue::Text("x".into())],
        )
        .await
        .expect_err("text for an int");
    assert!(matches!(err, StatementError::InvalidParams(_)), "{err}");
    let err = provider
        .query(
            COMPONENT,
            "SELECT $1::int4, $2::int4",
            vec![PgValue::Int4(1)],
        )
        .await
        .expect_err("too few parameters");
    assert!(
        err.to_string().contains("takes 2 parameter(s) but 1"),
        "{err}"
    );
    let _ = table;
}

#[tokio::test]
async fn bad_queries_carry_their_sqlstate() {
    let (provider, table) = linked().await;
    let err = provider
        .query(COMPONENT, "SELEC 1", vec![])
        .await
        .expect_err("syntax error");
    assert!(
        matches!(err, StatementError::InvalidQuery(ref msg) if msg.contains("SQLSTATE 42601")),
        "{err}"
    );
    let err = provider
        .query(COMPONENT, &format!("SELECT * FROM {table}_missing"), vec![])
        .await
        .expect_err("missing table");
    assert!(err.to_string().contains("SQLSTATE 42P01"), "{err}");
    exec(
        &provider,
        &format!("CREATE TABLE {table} (id int PRIMARY KEY)"),
        vec![],
    )
    .await;
    exec(
        &provider,
        &format!("INSERT INTO {table} VALUES (1)"),
        vec![],
    )
    .await;
    let err = provider
        .query(
            COMPONENT,
            &format!("INSERT INTO {table} VALUES ($1)"),
            vec![PgValue::Int4(1)],
        )
        .await
        .expect_err("duplicate key");
    assert!(err.to_string().contains("SQLSTATE 23505"), "{err}");
    exec(&provider, &format!("DROP TABLE {table}"), vec![]).await;
}

#[tokio::test]
async fn hostile_strings_are_stored_literally() {
    let (provider, table) = linked().await;
    exec(&provider, &format!("CREATE TABLE {table} (v text)"), vec![]).await;
    let hostile = "'); DROP TABLE metadata; --";
    exec(
        &provider,
        &format!("INSERT INTO {table} VALUES ($1)"),
        vec![PgValue::Text(hostile.into())],
    )
    .await;
    let rows = exec(
        &provider,
        &format!("SELECT v FROM {table} WHERE v = $1"),
        vec![PgValue::Text(hostile.into())],
    )
    .await;
    assert_same(
        &single(&rows, "v"),
        &PgValue::Text(hostile.into()),
        "hostile",
    );
    let still_there = exec(
        &provider,
        "SELECT to_regclass('metadata')::text AS t",
        vec![],
    )
    .await;
    assert_same(
        &single(&still_there, "t"),
        &PgValue::Text("metadata".into()),
        "table kept",
    );
    exec(&provider, &format!("DROP TABLE {table}"), vec![]).await;
}

#[tokio::test]
async fn links_with_missing_or_wrong_keys_are_refused_by_name() {
    ensure_postgres();
    let provider = PostgresProvider::default();
    for key in [
        config::HOST,
        config::USERNAME,
        config::PASSWORD,
        config::DATABASE,
    ] {
        let mut link = link_config("movie_metadata");
        link.remove(key);
        let err = provider
            .add_link("refused", &link, &HashMap::new())
            .await
            .expect_err("refused");
        assert_eq!(err, ConfigError::Missing(key));
        assert!(err.to_string().contains(key));
    }
    let mut wrong_password = link_config("movie_metadata");
    wrong_password.insert(config::PASSWORD.into(), "not-the-password".into());
    let err = provider
        .add_link("refused", &wrong_password, &HashMap::new())
        .await
        .expect_err("bad password");
    assert!(err.to_string().contains(config::PASSWORD), "{err}");
    let err = provider
        .add_link("refused", &link_config("no_such_database"), &HashMap::new())
        .await
        .expect_err("missing database");
    assert!(err.to_string().contains(config::DATABASE), "{err}");
    // The refused component's calls say why (the last refusal: the missing database).
    let err = provider
        .query("refused", "SELECT 1", vec![])
        .await
        .expect_err("refused link");
    assert!(err.to_string().contains("refused"), "{err}");
    assert!(err.to_string().contains(config::DATABASE), "{err}");
    // A component that never linked is told so.
    let err = provider
        .query("stranger", "SELECT 1", vec![])
        .await
        .expect_err("no link");
    assert!(err.to_string().contains("no link"), "{err}");
}

#[tokio::test]
async fn prepared_statements_execute_by_token_for_their_owner_only() {
    let (provider, table) = linked().await;
    exec(&provider, &format!("CREATE TABLE {table} (v int)"), vec![]).await;
    let token = provider
        .prepare(
            COMPONENT,
            &format!("INSERT INTO {table} VALUES ($1), ($1 + 1)"),
        )
        .await
        .expect("prepared");
    let affected = provider
        .exec(COMPONENT, &token, vec![PgValue::Int4(10)])
        .await
        .expect("executed");
    assert_eq!(affected, Some(2));
    assert_eq!(
        provider
            .exec("someone-else", &token, vec![PgValue::Int4(1)])
            .await
            .expect("no error"),
        None,
        "another component cannot use the token"
    );
    assert_eq!(
        provider
            .exec(COMPONENT, "bogus", vec![])
            .await
            .expect("no error"),
        None
    );
    let err = provider
        .prepare(COMPONENT, "SELEC nonsense")
        .await
        .expect_err("does not prepare");
    assert!(err.to_string().contains("42601"), "{err}");
    let rows = exec(
        &provider,
        &format!("SELECT sum(v)::int8 AS s FROM {table}"),
        vec![],
    )
    .await;
    assert_same(&single(&rows, "s"), &PgValue::Int8(21), "sum");
    provider
        .query_batch(
            COMPONENT,
            &format!("DELETE FROM {table}; DROP TABLE {table};"),
        )
        .await
        .expect("batch");
}

#[tokio::test]
async fn removing_a_link_closes_its_pool() {
    let (provider, _table) = linked().await;
    exec(&provider, "SELECT 1", vec![]).await;
    provider.remove_link(COMPONENT).await;
    let err = provider
        .query(COMPONENT, "SELECT 1", vec![])
        .await
        .expect_err("unlinked");
    assert!(err.to_string().contains("no link"), "{err}");
}

#[tokio::test]
async fn a_statement_over_the_links_timeout_is_cancelled_with_an_error() {
    ensure_postgres();
    let provider = PostgresProvider::default();
    let mut config = link_config("movie_metadata");
    config.insert(config::STATEMENT_TIMEOUT_MS.to_string(), "300".to_string());
    provider
        .add_link(COMPONENT, &config, &HashMap::new())
        .await
        .expect("link accepted");
    let started = std::time::Instant::now();
    let err = provider
        .query(COMPONENT, "SELECT pg_sleep(5)", vec![])
        .await
        .expect_err("cancelled");
    let elapsed = started.elapsed();
    // 57014 = query_canceled (statement_timeout).
    assert!(err.to_string().contains("SQLSTATE 57014"), "{err}");
    assert!(
        elapsed < std::time::Duration::from_secs(4),
        "took {elapsed:?}"
    );
    // The link keeps working for statements under the limit.
    let rows = exec(&provider, "SELECT 1::int4 AS one", vec![]).await;
    assert_same(&single(&rows, "one"), &PgValue::Int4(1), "after a timeout");
}

/// A CA of nobody's: a self-signed certificate made with openssl in a scratch folder.
fn foreign_ca_pem() -> String {
    let dir = std::env::temp_dir().join(format!("foreign-ca-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch folder");
    let status = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
        ])
        .args(["-nodes", "-days", "1", "-subj", "/CN=someone else's CA"])
        .arg("-keyout")
        .arg(dir.join("ca.key"))
        .arg("-out")
        .arg(dir.join("ca.pem"))
        .output()
        .expect("run openssl");
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let pem = std::fs::read_to_string(dir.join("ca.pem")).expect("read the CA");
    std::fs::remove_dir_all(&dir).ok();
    pem
}

#[tokio::test]
async fn every_connection_is_tls_verified_against_the_project_ca() {
    let (provider, _) = linked().await;
    let rows = provider
        .query(
            COMPONENT,
            "SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            vec![],
        )
        .await
        .expect("query over TLS");
    assert_same(&single(&rows, "ssl"), &PgValue::Bool(true), "ssl");
    let version = single(&rows, "version");
    assert!(
        matches!(&version, PgValue::Text(v) if v.starts_with("TLSv1.")),
        "{version:?}"
    );

    // The CA given as PEM text (a secret or a config value) works as the file does.
    let ca = std::fs::read_to_string(&ensure_postgres().ca_file).expect("the project's CA");
    let mut inline = plain_link_config("movie_metadata");
    inline.insert(config::TLS_REQUIRED.into(), "true".into());
    inline.insert(config::TLS_CA.into(), ca);
    provider
        .add_link("inline-ca", &inline, &HashMap::new())
        .await
        .expect("the CA as PEM text");
}

#[tokio::test]
async fn plain_connections_and_foreign_cas_are_refused_by_name() {
    ensure_postgres();
    let provider = PostgresProvider::default();

    let err = provider
        .add_link(
            "plain",
            &plain_link_config("movie_metadata"),
            &HashMap::new(),
        )
        .await
        .expect_err("a plain connection");
    assert!(
        matches!(&err, ConfigError::Invalid { key, .. } if *key == config::TLS_REQUIRED),
        "{err}"
    );
    assert!(err.to_string().contains("only over TLS"), "{err}");

    let mut foreign = plain_link_config("movie_metadata");
    foreign.insert(config::TLS_REQUIRED.into(), "true".into());
    foreign.insert(config::TLS_CA.into(), foreign_ca_pem());
    let err = provider
        .add_link("foreign-ca", &foreign, &HashMap::new())
        .await
        .expect_err("a CA that did not sign the server's certificate");
    assert!(
        matches!(&err, ConfigError::Invalid { key, .. } if *key == config::TLS_CA),
        "{err}"
    );
    assert!(err.to_string().contains("UnknownIssuer"), "{err}");

    // Required TLS with no CA given trusts the public web's CAs, which did not sign ours.
    let mut public = plain_link_config("movie_metadata");
    public.insert(config::TLS_REQUIRED.into(), "true".into());
    let err = provider
        .add_link("public-web", &public, &HashMap::new())
        .await
        .expect_err("the public web's CAs");
    assert!(
        matches!(&err, ConfigError::Invalid { key, .. } if *key == config::TLS_CA),
        "{err}"
    );

    // A component whose link was refused learns why, with the link's name.
    let err = provider
        .query("foreign-ca", "SELECT 1", vec![])
        .await
        .expect_err("refused link");
    assert!(err.to_string().contains("foreign-ca"), "{err}");
    assert!(err.to_string().contains(config::TLS_CA), "{err}");
}
