//! The server's one integration-test binary. Each test starts a real server on
//! a loopback port (port 0) with an in-memory SQLite database and a fake
//! clock, and drives it with the `authy` client, with raw HTTP for encodings
//! and errors, and with the official Python client.

mod node;
mod onetouch;
mod phones;
mod python;
mod sandbox;
mod security;
mod support;
mod tokens;
mod users;
mod wire;
