//! Who may sign up through `POST /api/v1/accounts`: the registration mode (open, approval
//! required, invite-only, closed; kept in `instance_settings` as `registrations_mode`, closed
//! until an admin opens it), invites with expiry and use counts, and the sign-up itself. Every
//! sign-up notifies the staff (`admin.sign_up`); one awaiting approval cannot sign in until a
//! moderator approves it (`moderation::decide_sign_up`).

use crate::accounts::{create_local_user_then, NewLocalUser, Role};
use crate::moderation::Staff;
use crate::notifications::{notify, NotificationKind};
use crate::{audit, tokens, CoreError, InstanceUrls};
use kith_storage::accounts::Account;
use kith_storage::moderation::{self, AccountModeration, Invite};
use kith_storage::{settings, Db, DbConn, StorageError};
use std::str::FromStr;

/// The setting that holds the mode.
pub const MODE_SETTING: &str = "registrations_mode";
/// The longest sign-up reason kept, in characters.
pub const MAX_REASON_CHARS: usize = 1000;

/// How people may join.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Anyone may sign up.
    Open,
    /// Anyone may apply, giving a reason; a moderator approves or rejects.
    Approval,
    /// Only with a valid invite code.
    Invite,
    /// Nobody; admins make accounts with `kith admin create-user`.
    Closed,
}

impl Mode {
    /// The stored and displayed name.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Open => "open",
            Mode::Approval => "approval",
            Mode::Invite => "invite",
            Mode::Closed => "closed",
        }
    }
}

impl FromStr for Mode {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Mode, CoreError> {
        match s {
            "open" => Ok(Mode::Open),
            "approval" => Ok(Mode::Approval),
            "invite" => Ok(Mode::Invite),
            "closed" => Ok(Mode::Closed),
            _ => Err(CoreError::Invalid(format!(
                "mode must be open, approval, invite or closed, not {s:?}"
            ))),
        }
    }
}

/// The current mode (closed if never set).
pub fn mode(conn: &mut DbConn) -> Result<Mode, StorageError> {
    Ok(settings::get(conn, MODE_SETTING)?
        .and_then(|m| m.parse().ok())
        .unwrap_or(Mode::Closed))
}

/// Sets the mode as `staff` (audited).
pub fn set_mode(conn: &mut DbConn, staff: Staff, mode: Mode) -> Result<(), StorageError> {
    settings::set(conn, MODE_SETTING, mode.as_str())?;
    audit::record(
        conn,
        staff.account_id,
        "set_registrations_mode",
        "registrations",
        mode.as_str(),
        None,
    )?;
    Ok(())
}

/// Makes an invite as `staff`: usable `max_uses` times (unlimited if `None`) until
/// `expires_at` (forever if `None`). Audited.
pub fn create_invite(
    conn: &mut DbConn,
    staff: Staff,
    max_uses: Option<i32>,
    expires_at: Option<chrono::NaiveDateTime>,
) -> Result<Invite, CoreError> {
    if max_uses.is_some_and(|m| m < 1) {
        return Err(CoreError::Invalid("max_uses must be at least 1".into()));
    }
    let invite = Invite {
        id: kith_storage::id::new_id(),
        code: tokens::random_secret().chars().take(16).collect(),
        account_id: staff.account_id,
        max_uses,
        uses: 0,
        expires_at,
        created_at: kith_storage::now(),
    };
    moderation::insert_invite(conn, &invite)?;
    audit::record(
        conn,
        staff.account_id,
        "create_invite",
        "invite",
        &invite.id.to_string(),
        None,
    )?;
    Ok(invite)
}

/// Deletes an invite as `staff` (audited).
pub fn delete_invite(conn: &mut DbConn, staff: Staff, id: i64) -> Result<(), CoreError> {
    if !moderation::delete_invite(conn, id)? {
        return Err(CoreError::NotFound);
    }
    audit::record(
        conn,
        staff.account_id,
        "delete_invite",
        "invite",
        &id.to_string(),
        None,
    )?;
    Ok(())
}

/// What someone signing up gives.
#[derive(Debug, Clone)]
pub struct SignUp {
    pub username: String,
    pub password: String,
    /// Optional: a small instance may not ask for one.
    pub email: Option<String>,
    /// Why they want to join (needed in approval mode).
    pub reason: Option<String>,
    /// An invite code (needed in invite mode; in other modes it is ignored).
    pub invite_code: Option<String>,
    /// Whether they accepted the rules (required).
    pub agreement: bool,
}

