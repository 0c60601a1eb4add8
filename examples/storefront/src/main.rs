//! `cargo run -p storefront`: the storefront's MCP server on 127.0.0.1:8080.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let server = match storefront::server(storefront::StockFeed::up()).build() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("storefront: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match server.run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("storefront: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
