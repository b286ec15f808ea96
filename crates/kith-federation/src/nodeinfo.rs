//! NodeInfo 2.0 and 2.1 (<https://nodeinfo.diaspora.software/>): what software this is and how
//! many people use it. Client libraries detect Mastodon-compatible servers from it.

use serde::Serialize;

/// The schema versions served.
pub const VERSIONS: &[&str] = &["2.0", "2.1"];

/// The discovery document at `/.well-known/nodeinfo`.
pub fn discovery(base: &url::Url) -> serde_json::Value {
    let links: Vec<serde_json::Value> = VERSIONS
        .iter()
        .map(|v| {
            serde_json::json!({
                "rel": format!("http://nodeinfo.diaspora.software/ns/schema/{v}"),
                "href": format!("{}nodeinfo/{v}", base),
            })
        })
        .collect();
    serde_json::json!({ "links": links })
}

/// Counts that NodeInfo publishes.
#[derive(Debug, Clone, Copy, Default)]
pub struct Usage {
    /// Local people.
    pub users_total: i64,
    /// Local people active in the last 30 days.
    pub active_month: i64,
    /// Local people active in the last 180 days.
    pub active_halfyear: i64,
    /// Posts made here.
    pub local_posts: i64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Document {
    version: &'static str,
    software: Software,
    protocols: [&'static str; 1],
    services: Services,
    open_registrations: bool,
    usage: UsageJson,
    metadata: serde_json::Value,
}

#[derive(Serialize)]
struct Software {
    name: &'static str,
    version: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    repository: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    homepage: Option<&'static str>,
}

#[derive(Serialize)]
struct Services {
    inbound: [&'static str; 0],
    outbound: [&'static str; 0],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct UsageJson {
    users: UsersJson,
    local_posts: i64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct UsersJson {
    total: i64,
    active_month: i64,
    active_halfyear: i64,
}

/// The NodeInfo document for schema `version` (`2.0` or `2.1`); `None` for other versions.
pub fn document(
    version: &str,
    info: &kith_core::instance::InstanceInfo,
    usage: Usage,
) -> Option<serde_json::Value> {
    let version = *VERSIONS.iter().find(|v| **v == version)?;
    let is_21 = version == "2.1";
    let doc = Document {
        version,
        software: Software {
            name: "kith",
            version: kith_core::instance::KITH_VERSION,
            repository: is_21.then_some(env!("CARGO_PKG_REPOSITORY")),
            homepage: is_21.then_some(env!("CARGO_PKG_REPOSITORY")),
        },
        protocols: ["activitypub"],
        services: Services {
            inbound: [],
            outbound: [],
        },
        open_registrations: info.registrations_open,
        usage: UsageJson {
            users: UsersJson {
                total: usage.users_total,
                active_month: usage.active_month,
                active_halfyear: usage.active_halfyear,
            },
            local_posts: usage.local_posts,
        },
        // Clients (megalodon among them) recognise Mastodon-compatible servers by `upstream`.
        metadata: serde_json::json!({
            "nodeName": info.title,
            "nodeDescription": info.description,
            "upstream": { "name": "mastodon", "version": kith_core::instance::MASTODON_API_COMPAT },
        }),
    };
    serde_json::to_value(doc).ok()
}
