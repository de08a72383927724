//! The API test suite: one binary (fast to link), every scenario run against
//! the real server on SQLite and on PostgreSQL.

mod helpers;

mod accounts;
mod auth;
mod bad_input;
mod channels;
mod coach;
mod insights;
mod interview_voice;
mod interviews;
mod knowledge;
mod learning;
mod live;
mod mfa;
mod model_endpoints;
mod nudges;
mod oauth;
mod openai_sdk;
mod ops;
mod permissions;
mod practice;
mod privacy;
mod provisioning;
mod rate_limits;
mod sequences;
mod sso;
mod story;
mod web;
mod widgets;
