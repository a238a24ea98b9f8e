//! The default rollups shipped with the star schema (`queries/rollups/default.sql`): the
//! materialized views that answer the dashboard KPIs of `queries/`.

use std::sync::Arc;

use crate::auth::Identity;
use crate::error::Result;
use crate::session::Engine;

/// `queries/rollups/default.sql`, as built into this binary.
pub const DEFAULT_ROLLUPS: &str = include_str!("../../../../queries/rollups/default.sql");

/// The statements of a SQL file of DDL: comment lines dropped, split at `;` (none of the
/// statements contains one).
pub fn statements(sql: &str) -> Vec<String> {
    let text: String = sql
        .lines()
        .filter(|l| !l.trim_start().starts_with("--"))
        .collect::<Vec<_>>()
        .join("\n");
    text.split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// Creates the default rollups that do not exist yet, as the local administrator; returns
/// how many statements ran.
pub async fn create_defaults(engine: &Arc<Engine>) -> Result<usize> {
    let mut session = engine.session(Identity::local())?;
    let statements = statements(DEFAULT_ROLLUPS);
    for statement in &statements {
        session.execute(statement).await?;
    }
    Ok(statements.len())
}
