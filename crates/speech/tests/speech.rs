//! Recordings checked through the crate's API, and the speech client against the fake server:
//! one test binary to keep link time down.

#[path = "speech/client.rs"]
mod client;
#[path = "speech/containers.rs"]
mod containers;
#[path = "speech/ogg.rs"]
mod ogg;
#[path = "speech/wav.rs"]
mod wav;
#[path = "speech/webm.rs"]
mod webm;
