//! The ceiling: the least an HTTP/1.1 server can do for a verify call on this
//! machine. It answers every request with the fixed, compact verify body.
//!
//! Usage: ceiling PORT

const BODY: &str = r#"{"message":"Token is valid.","token":"is valid","success":"true","device":{"id":null,"os_type":"sms","registration_date":1500648405,"registration_method":null,"registration_country":null,"registration_region":null,"registration_city":null,"country":null,"region":null,"city":null,"ip":null,"last_account_recovery_at":1494631010,"last_sync_date":null}}"#;

#[tokio::main]
async fn main() {
    let port = std::env::args().nth(1).unwrap_or_else(|| "0".into());
    let listener = tokio::net::TcpListener::bind(format!("127.0.0.1:{port}")).await.unwrap();
    println!("ceiling: listening on http://{}", listener.local_addr().unwrap());
    let answer = || async { ([("content-type", "application/json; charset=utf-8")], BODY) };
    axum::serve(listener, axum::Router::new().fallback(answer)).await.unwrap();
}
