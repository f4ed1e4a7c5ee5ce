//! An Authy-compatible server: the Authy REST API as `WIRE.md` specifies it,
//! byte for byte, on an embedded SQLite database, with the sandbox control API
//! of `SANDBOX.md`.
//!
//! - [`startup`]: configuration, binding, start-up and shutdown ([`Application`]).
//! - [`routes`]: the Authy API, one module per resource; [`sandbox`]: the control API.
//! - [`params`]: how requests are authenticated and decoded; [`error`]: how errors answer.
//! - [`db`]: all SQL; [`crypto`], [`otp`], [`clock`], [`phone`], [`texts`], [`qr`]: the parts.

pub mod callbacks;
pub mod clock;
pub mod crypto;
pub mod db;
pub mod error;
pub mod otp;
pub mod params;
pub mod phone;
pub mod qr;
pub mod routes;
pub mod sandbox;
pub mod startup;
pub mod state;
pub mod texts;

pub use startup::{Application, Config, StartError};
pub use state::{AppState, Limits, Mode};
