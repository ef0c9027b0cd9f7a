//! prefect-dev-server: a local Prefect 1.x-compatible GraphQL API on SQLite.

mod app;
mod auth;
mod db;
mod demo;
mod domain;
mod error;
mod graphql;
mod http;
mod simulate;

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use clap::Parser;

use crate::app::App;

/// A local Prefect 1.x-compatible GraphQL API server on SQLite, for development and tests.
#[derive(Parser, Debug)]
#[command(name = "prefect-dev-server", version)]
struct Cli {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:4200")]
    listen: String,
    /// SQLite database file (its directory is created), or `:memory:`.
    #[arg(long, default_value = "data/prefect.sqlite")]
    db: String,
    /// Require Cloud-style token auth (log_in / refresh_token / switch_tenant).
    #[arg(long)]
    auth: bool,
    /// A user for --auth: EMAIL:PASSWORD[:TENANT_SLUG[,TENANT_SLUG...]] (repeatable). Without
    /// slugs the user gets a tenant of their own.
    #[arg(long = "user", value_name = "EMAIL:PASSWORD[:TENANT_SLUGS]")]
    users: Vec<String>,
    /// Lifetime of access tokens, in seconds.
    #[arg(long, default_value_t = 900)]
    token_ttl: i64,
    /// An allowed CORS origin (repeatable); default: any loopback origin.
    #[arg(long = "cors-origin", value_name = "ORIGIN")]
    cors_origins: Vec<String>,
    /// Seed a demo tenant, project and flows, and print them (and the demo login with --auth).
    #[arg(long)]
    demo: bool,
    /// Run a simulated agent that executes scheduled flow runs.
    #[arg(long)]
    simulate: bool,
    /// Directory served at /ui/.
    #[arg(long, default_value = "www")]
    www: PathBuf,
    /// Directory served at /pkg/.
    #[arg(long, default_value = "pkg")]
    pkg: PathBuf,
}

const DEMO_EMAIL: &str = "demo@example.com";
const DEMO_PASSWORD: &str = "demo";

fn slugify(s: &str) -> String {
    let slug: String = s.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect();
    slug.trim_matches('-').to_string()
}

fn ensure_tenant(db: &db::Db, slug: &str, name: &str) -> Result<String, String> {
    db.write(|tx| domain::tenants::ensure(tx, slug, name)).map(domain::Id::into_string).map_err(|e| e.describe())
}

fn run(cli: Cli) -> Result<(), String> {
    let db = db::Db::open(&cli.db)?;
    let mut auth = None;
    let mut demo_tenant = None;
    let mut lines = Vec::new();
    if cli.auth {
        let mut a = auth::Auth::new(cli.token_ttl.max(1));
        let mut users = cli.users.clone();
        if cli.demo && !users.iter().any(|u| u.split(':').next() == Some(DEMO_EMAIL)) {
            users.push(format!("{DEMO_EMAIL}:{DEMO_PASSWORD}:demo"));
        }
        for spec in &users {
            let mut parts = spec.splitn(3, ':');
            let (Some(email), Some(password)) = (parts.next(), parts.next()) else {
                return Err(format!("--user expects EMAIL:PASSWORD[:TENANT_SLUGS], got {:?}", spec.split(':').next().unwrap_or("")));
            };
            if email.is_empty() || password.is_empty() {
                return Err("--user needs a non-empty email and password".into());
            }
            let slugs: Vec<String> = match parts.next() {
                Some(s) if !s.is_empty() => s.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect(),
                _ => vec![slugify(email.split('@').next().unwrap_or(email))],
            };
            let mut tenants = Vec::new();
            for slug in &slugs {
                let name = if slug == "demo" { "Demo".to_string() } else { slug.clone() };
                tenants.push(ensure_tenant(&db, slug, &name)?);
            }
            a.add_user(domain::Id::random().into_string(), email.to_string(), password, tenants);
        }
        if cli.demo {
            demo_tenant = Some(ensure_tenant(&db, "demo", "Demo")?);
            lines.push(format!("demo login: {DEMO_EMAIL} / {DEMO_PASSWORD} (tenant \"demo\")"));
        }
        auth = Some(a);
    } else {
        if !cli.users.is_empty() {
            tracing::warn!("--user has no effect without --auth");
        }
        let default = match db.read(domain::tenants::first).map_err(|e| e.describe())? {
            Some(id) => id.into_string(),
            None => ensure_tenant(&db, "default", "Default")?,
        };
        demo_tenant = Some(default);
    }
    if cli.demo {
        let info = demo::seed(&db, demo_tenant.as_deref().expect("demo tenant")).map_err(|e| e.describe())?;
        lines.push(format!(
            "demo data{}: tenant {} project \"Demo\" {}",
            if info.created { " seeded" } else { " (already present)" },
            info.tenant_id,
            info.project_id
        ));
        for (name, id) in &info.flows {
            lines.push(format!("demo flow: {name:<20} {id}"));
        }
    }
    let app = Arc::new(App { db, auth });
    let schema = graphql::build(app.clone(), 16, 5000);
    let state = http::HttpState { app: app.clone(), schema, www: Arc::new(cli.www.clone()), pkg: Arc::new(cli.pkg.clone()) };
    let router = http::router(state, http::Origins(cli.cors_origins.clone()));

    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| e.to_string())?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&cli.listen).await.map_err(|e| format!("cannot listen on {}: {e}", cli.listen))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "prefect-dev-server listening on http://{addr}");
            for l in &lines {
                let _ = writeln!(out, "{l}");
            }
            if cli.demo {
                let _ = writeln!(out, "dashboard: http://{addr}/ui/");
            }
            let _ = out.flush();
        }
        tracing::info!(%addr, auth = app.auth.is_some(), simulate = cli.simulate, db = %cli.db, "started");
        if cli.simulate {
            simulate::spawn(app.clone());
        }
        axum::serve(listener, router)
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
            .map_err(|e| e.to_string())
    })
}

fn main() {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("PREFECT_DEV_SERVER_LOG").unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let cli = Cli::parse();
    if let Err(e) = run(cli) {
        eprintln!("prefect-dev-server: {e}");
        std::process::exit(1);
    }
}
