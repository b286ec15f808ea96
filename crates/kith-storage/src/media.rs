//! Uploaded media attachments: one row per upload, with the storage keys of its file and
//! thumbnail. A row is unattached (`status_id` NULL) until a post of its owner takes it;
//! unattached rows older than a day are deleted by housekeeping (`unattached_before`).

use crate::pool::DbConn;
use crate::schema::{media_attachments, media_processing, scheduled_status_media};
use crate::StorageError;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// One upload.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Identifiable, Insertable)]
#[diesel(table_name = media_attachments)]
pub struct Media {
    pub id: i64,
    pub account_id: i64,
    pub status_id: Option<i64>,
    /// Mastodon's type: `image`, `gifv`, `video`, `audio`.
    pub kind: String,
    /// The type sniffed from the file's bytes (never the client's).
    pub content_type: String,
    pub file_key: String,
    pub file_size: i64,
    pub thumbnail_key: Option<String>,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub thumbnail_width: Option<i32>,
    pub thumbnail_height: Option<i32>,
    pub blurhash: Option<String>,
    pub description: Option<String>,
    pub focus_x: Option<f64>,
    pub focus_y: Option<f64>,
    /// Order among a post's attachments.
    pub position: i32,
    pub created_at: NaiveDateTime,
}

/// Stores a new upload.
pub fn insert(c: &mut DbConn, media: &Media) -> Result<(), StorageError> {
    diesel::insert_into(media_attachments::table)
        .values(media)
        .execute(c)?;
    Ok(())
}

/// The upload with this id.
pub fn by_id(c: &mut DbConn, id: i64) -> Result<Media, StorageError> {
    Ok(media_attachments::table
        .find(id)
        .select(Media::as_select())
        .first(c)?)
}

/// Uploads with these ids (any order; missing ones left out).
pub fn by_ids(c: &mut DbConn, ids: &[i64]) -> Result<Vec<Media>, StorageError> {
    Ok(media_attachments::table
        .filter(media_attachments::id.eq_any(ids))
        .select(Media::as_select())
        .load(c)?)
}

/// The media of these statuses, as (status id, media), in each post's order.
pub fn of_statuses(c: &mut DbConn, ids: &[i64]) -> Result<Vec<(i64, Media)>, StorageError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<Media> = media_attachments::table
        .filter(media_attachments::status_id.eq_any(ids))
        .order((media_attachments::position, media_attachments::id))
        .select(Media::as_select())
        .load(c)?;
    Ok(rows
        .into_iter()
        .filter_map(|m| Some((m.status_id?, m)))
        .collect())
}

/// Sets description and focal point.
pub fn describe(
    c: &mut DbConn,
    id: i64,
    description: Option<String>,
    focus: Option<(f64, f64)>,
) -> Result<(), StorageError> {
    diesel::update(media_attachments::table.find(id))
        .set((
            media_attachments::description.eq(description),
            media_attachments::focus_x.eq(focus.map(|f| f.0)),
            media_attachments::focus_y.eq(focus.map(|f| f.1)),
        ))
        .execute(c)?;
    Ok(())
}

/// Makes `ids` (in this order) the media of `status_id`; media it had before and no longer
/// lists become unattached (and are cleaned up with other unattached uploads). Each must be
/// `owner`'s and unattached or already on this status, else `NotFound` (and the caller's
/// transaction is rolled back).
pub fn attach(c: &mut DbConn, owner: i64, status_id: i64, ids: &[i64]) -> Result<(), StorageError> {
    diesel::update(
        media_attachments::table
            .filter(media_attachments::status_id.eq(status_id))
            .filter(media_attachments::id.ne_all(ids)),
    )
    .set(media_attachments::status_id.eq(None::<i64>))
    .execute(c)?;
    for (position, id) in ids.iter().enumerate() {
        let n = diesel::update(
            media_attachments::table
                .find(id)
                .filter(media_attachments::account_id.eq(owner))
                .filter(
                    media_attachments::status_id
                        .is_null()
                        .or(media_attachments::status_id.eq(status_id)),
                ),
        )
        .set((
            media_attachments::status_id.eq(Some(status_id)),
            media_attachments::position.eq(position as i32),
        ))
        .execute(c)?;
        if n != 1 {
            return Err(StorageError::NotFound);
        }
    }
    Ok(())
}

