//! The provider binary the host starts (packaged as build/messaging-kafka-provider.par.gz).

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    messaging_kafka::serve::serve().await
}
