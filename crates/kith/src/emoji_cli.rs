//! `kith admin emoji add|list|remove`: the instance's own custom emoji, which people use as
//! `:shortcode:` in posts and apps list with `GET /api/v1/custom_emojis`. Images (PNG, GIF or
//! WebP, at most 256 KiB) go to the configured media store; admins only, audited.

use crate::config::Config;
use clap::Subcommand;
use kith_core::custom_emojis;
use kith_storage::{custom_emojis as store, Db};
use std::path::PathBuf;

/// `kith admin emoji …`
#[derive(Debug, Subcommand)]
pub enum EmojiCommand {
    /// Add an emoji from an image file.
    Add {
        /// The shortcode, used as `:shortcode:` (2 to 64 letters, digits or _).
        shortcode: String,
        /// The image: PNG, GIF or WebP, at most 256 KiB.
        file: PathBuf,
        /// The group apps show it in.
        #[arg(long)]
        category: Option<String>,
        /// The admin adding it (written to the audit log).
        #[arg(long = "as")]
        actor: String,
    },
    /// Print every emoji: shortcode, category, image key.
    List,
    /// Remove an emoji and its image.
    Remove {
        shortcode: String,
        /// The admin removing it (written to the audit log).
        #[arg(long = "as")]
        actor: String,
    },
}

/// Runs one `emoji` command.
pub async fn run(config: &Config, db: &Db, cmd: EmojiCommand) -> anyhow::Result<()> {
    match cmd {
        EmojiCommand::Add {
            shortcode,
            file,
            category,
            actor,
        } => {
            let staff = crate::admin::staff_named(db, Some(actor)).await?;
            let bytes = std::fs::read(&file)?;
            let media = config.media_store()?;
            custom_emojis::add(db, media.as_ref(), staff, &shortcode, bytes, category).await?;
            eprintln!(":{shortcode}: added");
        }
        EmojiCommand::List => {
            for e in db.read(store::all).await? {
                println!(
                    "{}\t{}\t{}",
                    e.shortcode,
                    e.category.as_deref().unwrap_or("-"),
                    e.storage_key
                );
            }
        }
        EmojiCommand::Remove { shortcode, actor } => {
            let staff = crate::admin::staff_named(db, Some(actor)).await?;
            let media = config.media_store()?;
            custom_emojis::remove(db, media.as_ref(), staff, &shortcode).await?;
            eprintln!(":{shortcode}: removed");
        }
    }
    Ok(())
}
