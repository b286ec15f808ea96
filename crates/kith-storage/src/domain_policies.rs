//! Rows and queries for domain policies (what this instance does about another server:
//! suspend, silence, noop, with reject-media / reject-reports flags) and the federation
//! allow-list. Which policy covers an account or URL is decided in `kith_core::domain_policy`;
//! here a policy's `domain` covers the hosts given by `covering_domains`.

use crate::pool::DbConn;
use crate::schema::{accounts, deliveries, domain_allows, domain_policies, follows};
use crate::StorageError;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// One domain policy (Mastodon's `DomainBlock`).
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = domain_policies)]
pub struct DomainPolicy {
    pub id: i64,
    pub domain: String,
    pub severity: String,
    pub reject_media: bool,
    pub reject_reports: bool,
    pub private_comment: Option<String>,
    pub public_comment: Option<String>,
    pub obfuscate: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// One allowed domain (Mastodon's `DomainAllow`), for the allow-list federation mode.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = domain_allows)]
pub struct DomainAllow {
    pub id: i64,
    pub domain: String,
    pub created_at: NaiveDateTime,
}

/// The policy domains that could cover `authority` (`host` or `host:port`, lower case): the
/// authority itself, its host, and every parent domain of the host (`a.b.example` →
/// `b.example`, `example`). A policy covers an authority when its domain is one of these.
pub fn covering_domains(authority: &str) -> Vec<String> {
    let authority = authority.trim().trim_end_matches('.').to_lowercase();
    let host = match authority.rsplit_once(':') {
        // An IPv6 literal keeps its brackets; only a trailing `:digits` is a port.
        Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) && !h.is_empty() => {
            h.to_owned()
        }
        _ => authority.clone(),
    };
    let mut out = vec![authority.clone()];
    if host != authority {
        out.push(host.clone());
    }
    if !host.starts_with('[') && host.parse::<std::net::Ipv4Addr>().is_err() {
        let mut rest = host.as_str();
        while let Some((_, parent)) = rest.split_once('.') {
            if parent.is_empty() {
                break;
            }
            out.push(parent.to_owned());
            rest = parent;
        }
    }
    out
}

/// Every policy, newest first.
pub fn list(conn: &mut DbConn) -> Result<Vec<DomainPolicy>, StorageError> {
    Ok(domain_policies::table
        .order(domain_policies::id.desc())
        .select(DomainPolicy::as_select())
        .load(conn)?)
}

/// The policy with this id.
pub fn by_id(conn: &mut DbConn, id: i64) -> Result<DomainPolicy, StorageError> {
    Ok(domain_policies::table
        .find(id)
        .select(DomainPolicy::as_select())
        .first(conn)?)
}

/// The policy for exactly this domain.
pub fn by_domain(conn: &mut DbConn, domain: &str) -> Result<DomainPolicy, StorageError> {
    Ok(domain_policies::table
        .filter(domain_policies::domain.eq(domain))
        .select(DomainPolicy::as_select())
        .first(conn)?)
}

/// Every policy covering `authority` (see `covering_domains`).
pub fn covering(conn: &mut DbConn, authority: &str) -> Result<Vec<DomainPolicy>, StorageError> {
    Ok(domain_policies::table
        .filter(domain_policies::domain.eq_any(covering_domains(authority)))
        .select(DomainPolicy::as_select())
        .load(conn)?)
}

/// Inserts a policy.
pub fn insert(conn: &mut DbConn, policy: &DomainPolicy) -> Result<(), StorageError> {
    diesel::insert_into(domain_policies::table)
        .values(policy)
        .execute(conn)?;
    Ok(())
}

/// Replaces a policy's fields (by id).
pub fn update(conn: &mut DbConn, policy: &DomainPolicy) -> Result<(), StorageError> {
    diesel::update(domain_policies::table.find(policy.id))
        .set(policy)
        .execute(conn)?;
    Ok(())
}

/// Deletes a policy; returns whether there was one.
pub fn delete(conn: &mut DbConn, id: i64) -> Result<bool, StorageError> {
    Ok(diesel::delete(domain_policies::table.find(id)).execute(conn)? > 0)
}

/// Every allowed domain, newest first.
pub fn allows(conn: &mut DbConn) -> Result<Vec<DomainAllow>, StorageError> {
    Ok(domain_allows::table
        .order(domain_allows::id.desc())
        .select(DomainAllow::as_select())
        .load(conn)?)
}

/// The allowed domain with this id.
pub fn allow_by_id(conn: &mut DbConn, id: i64) -> Result<DomainAllow, StorageError> {
    Ok(domain_allows::table
        .find(id)
        .select(DomainAllow::as_select())
        .first(conn)?)
}

/// The allow-list entry for exactly this domain.
pub fn allow_by_domain(conn: &mut DbConn, domain: &str) -> Result<DomainAllow, StorageError> {
    Ok(domain_allows::table
        .filter(domain_allows::domain.eq(domain))
        .select(DomainAllow::as_select())
        .first(conn)?)
}

