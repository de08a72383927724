//! `wayfinder serve`: migrate, offer first-run setup, serve until SIGTERM or
//! Ctrl-C, then let in-flight requests finish.

use crate::{cli::ServeArgs, config::Config, open_migrated};
use chrono::{Duration, Utc};
use std::time::Duration as StdDuration;
use tokio::net::TcpListener;
use wayfinder_accounts_rules::new_secret;
use wayfinder_knowledge::JobWorker;
use wayfinder_server::AppState;
use wayfinder_store::Store;

/// Runs the server with `args` layered over `config`.
pub async fn run(mut config: Config, args: ServeArgs) -> anyhow::Result<()> {
    if let Some(bind) = args.bind {
        config.bind = bind;
    }
    if let Some(url) = args.public_url {
        config.public_url = Some(url);
    }
    let mut settings = config.server_settings()?;
    settings.accounts.server_key = std::sync::Arc::new(config.server_key()?);
    let store = open_migrated(&config).await?;
    // A secret sealed with a server key this instance lacks stops it here, with the reason.
    wayfinder_accounts::Accounts::new(store.clone(), settings.accounts.clone())
        .check_signing_keys()
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let providers = wayfinder_server::state::org_endpoints(&store, &settings);
    providers.check_and_reseal().await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let listener =
        TcpListener::bind(config.bind).await.map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.bind))?;
    let addr = listener.local_addr()?;
    // Links must point at the address actually bound (e.g. with --bind …:0).
    if config.public_url.is_none() {
        settings.public_url = format!("http://{addr}");
    }
    tracing::info!(%addr, backend = ?store.backend(), "Wayfinder is listening");
    if settings.web_app.is_available() {
        tracing::info!(source = %settings.web_app.describe(), "serving the web app at /");
    } else {
        tracing::warn!(
            source = %settings.web_app.describe(),
            "no web app to serve (no index.html): / explains how to build it; the API and the setup link work"
        );
    }
    if !store.operator_exists().await? {
        offer_setup(&store, &settings.public_url).await?;
    }
    // One signal stops both the server and the background loops.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let sweeper = tokio::spawn(after(1, stop_rx.clone(), sweep_expired_sessions(store.clone(), settings.session_idle)));
    let kb = crate::knowledge::knowledge_base(&config, store.clone())?.with_org_endpoints(providers);
    let orgs: Vec<_> = store.list_orgs().await?.into_iter().map(|o| o.id).collect();
    let requeued = kb.reconcile_embedding_models(&orgs).await?;
    if requeued > 0 {
        tracing::info!(collections = requeued, "the embedding model changed: re-embedding in the background");
    }
    let worker = {
        let mut stop = stop_rx.clone();
        let worker = JobWorker::new(kb.clone(), crate::knowledge::job_lease(&config));
        tokio::spawn(worker.run(async move {
            let _ = stop.wait_for(|s| *s).await;
        }))
    };
    let state = AppState::new(kb, settings)
        .with_models(crate::knowledge::chat_models(&config)?)
        .with_speech(crate::knowledge::speech_client(&config)?);
    // What start-up frees (migrations, parsing the command line, the background loops' first
    // passes) goes back to the system once it has run, and what later bursts free every minute.
    let releaser =
        tokio::spawn(crate::memory::return_freed_periodically(StdDuration::from_secs(3), StdDuration::from_secs(60)));
    // Each organisation's learner model is refitted to its own evidence as it grows.
    let fitter =
        tokio::spawn(after(2, stop_rx.clone(), state.learning.clone().fit_periodically(StdDuration::from_secs(600))));
    // Alert rules are evaluated every minute (an open alert per condition keeps instances from
    // firing one condition twice).
    let alerts = {
        let insights = state.insights.clone();
        let stop = stop_rx.clone();
        tokio::spawn(after(3, stop.clone(), async move { insights.run_alerts(StdDuration::from_secs(60), stop).await }))
    };
    // Messages from the platforms are answered, and the outbox sent, in the background.
    let inbound = tokio::spawn(state.channels.clone().run_inbound(stop_rx.clone()));
    let outbox = tokio::spawn(state.channels.clone().run_outbox(stop_rx.clone()));
    // Nudge rules are evaluated every five minutes (a decision per episode keeps instances from
    // nudging twice).
    let nudges = tokio::spawn(after(
        4,
        stop_rx.clone(),
        state.channels.clone().run_nudges(StdDuration::from_secs(300), stop_rx.clone()),
    ));
    // Sequences' due steps are taken every minute (a step is taken once, from the position it
    // was read at, so instances never send it twice).
    let sequences = tokio::spawn(after(
        5,
        stop_rx.clone(),
        state.channels.clone().run_sequences(StdDuration::from_secs(60), stop_rx.clone()),
    ));
    // Each organisation's retention policy is applied every hour.
    let retention =
        {
            let accounts = state.accounts.clone();
            let stop = stop_rx.clone();
            tokio::spawn(after(6, stop.clone(), async move {
                accounts.run_retention(StdDuration::from_secs(3600), stop).await
            }))
        };
    let grace = StdDuration::from_secs(config.shutdown_grace_seconds);
    let shutdown = async move {
        shutdown_signal().await;
        let _ = stop_tx.send(true);
    };
    // Metrics on an internal address of their own, when asked for.
    let metrics = match config.metrics_bind {
        Some(address) => {
            let listener = tokio::net::TcpListener::bind(address).await?;
            tracing::info!(%address, "serving /metrics");
            let mut stop = stop_rx.clone();
            let stopped = async move {
                let _ = stop.wait_for(|s| *s).await;
            };
            Some(tokio::spawn(wayfinder_server::metrics::serve_metrics(listener, state.clone(), stopped)))
        }
        None => None,
    };
    wayfinder_server::serve(listener, state, shutdown, grace).await?;
    if let Some(metrics) = metrics {
        let _ = metrics.await;
    }
    let _ = worker.await;
    let _ = alerts.await;
    let _ = inbound.await;
    let _ = outbox.await;
    let _ = nudges.await;
    let _ = sequences.await;
    let _ = retention.await;
    sweeper.abort();
    fitter.abort();
    releaser.abort();
    // Copies changed in the last seconds are saved now, so the next start reads them.
    if let Err(e) = store.save_changed_copies().await {
        tracing::warn!(error = %e, "saving the changed index copies at shutdown failed");
    }
    store.close().await;
    tracing::info!("Wayfinder stopped");
    Ok(())
}

