//! The provider binary the host starts (packaged as build/sqldb-postgres-provider.par.gz).

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    sqldb_postgres::serve::serve().await
}