/// Whether an allow-list entry covers `authority`.
pub fn is_allowed(conn: &mut DbConn, authority: &str) -> Result<bool, StorageError> {
    let n: i64 = domain_allows::table
        .filter(domain_allows::domain.eq_any(covering_domains(authority)))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// Inserts an allow-list entry.
pub fn insert_allow(conn: &mut DbConn, allow: &DomainAllow) -> Result<(), StorageError> {
    diesel::insert_into(domain_allows::table)
        .values(allow)
        .execute(conn)?;
    Ok(())
}

/// Deletes an allow-list entry; returns whether there was one.
pub fn delete_allow(conn: &mut DbConn, id: i64) -> Result<bool, StorageError> {
    Ok(diesel::delete(domain_allows::table.find(id)).execute(conn)? > 0)
}

/// The SQL condition "column `col` (an accounts.domain or deliveries.host value) is covered by
/// policy row `p`": equal, a subdomain, or either of those with a port.
fn covered_sql(col: &str) -> String {
    format!(
        "({col} = p.domain OR {col} LIKE '%.' || p.domain OR {col} LIKE p.domain || ':%' \
         OR {col} LIKE '%.' || p.domain || ':%')"
    )
}

/// Remote accounts covered by a policy of one of these severities, as a sub-select of ids
/// for `statuses.account_id NOT IN (…)`.
pub fn accounts_under_sql(severities: &[&str]) -> String {
    let list = severities
        .iter()
        .map(|s| format!("'{}'", s.replace('\'', "")))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "SELECT a.id FROM accounts a JOIN domain_policies p ON p.severity IN ({list}) AND {}",
        covered_sql("a.domain")
    )
}

/// Severs every follow (and follow request) between a local account and an account on
/// `domain` or its subdomains, both ways; returns how many there were.
pub fn sever_follows(conn: &mut DbConn, domain: &str) -> Result<usize, StorageError> {
    let remote = remote_account_ids(conn, domain)?;
    if remote.is_empty() {
        return Ok(0);
    }
    let mut n = 0;
    for chunk in remote.chunks(500) {
        n += diesel::delete(
            follows::table.filter(
                follows::account_id
                    .eq_any(chunk)
                    .or(follows::target_account_id.eq_any(chunk)),
            ),
        )
        .execute(conn)?;
    }
    Ok(n)
}

/// Drops every queued delivery to `domain` or its subdomains; returns how many there were.
pub fn drop_deliveries(conn: &mut DbConn, domain: &str) -> Result<usize, StorageError> {
    let hosts: Vec<String> = deliveries::table
        .select(deliveries::host)
        .distinct()
        .load(conn)?;
    let doomed: Vec<String> = hosts
        .into_iter()
        .filter(|h| covering_domains(h).iter().any(|d| d == domain))
        .collect();
    if doomed.is_empty() {
        return Ok(0);
    }
    Ok(diesel::delete(deliveries::table.filter(deliveries::host.eq_any(doomed))).execute(conn)?)
}

/// Forgets the media of the accounts on `domain` or its subdomains: their posts' attachments,
/// their avatars and headers, and the domain's custom emoji (Kith keeps remote media as links,
/// so nothing else is cached). Returns how many accounts were covered.
pub fn strip_media(conn: &mut DbConn, domain: &str) -> Result<usize, StorageError> {
    use crate::schema::statuses;
    crate::remote_emojis::forget_domain(conn, domain)?;
    let remote = remote_account_ids(conn, domain)?;
    for chunk in remote.chunks(500) {
        diesel::update(accounts::table.filter(accounts::id.eq_any(chunk)))
            .set((
                accounts::avatar_url.eq(None::<String>),
                accounts::header_url.eq(None::<String>),
            ))
            .execute(conn)?;
        diesel::update(
            statuses::table
                .filter(statuses::account_id.eq_any(chunk))
                .filter(statuses::attachments.ne("[]")),
        )
        .set(statuses::attachments.eq("[]"))
        .execute(conn)?;
    }
    Ok(remote.len())
}

/// Ids of remote accounts on `domain` or its subdomains (any port).
pub fn remote_account_ids(conn: &mut DbConn, domain: &str) -> Result<Vec<i64>, StorageError> {
    let domains: Vec<(i64, Option<String>)> = accounts::table
        .filter(accounts::domain.is_not_null())
        .filter(
            accounts::domain
                .eq(domain)
                .or(accounts::domain.like(format!("%.{domain}")))
                .or(accounts::domain.like(format!("{domain}:%")))
                .or(accounts::domain.like(format!("%.{domain}:%"))),
        )
        .select((accounts::id, accounts::domain))
        .load(conn)?;
    // LIKE's `_` matches any character: check each exactly.
    Ok(domains
        .into_iter()
        .filter(|(_, d)| {
            d.as_deref()
                .is_some_and(|d| covering_domains(d).iter().any(|c| c == domain))
        })
        .map(|(id, _)| id)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::covering_domains;

    #[test]
    fn covering_domains_walk_up_the_host() {
        assert_eq!(
            covering_domains("a.b.example:8443"),
            ["a.b.example:8443", "a.b.example", "b.example", "example"]
        );
        assert_eq!(covering_domains("Example.COM"), ["example.com", "com"]);
        assert_eq!(
            covering_domains("127.0.0.1:4000"),
            ["127.0.0.1:4000", "127.0.0.1"]
        );
    }
}