/// The part of a sign-up that a refusal of [`sign_up`] is about, so that a form can show the
/// message beside its field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Username,
    Email,
    Password,
    Reason,
    InviteCode,
    Agreement,
}

impl Field {
    /// What a refusal of [`sign_up`] is about; `None` for the sign-up as a whole (registrations
    /// closed, server errors).
    pub fn of(error: &CoreError) -> Option<Field> {
        let msg = match error {
            CoreError::Taken("username") => return Some(Field::Username),
            CoreError::Taken("email") => return Some(Field::Email),
            CoreError::Invalid(msg) => msg.as_str(),
            CoreError::Forbidden(msg) if msg.contains("invite") => return Some(Field::InviteCode),
            _ => return None,
        };
        if msg.ends_with("is not an email address") {
            return Some(Field::Email);
        }
        // The messages of `accounts::create_local_user_then` and `sign_up` begin with what
        // they are about (a username is quoted after its word, so it cannot mislead).
        [
            ("username", Field::Username),
            ("password", Field::Password),
            ("reason", Field::Reason),
            ("the invite code", Field::InviteCode),
            ("agreement", Field::Agreement),
        ]
        .into_iter()
        .find(|(word, _)| msg.starts_with(word))
        .map(|(_, field)| field)
    }
}

/// Signs someone up as the mode allows: refused without accepting the rules, when closed, or invite-only without a usable
/// invite; in approval mode the account waits for approval. Returns the account and whether
/// it may sign in now.
pub async fn sign_up(
    db: &Db,
    urls: &InstanceUrls,
    form: SignUp,
) -> Result<(Account, bool), CoreError> {
    if !form.agreement {
        return Err(CoreError::Invalid("agreement must be accepted".into()));
    }
    let mode = db.read(mode).await?;
    let reason: Option<String> = form
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(|r| r.chars().take(MAX_REASON_CHARS).collect());
    match mode {
        Mode::Closed => return Err(CoreError::Forbidden("Registrations are closed".into())),
        Mode::Approval if reason.is_none() => {
            return Err(CoreError::Invalid(
                "reason is required: this instance approves each sign-up".into(),
            ))
        }
        Mode::Invite if form.invite_code.as_deref().unwrap_or("").is_empty() => {
            return Err(CoreError::Forbidden(
                "Registrations need an invite code".into(),
            ))
        }
        _ => {}
    }
    let code = form.invite_code.clone().filter(|_| mode == Mode::Invite);
    let new = NewLocalUser {
        username: form.username,
        password: form.password,
        email: form.email,
        role: Role::User,
    };
    let approved = mode != Mode::Approval;
    let account = create_local_user_then(db, urls, new, move |c, account| {
        if let Some(code) = code {
            if !moderation::use_invite(c, &code, kith_storage::now())? {
                return Err(StorageError::Conflict("invite".into()));
            }
        }
        if !approved {
            let mut state = AccountModeration::clear(account.id);
            state.approved = false;
            state.sign_up_reason = reason;
            moderation::set_state(c, &state)?;
        }
        for staff in moderation::staff_ids(c)? {
            notify(c, staff, account.id, NotificationKind::AdminSignUp, None)?;
        }
        Ok(())
    })
    .await?;
    Ok((account, approved))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_name_their_field() {
        let urls = InstanceUrls::new("kith.example", false).unwrap();
        let field = |e: CoreError| Field::of(&e);
        let bad_name = crate::accounts::validate_username("a reason", &urls).unwrap_err();
        assert_eq!(field(bad_name), Some(Field::Username));
        assert_eq!(field(CoreError::Taken("username")), Some(Field::Username));
        assert_eq!(field(CoreError::Taken("email")), Some(Field::Email));
        assert_eq!(
            field(CoreError::Invalid(
                "\"a password\" is not an email address".into()
            )),
            Some(Field::Email)
        );
        assert_eq!(
            field(CoreError::Invalid(
                "password must be at least 8 characters".into()
            )),
            Some(Field::Password)
        );
        assert_eq!(
            field(CoreError::Invalid(
                "the invite code is invalid, expired or used up".into()
            )),
            Some(Field::InviteCode)
        );
        assert_eq!(
            field(CoreError::Forbidden(
                "Registrations need an invite code".into()
            )),
            Some(Field::InviteCode)
        );
        assert_eq!(
            field(CoreError::Forbidden("Registrations are closed".into())),
            None
        );
    }
}
