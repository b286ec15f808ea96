//! Caps on what Kith keeps from a remote post or actor and shows of any post, in one place so
//! that the docs can list them. A remote post over a cap is kept, cut down to it (the excess dropped, as
//! Mastodon does); only a post whose id itself is too long is refused. Rendering applies the
//! same caps again, so rows stored before a cap existed cannot make a page large either.
//! The limits on what local people write (`MAX_STATUS_CHARS`) are here too, and
//! `/api/v2/instance` publishes them.

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
/// Remote custom emoji (`Emoji` tags) kept per post or actor; a shortcode is also at most
/// [`crate::custom_emojis::valid_shortcode`]'s 64 characters of `[a-zA-Z0-9_]`, and its image
/// URL at most [`MAX_URL_BYTES`].
pub const MAX_EMOJIS: usize = 50;
/// The longest language tag kept, in bytes.
pub const MAX_LANGUAGE_BYTES: usize = 16;
/// The longest display name kept from a remote actor, in characters.
pub const MAX_DISPLAY_NAME_CHARS: usize = 200;
/// The longest bio kept from a remote actor, in characters of HTML before sanitizing.
pub const MAX_BIO_CHARS: usize = 20_000;

/// Profile fields a local account may have (Mastodon's `DEFAULT_FIELDS_SIZE`).
pub const MAX_PROFILE_FIELDS: usize = 4;
/// Profile fields kept of a remote actor's `attachment`; later ones are dropped.
pub const MAX_REMOTE_PROFILE_FIELDS: usize = 16;
/// The longest profile field name, in characters (Mastodon's 255); a remote one is cut to it.
pub const MAX_FIELD_NAME_CHARS: usize = 255;
/// The longest profile field value, in characters (Mastodon's 2,047); a remote one is cut
/// to it (its HTML, before sanitizing).
pub const MAX_FIELD_VALUE_CHARS: usize = 2_047;
/// The most of a page a profile field links to that is read to verify the link
/// (`rel="me"`), in bytes.
pub const MAX_LINK_PAGE_BYTES: usize = 1024 * 1024;
/// The longest private note on an account, in characters (Mastodon's 2,000).
pub const MAX_ACCOUNT_NOTE_CHARS: usize = 2_000;
/// Hashtags one person may feature on their profile (Mastodon's 10).
pub const MAX_FEATURED_TAGS: i64 = 10;

/// Lists one person may have (Mastodon's limit).
pub const MAX_LISTS: i64 = 50;
/// Members one list may have.
pub const MAX_LIST_MEMBERS: i64 = 1_000;
/// The longest list title, in characters.
pub const MAX_LIST_TITLE_CHARS: usize = 256;
/// Filters one person may have.
pub const MAX_FILTERS: i64 = 100;
/// Keywords one filter may have.
pub const MAX_FILTER_KEYWORDS: i64 = 100;
/// Statuses one filter may name.
pub const MAX_FILTER_STATUSES: i64 = 1_000;
/// The longest filter title, in characters.
pub const MAX_FILTER_TITLE_CHARS: usize = 256;
/// The longest filter keyword, in characters.
pub const MAX_FILTER_KEYWORD_CHARS: usize = 512;
/// Accounts or ids taken from one request's array parameter (`account_ids[]`).
pub const MAX_IDS_PER_REQUEST: usize = 100;
/// Options kept of a remote poll (a `Question`'s `oneOf`/`anyOf`); later ones are dropped.
pub const MAX_POLL_OPTIONS: usize = 20;
/// The longest remote poll option kept, in characters of plain text.
pub const MAX_POLL_OPTION_CHARS: usize = 500;
/// Largest subscribed blocklist read (JSON or CSV), in bytes.
pub const MAX_BLOCKLIST_BYTES: usize = 2 * 1024 * 1024;
/// Most entries read from one subscribed blocklist.
pub const MAX_BLOCKLIST_ENTRIES: usize = 20_000;
/// Longest public reason kept from a blocklist entry or a cohort decision, in characters.
pub const MAX_BLOCKLIST_COMMENT: usize = 1_000;
/// Longest comment kept from a report a cohort member shares, in characters.
pub const MAX_COHORT_REPORT_CHARS: usize = 5_000;
/// The most ids one bulk request names (`id[]` of the notification requests' bulk accept and
/// dismiss); more are passed over.
pub const MAX_BULK_IDS: usize = 100;
/// The longest local post, in characters as Mastodon counts them (`status_length`): text
/// and content warning together.
pub const MAX_STATUS_CHARS: usize = 500;
/// What a link counts for in a post's length, however long it is (Mastodon's 23).
pub const CHARS_PER_URL: usize = 23;

/// The length of a post's text as Mastodon counts it against `MAX_STATUS_CHARS`: characters,
/// except that each `http(s)://` link counts `CHARS_PER_URL` and a mention of someone on
/// another server counts only its `@user` part.
pub fn status_length(text: &str) -> usize {
    let mut total = 0;
    let mut word = String::new();
    let word_length = |w: &str| -> usize {
        if w.starts_with("http://") || w.starts_with("https://") {
            return CHARS_PER_URL;
        }
        if let Some(rest) = w.strip_prefix('@') {
            if let Some((user, _domain)) = rest.split_once('@') {
                return 1 + user.chars().count();
            }
        }
        w.chars().count()
    };
    for ch in text.chars() {
        if ch.is_whitespace() {
            total += word_length(&word) + 1;
            word.clear();
        } else {
            word.push(ch);
        }
    }
    total + word_length(&word)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn posts_are_counted_as_mastodon_counts_them() {
        assert_eq!(status_length(""), 0);
        assert_eq!(status_length("héllo wörld"), 11);
        let long = format!("see https://example.com/{}", "a".repeat(300));
        assert_eq!(status_length(&long), 4 + CHARS_PER_URL);
        assert_eq!(status_length("hi @ana@example.com!"), 3 + 4);
        assert_eq!(status_length("hi @ana"), 7);
        assert_eq!(status_length("a\n\nb"), 4);
    }
}
