//! `Flag`: a report from another server, recorded (attributed to the sender) by
//! `flags::receive_flag` (a report in the staff queue, or kept aside if it names no local
//! account); it never acts on what it names by itself.

use crate::{Data, FederationError};
use kith_storage::accounts::Account;
use serde_json::Value;

pub(super) async fn receive(
    activity: &Value,
    actor: Account,
    data: &Data,
) -> Result<(), FederationError> {
    let activity = activity.clone();
    let urls = data.urls.clone();
    data.db
        .write(move |c| crate::flags::receive_flag(c, &urls, &activity, &actor))
        .await?;
    Ok(())
}
