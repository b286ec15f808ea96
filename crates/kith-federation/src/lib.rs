//! Kith's ActivityPub layer, built on `activitypub_federation`: the wire shapes
//! (`protocol`), row wrappers that implement the library's traits (`objects`), WebFinger and
//! NodeInfo documents, and the federation configuration (HTTP client, signing, dev mode).
//!
//! Invariants: only this crate knows ActivityStreams JSON. Everything that arrives from another
//! server is treated as hostile: it is validated and its HTML sanitized before it reaches
//! storage, and an object's id must be on the same host as the actor that sent it.

pub mod activities;
pub mod blocklists;
pub mod cohort;
mod context;
pub mod convert;
pub mod delivery;
mod error;
pub mod fetch;
pub mod flags;
pub mod http_client;
pub mod inbox;
pub mod media_processing;
pub mod moderation;
pub mod nodeinfo;
pub mod objects;
pub mod outbound;
pub mod polls;
pub mod profile_links;
pub mod protocol;
pub mod publish;
pub mod resolve;
pub mod signatures;
pub mod text;
pub mod webfinger;

pub use context::{build_federation_config, KithContext};
pub use error::FederationError;

/// `activitypub_federation`'s per-request handle on our context.
pub type Data = activitypub_federation::config::Data<KithContext>;
/// The built federation configuration.
pub type FederationConfig = activitypub_federation::config::FederationConfig<KithContext>;
