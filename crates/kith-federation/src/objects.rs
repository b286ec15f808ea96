//! Row wrappers that implement `activitypub_federation`'s traits, converting between storage
//! rows and the wire shapes in `protocol`.

pub mod account;
pub mod emoji;
pub mod status;
