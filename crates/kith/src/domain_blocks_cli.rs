//! `kith admin domain-blocks export|import FILE`: domain blocks in Mastodon's blocklist CSV
//! (`#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate`). An import is
//! one transaction, acting as the staff member named by `--as` (audit log): a file with any
//! bad row is refused whole, every bad line named.

use clap::Subcommand;
use kith_core::domain_policy;
use kith_storage::{domain_policies, Db};
use std::path::PathBuf;

/// `kith admin domain-blocks …`
#[derive(Debug, Subcommand)]
pub enum DomainBlocksCommand {
    /// Write every domain block to FILE (`-` for standard output).
    Export {
        /// Where to write the CSV.
        file: PathBuf,
    },
    /// Apply every row of FILE (`-` for standard input); a block already there is replaced.
    Import {
        /// The CSV to read.
        file: PathBuf,
        /// The admin or moderator acting (each block is written to the audit log as theirs).
        #[arg(long = "as")]
        actor: String,
    },
}

/// Runs one `domain-blocks` command.
pub async fn run(db: &Db, cmd: DomainBlocksCommand) -> anyhow::Result<()> {
    match cmd {
        DomainBlocksCommand::Export { file } => {
            let rows = db.read(domain_policies::list).await?;
            let text = domain_policy::export_csv(&rows)?;
            if file.as_os_str() == "-" {
                print!("{text}");
            } else {
                std::fs::write(&file, text)?;
                eprintln!("{} domain blocks written to {}", rows.len(), file.display());
            }
        }
        DomainBlocksCommand::Import { file, actor } => {
            let text = if file.as_os_str() == "-" {
                std::io::read_to_string(std::io::stdin())?
            } else {
                std::fs::read_to_string(&file)?
            };
            let rows = match domain_policy::parse_csv(&text) {
                Ok(rows) => rows,
                Err(errors) => {
                    let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
                    anyhow::bail!(
                        "nothing imported; fix these rows first:\n{}",
                        lines.join("\n")
                    );
                }
            };
            let staff = crate::admin::staff_named(db, Some(actor)).await?;
            let n = rows.len();
            db.write(move |c| domain_policy::import(c, staff.account_id, &rows))
                .await?;
            println!("{n} domain blocks imported");
        }
    }
    Ok(())
}
