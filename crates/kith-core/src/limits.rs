//! Caps on what Kith keeps from a remote post or actor and shows of any post, in one place so
//! that the docs can list them. A remote post over a cap is kept, cut down to it (the excess dropped, as
//! Mastodon does); only a post whose id itself is too long is refused. Rendering applies the
//! same caps again, so rows stored before a cap existed cannot make a page large either.
//! Kith reads no custom emoji from remote posts, so there is nothing of them to cap.

/// The longest post content kept, in characters of sanitized HTML.
pub const MAX_CONTENT_CHARS: usize = 100_000;
/// The longest content warning (`summary`) kept, in characters of plain text.
pub const MAX_SUMMARY_CHARS: usize = 500;
/// Media attachments kept per post (Mastodon keeps 16 of a remote post's).
pub const MAX_ATTACHMENTS: usize = 16;
/// The longest attachment description (alt text) kept, in characters (Mastodon's limit).
pub const MAX_DESCRIPTION_CHARS: usize = 1_500;
/// Hashtags kept per post.
pub const MAX_HASHTAGS: usize = 100;
/// The longest hashtag name kept, in bytes; longer ones are dropped.
pub const MAX_HASHTAG_BYTES: usize = 100;
/// Addressees and `Mention` tags considered per post (those that are known accounts become
/// mentions), so also the most mentions a post can have.
pub const MAX_MENTIONS: usize = 100;
/// The longest URL kept (a post's `url`, `inReplyTo`, conversation, attachment and mention
/// URLs; an actor's avatar, header, profile and collection URLs); longer optional ones are
/// dropped, and a post or actor whose id (or an actor whose inbox) is longer is refused.
pub const MAX_URL_BYTES: usize = 2_048;
/// The longest language tag kept, in bytes.
pub const MAX_LANGUAGE_BYTES: usize = 16;
/// The longest display name kept from a remote actor, in characters.
pub const MAX_DISPLAY_NAME_CHARS: usize = 200;
/// The longest bio kept from a remote actor, in characters of HTML before sanitizing.
pub const MAX_BIO_CHARS: usize = 20_000;
/// The most ids one bulk request names (`id[]` of the notification requests' bulk accept and
/// dismiss); more are passed over.
pub const MAX_BULK_IDS: usize = 100;
