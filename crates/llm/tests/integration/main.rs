//! Behaviour of the OpenAI-compatible client against the fake server: one binary to keep link time down.

mod completion;
mod errors;
mod fake_server;
mod helpers;
mod retries;
mod streaming;