/// Prints a one-time link that creates the first instance operator.
async fn offer_setup(store: &Store, public_url: &str) -> anyhow::Result<()> {
    let secret = new_secret("wfp");
    store.replace_setup_token(&secret.digest, Utc::now() + Duration::hours(24)).await?;
    outln!(
        "\n  No instance operator exists yet. Open this one-time link (valid 24 hours) to create one:\n\n    \
         {public_url}/setup?token={}\n\n  or run: wayfinder user create --operator --email you@example.org --name \"Your Name\"\n",
        secret.plaintext
    );
    Ok(())
}

/// Runs `work` `seconds` after start, unless the server is stopping by then. The loops that
/// run every minute or less often start a second apart, so their first passes take turns on
/// one pooled connection instead of each opening its own at once: an SQLite connection holds
/// about half a megabyte for as long as the pool keeps it (seven opened by start-up were 3 MB
/// of an idle server's 30).
async fn after(
    seconds: u64,
    mut stop: tokio::sync::watch::Receiver<bool>,
    work: impl std::future::Future<Output = ()>,
) {
    let stopping = async {
        let _ = stop.wait_for(|stopping| *stopping).await;
    };
    let due = tokio::select! {
        _ = tokio::time::sleep(StdDuration::from_secs(seconds)) => true,
        _ = stopping => false,
    };
    if due {
        work.await
    }
}

/// Deletes expired sessions and spent rate-limit counters every ten minutes so the tables do
/// not grow forever.
async fn sweep_expired_sessions(store: Store, idle: Duration) {
    let mut tick = tokio::time::interval(StdDuration::from_secs(600));
    loop {
        tick.tick().await;
        let now = Utc::now();
        match store.delete_expired_sessions(now, now - idle).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(sessions = n, "removed expired sessions"),
            Err(e) => tracing::warn!(error = %e, "could not remove expired sessions"),
        }
        // Rate-limit windows of one minute: anything older than the last few is spent.
        if let Err(e) = store.sweep_rate_counters((now - chrono::Duration::minutes(5)).timestamp_millis()).await {
            tracing::warn!(error = %e, "could not remove spent rate-limit counters");
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutdown requested; finishing in-flight requests");
}
