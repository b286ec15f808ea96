//! WebFinger (RFC 7033) for local accounts: `acct:NAME@DOMAIN`, `NAME@DOMAIN` and actor or
//! profile URLs all resolve to the same account.

use crate::{Data, FederationError};
use activitypub_federation::FEDERATION_CONTENT_TYPE;
use kith_core::types::ActorType;
use kith_core::InstanceUrls;
use kith_storage::accounts::{self, Account};
use kith_storage::OptionalExt;
use serde::Serialize;
use url::Url;

/// A WebFinger document (JRD).
#[derive(Debug, Clone, Serialize)]
pub struct Webfinger {
    /// `acct:NAME@DOMAIN`.
    pub subject: String,
    /// Other URIs for the same account.
    pub aliases: Vec<String>,
    /// Where to find the actor and the profile page.
    pub links: Vec<WebfingerLink>,
}

/// One link of a WebFinger document.
#[derive(Debug, Clone, Serialize)]
pub struct WebfingerLink {
    /// Relation.
    pub rel: &'static str,
    /// Media type.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Target.
    pub href: String,
}

/// Why a WebFinger query has no answer.
#[derive(Debug, thiserror::Error)]
pub enum WebfingerError {
    /// The resource is not a form WebFinger understands (answer 400).
    #[error("malformed resource: {0}")]
    Malformed(String),
    /// The resource is well formed but names nothing here (answer 404).
    #[error("no such account here")]
    NotFound,
    /// Our fault (answer 500).
    #[error(transparent)]
    Internal(#[from] FederationError),
}

/// What a resource names on this instance.
#[derive(Debug, PartialEq, Eq)]
pub enum LocalResource {
    /// A local account by username.
    Username(String),
    /// The instance actor.
    InstanceActor,
}

/// Parses a `resource` parameter against this instance.
pub fn parse_resource(
    resource: &str,
    urls: &InstanceUrls,
) -> Result<LocalResource, WebfingerError> {
    let resource = resource.trim();
    if resource.is_empty() {
        return Err(WebfingerError::Malformed("resource is empty".into()));
    }
    if resource.starts_with("http://") || resource.starts_with("https://") {
        let url = Url::parse(resource).map_err(|e| WebfingerError::Malformed(e.to_string()))?;
        if !urls.is_local(&url) {
            return Err(WebfingerError::NotFound);
        }
        if url.path() == urls.instance_actor().path() {
            return Ok(LocalResource::InstanceActor);
        }
        let path = url.path();
        let name = path
            .strip_prefix("/users/")
            .or_else(|| path.strip_prefix("/@"))
            .filter(|n| !n.is_empty() && !n.contains('/'))
            .ok_or(WebfingerError::NotFound)?;
        return Ok(LocalResource::Username(name.to_owned()));
    }
    let acct = resource.strip_prefix("acct:").unwrap_or(resource);
    let acct = acct.strip_prefix('@').unwrap_or(acct);
    let (user, domain) = acct
        .rsplit_once('@')
        .ok_or_else(|| WebfingerError::Malformed(format!("{resource:?} is not user@domain")))?;
    if user.is_empty()
        || domain.is_empty()
        || user.contains(['/', ':', ' '])
        || domain.contains(['/', ' '])
    {
        return Err(WebfingerError::Malformed(format!(
            "{resource:?} is not user@domain"
        )));
    }
    if !domain.eq_ignore_ascii_case(urls.domain()) {
        return Err(WebfingerError::NotFound);
    }
    if user.eq_ignore_ascii_case(urls.instance_actor_username()) {
        return Ok(LocalResource::InstanceActor);
    }
    Ok(LocalResource::Username(user.to_owned()))
}

/// Answers a WebFinger query for `resource`.
pub async fn respond(resource: &str, data: &Data) -> Result<Webfinger, WebfingerError> {
    let target = parse_resource(resource, &data.urls)?;
    let instance_actor = data.urls.instance_actor().to_string();
    let account = data
        .db
        .read(move |c| match target {
            LocalResource::Username(name) => Ok(accounts::local_by_username(c, &name)
                .optional()?
                .filter(|a| ActorType::of(a) != ActorType::Application)),
            LocalResource::InstanceActor => accounts::by_ap_id(c, &instance_actor).optional(),
        })
        .await
        .map_err(FederationError::from)?
        .ok_or(WebfingerError::NotFound)?;
    Ok(document(&account, &data.urls))
}

/// The WebFinger document of a local account.
pub fn document(account: &Account, urls: &InstanceUrls) -> Webfinger {
    let actor = account.ap_id.clone();
    let profile = account.url.clone().unwrap_or_else(|| actor.clone());
    let mut aliases = vec![actor.clone()];
    if profile != actor {
        aliases.push(profile.clone());
    }
    Webfinger {
        subject: format!("acct:{}@{}", account.username, urls.domain()),
        aliases,
        links: vec![
            WebfingerLink {
                rel: "http://webfinger.net/rel/profile-page",
                kind: "text/html",
                href: profile,
            },
            WebfingerLink {
                rel: "self",
                kind: FEDERATION_CONTENT_TYPE,
                href: actor,
            },
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_resource_form() {
        let urls = InstanceUrls::new("localhost:8080", true).unwrap();
        let ana = Ok::<_, ()>(LocalResource::Username("ana".into()));
        let p = |r: &str| parse_resource(r, &urls).map_err(|_| ());
        assert_eq!(p("acct:ana@localhost:8080"), ana);
        assert_eq!(p("ana@LOCALHOST:8080"), ana);
        assert_eq!(p("@ana@localhost:8080"), ana);
        assert_eq!(p("http://localhost:8080/users/ana"), ana);
        assert_eq!(p("http://localhost:8080/@ana"), ana);
        assert_eq!(
            p("http://localhost:8080/actor"),
            Ok(LocalResource::InstanceActor)
        );
        assert_eq!(
            p("acct:localhost@localhost:8080"),
            Ok(LocalResource::InstanceActor)
        );
        assert!(matches!(
            parse_resource("acct:ana@elsewhere.example", &urls),
            Err(WebfingerError::NotFound)
        ));
        assert!(matches!(
            parse_resource("http://elsewhere.example/users/ana", &urls),
            Err(WebfingerError::NotFound)
        ));
        for bad in [
            "",
            "ana",
            "acct:",
            "acct:@localhost:8080",
            "acct:ana@",
            "http://[bad",
        ] {
            assert!(
                matches!(
                    parse_resource(bad, &urls),
                    Err(WebfingerError::Malformed(_))
                ),
                "{bad}"
            );
        }
    }
}
