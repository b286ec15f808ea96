//! Uploads processed after the answer: `POST /api/v2/media` stores a large file as it came,
//! marks its row as processing (`kith_storage::media::start_processing`, held by the process
//! for [`HOLD`]) and answers 202; [`finish`] then processes it (type, size, re-encoding,
//! thumbnail, blurhash: `kith_core::media::process`), stores the results and ends the
//! processing, or drops an upload that turns out unreadable, leaving no file behind. If the
//! process dies meanwhile, [`run`] in another (or the restarted) process takes the upload over
//! once its hold has run out.

use crate::{FederationError, KithContext};
use kith_core::media_store::new_key;
use kith_storage::media::{self, ProcessedFields};
use std::time::Duration;

/// Uploads to `/api/v2/media` larger than this are processed after the answer (202).
pub const ASYNC_ABOVE_BYTES: usize = 1024 * 1024;
/// How long a process holds an upload it processes before another may take it over.
pub const HOLD: chrono::Duration = chrono::Duration::minutes(5);
/// How often [`run`] looks for abandoned uploads.
pub const RECOVERY_EVERY: Duration = Duration::from_secs(60);

fn store_error(e: kith_core::media_store::StoreError) -> FederationError {
    FederationError::Core(kith_core::CoreError::Internal(format!(
        "media store: {}",
        e.0
    )))
}

/// Processes upload `media_id` from its original at `original_key`, and ends its processing.
pub async fn finish(
    ctx: &KithContext,
    media_id: i64,
    original_key: String,
) -> Result<(), FederationError> {
    let store = ctx.media.clone();
    let Some(bytes) = store.get(&original_key).await.map_err(store_error)? else {
        // The file is gone: nothing can come of this upload.
        ctx.db
            .write(move |c| media::drop_failed(c, media_id))
            .await?;
        return Ok(());
    };
    let processed = tokio::task::spawn_blocking(move || kith_core::media::process(&bytes))
        .await
        .map_err(|e| {
            FederationError::Core(kith_core::CoreError::Internal(format!(
                "media processing task failed: {e}"
            )))
        })?;
    let processed = match processed {
        Ok(p) => p,
        Err(e) => {
            tracing::info!(media_id, error = %e, "an upload could not be processed; dropped");
            ctx.db
                .write(move |c| media::drop_failed(c, media_id))
                .await?;
            store.delete(&original_key).await.map_err(store_error)?;
            return Ok(());
        }
    };
    let file_key = new_key(processed.extension);
    store
        .put(&file_key, processed.file.clone().into())
        .await
        .map_err(store_error)?;
    let thumbnail_key = match &processed.thumbnail {
        Some(t) => {
            let key = new_key(t.extension);
            if let Err(e) = store.put(&key, t.file.clone().into()).await {
                store.delete(&file_key).await.ok();
                return Err(store_error(e));
            }
            Some(key)
        }
        None => None,
    };
    let fields = ProcessedFields {
        kind: processed.kind.to_owned(),
        content_type: processed.content_type.to_owned(),
        file_key: file_key.clone(),
        file_size: processed.file.len() as i64,
        thumbnail_key: thumbnail_key.clone(),
        width: processed.width.map(|w| w as i32),
        height: processed.height.map(|h| h as i32),
        thumbnail_width: processed.thumbnail.as_ref().map(|t| t.width as i32),
        thumbnail_height: processed.thumbnail.as_ref().map(|t| t.height as i32),
        blurhash: processed.blurhash.clone(),
    };
    let finished = ctx
        .db
        .write(move |c| media::finish_processing(c, media_id, &fields))
        .await?;
    if finished {
        store.delete(&original_key).await.map_err(store_error)?;
    } else {
        // Deleted meanwhile (or finished by another process): keep no file of ours.
        store.delete(&file_key).await.ok();
        if let Some(k) = &thumbnail_key {
            store.delete(k).await.ok();
        }
    }
    Ok(())
}

/// Takes over, every `every`, the uploads whose processing was abandoned. Runs until aborted.
pub async fn run(ctx: KithContext, every: Duration) {
    loop {
        let now = kith_storage::now();
        match ctx
            .db
            .write(move |c| media::claim_stale_processing(c, now, now + HOLD, 20))
            .await
        {
            Ok(taken) => {
                for (id, key) in taken {
                    if let Err(e) = finish(&ctx, id, key).await {
                        tracing::warn!(media_id = id, error = %e, "could not process an upload");
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "looking for abandoned uploads failed"),
        }
        tokio::time::sleep(every).await;
    }
}
