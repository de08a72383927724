//! One integration test binary (one link): the local model through the public
//! API, and the remote provider against a fake OpenAI-compatible server.

mod local;
mod package;
mod remote;