/// Deletes the row if it is unattached (the caller deletes its files); false if it was not.
pub fn delete_unattached(c: &mut DbConn, id: i64) -> Result<bool, StorageError> {
    let n = diesel::delete(
        media_attachments::table
            .find(id)
            .filter(media_attachments::status_id.is_null()),
    )
    .execute(c)?;
    Ok(n == 1)
}

/// Deletes up to `limit` unattached uploads made before `before`, oldest first, and returns
/// them (the caller deletes their files). Only rows still unattached when deleted are taken, so
/// a post attaching one meanwhile keeps it.
pub fn take_unattached_before(
    c: &mut DbConn,
    before: NaiveDateTime,
    limit: i64,
) -> Result<Vec<Media>, StorageError> {
    let ids: Vec<i64> = media_attachments::table
        .filter(media_attachments::status_id.is_null())
        .filter(media_attachments::created_at.lt(before))
        // Uploads a scheduled status will carry stay.
        .filter(diesel::dsl::not(diesel::dsl::exists(
            scheduled_status_media::table
                .filter(scheduled_status_media::media_id.eq(media_attachments::id)),
        )))
        .order(media_attachments::created_at)
        .limit(limit)
        .select(media_attachments::id)
        .load(c)?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(diesel::delete(
        media_attachments::table
            .filter(media_attachments::id.eq_any(&ids))
            .filter(media_attachments::status_id.is_null()),
    )
    .returning(media_attachments::all_columns)
    .get_results::<Media>(c)?)
}

/// Marks an upload as still being processed from the file at `original_key`, held by the
/// caller's process until `until`.
pub fn start_processing(
    c: &mut DbConn,
    media_id: i64,
    original_key: &str,
    until: NaiveDateTime,
) -> Result<(), StorageError> {
    diesel::insert_into(media_processing::table)
        .values((
            media_processing::media_id.eq(media_id),
            media_processing::original_key.eq(original_key),
            media_processing::claimed_until.eq(until),
        ))
        .execute(c)?;
    Ok(())
}

/// Which of these uploads are still being processed.
pub fn processing_among(c: &mut DbConn, ids: &[i64]) -> Result<Vec<i64>, StorageError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(media_processing::table
        .filter(media_processing::media_id.eq_any(ids))
        .select(media_processing::media_id)
        .load(c)?)
}

/// Takes over uploads whose processing process gave up (its hold ran out at `now`), holding
/// them until `until`; returns (media id, original key) of each taken, at most `limit`.
pub fn claim_stale_processing(
    c: &mut DbConn,
    now: NaiveDateTime,
    until: NaiveDateTime,
    limit: i64,
) -> Result<Vec<(i64, String)>, StorageError> {
    let stale: Vec<(i64, String)> = media_processing::table
        .filter(media_processing::claimed_until.lt(now))
        .limit(limit)
        .select((media_processing::media_id, media_processing::original_key))
        .load(c)?;
    let mut taken = Vec::new();
    for (id, key) in stale {
        let n = diesel::update(
            media_processing::table
                .find(id)
                .filter(media_processing::claimed_until.lt(now)),
        )
        .set(media_processing::claimed_until.eq(until))
        .execute(c)?;
        if n > 0 {
            taken.push((id, key));
        }
    }
    Ok(taken)
}

/// What processing found out about an upload.
#[derive(Debug, Clone, AsChangeset)]
#[diesel(table_name = media_attachments)]
#[diesel(treat_none_as_null = true)]
pub struct ProcessedFields {
    pub kind: String,
    pub content_type: String,
    pub file_key: String,
    pub file_size: i64,
    pub thumbnail_key: Option<String>,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub thumbnail_width: Option<i32>,
    pub thumbnail_height: Option<i32>,
    pub blurhash: Option<String>,
}

/// Records an upload's processed files and ends its processing; false if it is gone (deleted
/// meanwhile) or no longer processing, and then nothing is changed.
pub fn finish_processing(
    c: &mut DbConn,
    media_id: i64,
    fields: &ProcessedFields,
) -> Result<bool, StorageError> {
    let n = diesel::delete(media_processing::table.find(media_id)).execute(c)?;
    if n == 0 {
        return Ok(false);
    }
    diesel::update(media_attachments::table.find(media_id))
        .set(fields)
        .execute(c)?;
    Ok(true)
}

/// Drops an upload whose file could not be processed; returns its row if it was there.
pub fn drop_failed(c: &mut DbConn, media_id: i64) -> Result<Option<Media>, StorageError> {
    Ok(diesel::delete(media_attachments::table.find(media_id))
        .returning(media_attachments::all_columns)
        .get_results::<Media>(c)?
        .pop())
}
