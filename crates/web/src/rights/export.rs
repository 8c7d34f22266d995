//! The export of everything a user owns, as a zip written to an unnamed
//! temporary file (never held in memory: recordings can be large) and then
//! streamed. Entries are stored uncompressed: the `zip` build the workspace
//! already has carries no compressor, and recordings are compressed media.
//! The layout is documented in docs/data-rights.md; [`FORMAT`] names it.

use std::fs::File;
use std::io::{Seek, Write};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use filmroom_store::objects::ObjectStore;
use filmroom_store::{Store, User};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

/// The export format's name and version, written into `account.json`.
pub const FORMAT: &str = "filmroom-export/1";

fn rfc3339(t: OffsetDateTime) -> Value {
    t.format(&Rfc3339).map(Value::String).unwrap_or(Value::Null)
}

fn opt_rfc3339(t: Option<OffsetDateTime>) -> Value {
    t.map(rfc3339).unwrap_or(Value::Null)
}

/// A file name the user gave, made safe as the last part of a zip path.
fn entry_name(raw: &str) -> String {
    let name: String = raw
        .chars()
        .map(|c| {
            if matches!(c, '/' | '\\') || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    let name = name.trim_start_matches('.').trim();
    if name.is_empty() {
        "recording".to_owned()
    } else {
        name.to_owned()
    }
}

/// The zip being written; each entry is written on the blocking pool.
struct Archive(ZipWriter<File>);

impl Archive {
    async fn bytes(self, name: String, bytes: Vec<u8>) -> anyhow::Result<Self> {
        tokio::task::spawn_blocking(move || {
            let mut zip = self.0;
            zip.start_file(name.as_str(), options(bytes.len() as u64))
                .with_context(|| format!("Failed to start {name} in the export"))?;
            zip.write_all(&bytes)
                .with_context(|| format!("Failed to write {name} into the export"))?;
            Ok(Archive(zip))
        })
        .await
        .context("The export's writer stopped")?
    }

    async fn json(self, name: &str, value: &Value) -> anyhow::Result<Self> {
        let bytes = serde_json::to_vec_pretty(value).context("Failed to encode the export")?;
        self.bytes(name.to_owned(), bytes).await
    }

    async fn file(self, name: String, path: PathBuf) -> anyhow::Result<Self> {
        tokio::task::spawn_blocking(move || {
            let mut zip = self.0;
            let mut source = File::open(&path)
                .with_context(|| format!("Failed to open {} for the export", path.display()))?;
            let size = source.metadata().map(|m| m.len()).unwrap_or(u64::MAX);
            zip.start_file(name.as_str(), options(size))
                .with_context(|| format!("Failed to start {name} in the export"))?;
            std::io::copy(&mut source, &mut zip)
                .with_context(|| format!("Failed to copy {name} into the export"))?;
            Ok(Archive(zip))
        })
        .await
        .context("The export's writer stopped")?
    }

    async fn finish(self) -> anyhow::Result<File> {
        tokio::task::spawn_blocking(move || {
            let mut file = self.0.finish().context("Failed to finish the export")?;
            file.rewind().context("Failed to rewind the export")?;
            Ok(file)
        })
        .await
        .context("The export's writer stopped")?
    }
}

fn options(size: u64) -> SimpleFileOptions {
    SimpleFileOptions::default()
        .compression_method(CompressionMethod::Stored)
        .large_file(size >= u64::from(u32::MAX))
}

/// Writes the export of `user` and returns it as an unnamed temporary file
/// (gone once closed), rewound to its start.
pub async fn write_export(
    store: &Arc<dyn Store>,
    objects: &Arc<dyn ObjectStore>,
    user: &User,
    now: OffsetDateTime,
) -> anyhow::Result<File> {
    let owner = user.id;
    let file = tokio::task::spawn_blocking(tempfile::tempfile)
        .await
        .context("The export's writer stopped")?
        .context("Failed to create the export's temporary file")?;
    let mut zip = Archive(ZipWriter::new(file));

    let tokens = store.list_api_tokens(owner).await?;
    let links = store.identity_links(owner).await?;
    let account = json!({
        "format": FORMAT,
        "exported_at": rfc3339(now),
        "id": owner.to_string(),
        "username": user.username.as_str(),
        "is_admin": user.is_admin,
        "created_at": rfc3339(user.created_at),
        "plan": store.user_plan(owner).await?,
        "player_names": store.player_names(owner).await?,
        "identity_links": links.iter().map(|l| json!({
            "kind": l.kind,
            "participant": l.participant,
            "source": l.source.as_str(),
            "created_at": rfc3339(l.created_at),
        })).collect::<Vec<_>>(),
        "api_tokens": tokens.iter().map(|t| json!({
            "id": t.id.to_string(),
            "name": t.name,
            "created_at": rfc3339(t.created_at),
            "last_used_at": opt_rfc3339(t.last_used_at),
        })).collect::<Vec<_>>(),
    });
    zip = zip.json("account.json", &account).await?;

    let mut recordings = Vec::new();
    for owned in store.owned_files(owner).await? {
        let dir = format!("recordings/{}", owned.recording);
        let file_entry = format!("{dir}/{}", entry_name(&owned.original_filename));
        let (next, stored) = add_object(zip, objects, &owned.sha256, file_entry.clone()).await?;
        zip = next;
        let analysis = store.analysis_for_owner(owner, owned.recording).await?;
        let analysis_entry = match analysis {
            Some(report) => {
                let name = format!("{dir}/analysis.json");
                zip = zip.bytes(name.clone(), report.into_bytes()).await?;
                Some(name)
            }
            None => None,
        };
        recordings.push(json!({
            "id": owned.recording.to_string(),
            "kind": owned.kind,
            "original_filename": owned.original_filename,
            "uploaded_at": rfc3339(owned.uploaded_at),
            "size_bytes": owned.size,
            "sha256": owned.sha256.as_str(),
            "file": stored.then_some(file_entry),
            "analysis": analysis_entry,
        }));
    }
    zip = zip
        .json("recordings.json", &Value::Array(recordings))
        .await?;

    let mut conversations = Vec::new();
    for summary in store.list_conversations(owner, u32::MAX).await? {
        let c = summary.conversation;
        let messages = store.messages(owner, c.id).await?;
        conversations.push(json!({
            "id": c.id.to_string(),
            "title": c.title,
            "profile": c.profile,
            "created_at": rfc3339(c.created_at),
            "updated_at": rfc3339(c.updated_at),
            "messages": messages.iter().map(|m| json!({
                "id": m.id.to_string(),
                "role": m.role.as_str(),
                "text": m.text,
                "created_at": rfc3339(m.created_at),
                "citations": m.citations.iter().map(|c| json!({
                    "recording": c.recording.to_string(),
                    "at_seconds": c.at_seconds,
                    "label": c.label,
                })).collect::<Vec<_>>(),
                "tool_calls": serde_json::from_str::<Value>(&m.tool_calls_json).unwrap_or(Value::Null),
                "attachments": serde_json::from_str::<Value>(&m.attachments_json).unwrap_or(Value::Null),
                "provider": m.provider,
                "model": m.model,
                "stop_reason": m.stop_reason,
                "input_tokens": m.input_tokens,
                "output_tokens": m.output_tokens,
                "cost_micros": m.cost_micros,
            })).collect::<Vec<_>>(),
        }));
    }
    zip = zip
        .json("conversations.json", &Value::Array(conversations))
        .await?;

    let notes: Vec<Value> = store
        .list_notes(owner)
        .await?
        .iter()
        .map(|n| {
            json!({
                "id": n.id.to_string(),
                "text": n.text,
                "author": n.author.as_str(),
                "created_at": rfc3339(n.created_at),
                "updated_at": rfc3339(n.updated_at),
            })
        })
        .collect();
    zip = zip.json("notes.json", &Value::Array(notes)).await?;

    let usage: Vec<Value> = store
        .usage_history(owner, u32::MAX, None)
        .await?
        .iter()
        .map(|u| {
            json!({
                "id": u.id.to_string(),
                "created_at": rfc3339(u.created_at),
                "conversation": u.conversation.map(|c| c.to_string()),
                "message": u.message.map(|m| m.to_string()),
                "provider": u.provider,
                "model": u.model,
                "input_tokens": u.input_tokens,
                "output_tokens": u.output_tokens,
                "cache_read_tokens": u.cache_read_tokens,
                "cache_write_tokens": u.cache_write_tokens,
                "latency_ms": u.latency_ms,
                "cost_micros": u.cost_micros,
                "outcome": u.outcome.as_str(),
                "error": u.error,
            })
        })
        .collect();
    zip = zip.json("usage.json", &Value::Array(usage)).await?;
    zip.finish().await
}

/// Copies the object into the zip from its local file, or through a
/// temporary file for a remote store. `false` (and no entry) when the
/// object is missing, which the listing then says.
async fn add_object(
    zip: Archive,
    objects: &Arc<dyn ObjectStore>,
    key: &filmroom_store::Sha256Hex,
    name: String,
) -> anyhow::Result<(Archive, bool)> {
    if let Some(path) = objects.local_path(key)
        && tokio::fs::try_exists(&path).await.unwrap_or(false)
    {
        return Ok((zip.file(name, path).await?, true));
    }
    let temp = tempfile::TempDir::new().context("Failed to create a temporary directory")?;
    let dest = temp.path().join("object");
    let found = objects
        .get_to_file(key, &dest)
        .await
        .with_context(|| format!("Failed to read the object {key} for the export"))?;
    if !found {
        tracing::warn!(object = %key, "an exported recording's object is missing");
        return Ok((zip, false));
    }
    // The directory (and the copy in it) goes when `temp` drops.
    Ok((zip.file(name, dest).await?, true))
}
