//! `Application` and `CredentialApplication`.

use kith_storage::oauth::App;
use serde::Serialize;

/// Mastodon's `Application`.
#[derive(Debug, Clone, Serialize)]
pub struct Application {
    pub id: String,
    pub name: String,
    pub website: Option<String>,
    pub scopes: Vec<String>,
    pub redirect_uri: String,
    pub redirect_uris: Vec<String>,
    /// Web push is not offered; Mastodon clients read the key's presence only.
    pub vapid_key: String,
}

/// `Application` with its client credentials, answered once at registration.
#[derive(Debug, Clone, Serialize)]
pub struct CredentialApplication {
    #[serde(flatten)]
    pub app: Application,
    pub client_id: String,
    pub client_secret: String,
    pub client_secret_expires_at: i64,
}

/// A stored app as `Application`.
pub fn app_to_api(app: &App) -> Application {
    let uris: Vec<String> = app
        .redirect_uri_list()
        .into_iter()
        .map(str::to_owned)
        .collect();
    Application {
        id: app.id.to_string(),
        name: app.name.clone(),
        website: app.website.clone(),
        scopes: app.scopes.split_whitespace().map(str::to_owned).collect(),
        redirect_uri: uris.join("\n"),
        redirect_uris: uris,
        vapid_key: String::new(),
    }
}

/// A freshly registered app with its credentials.
pub fn credential_app_to_api(app: &App) -> CredentialApplication {
    CredentialApplication {
        app: app_to_api(app),
        client_id: app.client_id.clone(),
        client_secret: app.client_secret.clone(),
        client_secret_expires_at: 0,
    }
}
