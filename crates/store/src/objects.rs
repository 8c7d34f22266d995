//! Object storage: the recording files, content-addressed by SHA-256.
//!
//! [`ObjectStore`] is the seam; [`LocalObjectStore`] keeps files in a local
//! directory (the embedded default), [`s3::S3ObjectStore`] in a bucket of
//! any S3-compatible server (`s3://BUCKET`). [`connect_with`] picks one by URL.

pub mod s3;

use std::io::{Read, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use futures_util::stream::BoxStream;

use crate::types::{Sha256Hex, Sha256Stream};

/// What an object store call can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ObjectError {
    #[error("object storage I/O failed for {key}")]
    Io {
        key: String,
        #[source]
        source: std::io::Error,
    },
    /// The bytes given to `put` do not hash to their key.
    #[error("the bytes for object {key} do not hash to its key")]
    HashMismatch { key: String },
    #[error("invalid object storage URL: {0}")]
    InvalidUrl(String),
    #[error(
        "the {scheme:?} object storage backend is not supported (use file://PATH or s3://BUCKET)"
    )]
    UnsupportedBackend { scheme: String },
    /// A request to a remote store failed (after its retries).
    #[error("object storage request for {key} to {server} failed")]
    Remote {
        key: String,
        server: String,
        #[source]
        source: object_store::Error,
    },
    #[error("the bucket {bucket:?} does not exist on {server}; create it first")]
    BucketMissing { bucket: String, server: String },
    #[error(
        "the object storage at {server} (bucket {bucket:?}) cannot be reached or refused access"
    )]
    Unavailable {
        bucket: String,
        server: String,
        #[source]
        source: object_store::Error,
    },
}

/// Part of an object as it is read, in pieces.
pub type ByteStream = BoxStream<'static, Result<bytes::Bytes, ObjectError>>;

/// How much a streamed read holds in memory at a time.
const READ_PIECE: u64 = 64 * 1024;

/// Bytes under SHA-256 keys. Keys are [`Sha256Hex`], so a key can never be a
/// path: anything that is not 64 hex characters is refused by its parser.
#[async_trait]
pub trait ObjectStore: Send + Sync + 'static {
    /// Stores `bytes` under `key` atomically: readers see all of it or nothing.
    /// Refuses bytes whose SHA-256 is not `key`. Storing existing bytes again is fine.
    async fn put(&self, key: &Sha256Hex, bytes: &[u8]) -> Result<(), ObjectError>;
    /// Stores the file at `path` under `key` like [`ObjectStore::put`], taking
    /// the file over: it is moved, or removed once copied. A backend that can
    /// should never hold the file in memory; this default reads it whole.
    async fn put_file(&self, key: &Sha256Hex, path: &Path) -> Result<(), ObjectError> {
        let bytes = tokio::fs::read(path).await.map_err(io_error(key))?;
        self.put(key, &bytes).await?;
        tokio::fs::remove_file(path).await.map_err(io_error(key))
    }
    async fn get(&self, key: &Sha256Hex) -> Result<Option<Vec<u8>>, ObjectError>;
    /// Writes the object to a new file at `dest`; `Ok(false)` when there is
    /// none. A backend that can streams it; this default reads it whole.
    async fn get_to_file(&self, key: &Sha256Hex, dest: &Path) -> Result<bool, ObjectError> {
        let Some(bytes) = self.get(key).await? else {
            return Ok(false);
        };
        tokio::fs::write(dest, bytes).await.map_err(io_error(key))?;
        Ok(true)
    }
    /// The bytes `range` (half-open) of the object, streamed in pieces;
    /// `None` when there is no object. A range reaching past the end stops
    /// at the end (ask [`ObjectStore::size`] first to answer HTTP ranges).
    /// A backend that can never holds the range in memory; this default
    /// reads the whole object.
    async fn get_range(
        &self,
        key: &Sha256Hex,
        range: Range<u64>,
    ) -> Result<Option<ByteStream>, ObjectError> {
        let Some(bytes) = self.get(key).await? else {
            return Ok(None);
        };
        let len = bytes.len();
        let start = usize::try_from(range.start).unwrap_or(len).min(len);
        let end = usize::try_from(range.end).unwrap_or(len).clamp(start, len);
        let piece = bytes::Bytes::from(bytes).slice(start..end);
        Ok(Some(Box::pin(futures_util::stream::iter([Ok(piece)]))))
    }
    /// The object's size in bytes, `None` when there is none.
    async fn size(&self, key: &Sha256Hex) -> Result<Option<u64>, ObjectError> {
        Ok(self
            .get(key)
            .await?
            .map(|b| u64::try_from(b.len()).unwrap_or(u64::MAX)))
    }
    /// Whether the store can be used at all (server reachable, bucket there),
    /// so a misconfiguration stops startup rather than the first upload.
    async fn check(&self) -> Result<(), ObjectError> {
        Ok(())
    }
    async fn exists(&self, key: &Sha256Hex) -> Result<bool, ObjectError>;
    /// Returns whether there was something to delete.
    async fn delete(&self, key: &Sha256Hex) -> Result<bool, ObjectError>;
    /// Where the object lives on this machine's disk, for readers that take
    /// a path (large media); `None` for remote backends, whose readers
    /// fetch the bytes instead. No I/O: the object may not exist.
    fn local_path(&self, _key: &Sha256Hex) -> Option<PathBuf> {
        None
    }
}

/// Opens the object store named by `url`: `file://PATH` or a bare path
/// (`s3://` needs settings: see [`connect_with`]).
pub fn connect(url: &str) -> Result<Arc<dyn ObjectStore>, ObjectError> {
    connect_with(url, &s3::S3Settings::default())
}

/// Opens the object store named by `url`: `file://PATH`, a bare path, or
/// `s3://BUCKET` on the server `s3` describes. Makes no request; call
/// [`ObjectStore::check`] before relying on a remote store.
pub fn connect_with(url: &str, s3: &s3::S3Settings) -> Result<Arc<dyn ObjectStore>, ObjectError> {
    if let Some(bucket) = url.strip_prefix("s3://") {
        return Ok(Arc::new(s3::S3ObjectStore::new(bucket, s3)?));
    }
    if let Some(path) = url.strip_prefix("file://") {
        if path.is_empty() {
            return Err(ObjectError::InvalidUrl(format!(
                "{url:?} names no directory"
            )));
        }
        return Ok(Arc::new(LocalObjectStore::new(path)));
    }
    match url.split_once("://") {
        Some((scheme, _)) => Err(ObjectError::UnsupportedBackend {
            scheme: scheme.to_owned(),
        }),
        None if url.is_empty() => Err(ObjectError::InvalidUrl("empty path".to_owned())),
        None => Ok(Arc::new(LocalObjectStore::new(url))),
    }
}

/// Files under a root directory, sharded `ab/cd/abcd…` so no directory grows huge.
#[derive(Clone, Debug)]
pub struct LocalObjectStore {
    root: PathBuf,
}

impl LocalObjectStore {
    /// The directory is created on the first `put`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where `key` lives on disk.
    pub fn path_of(&self, key: &Sha256Hex) -> PathBuf {
        let hex = key.as_str();
        self.root.join(&hex[0..2]).join(&hex[2..4]).join(hex)
    }

    fn put_blocking(&self, key: &Sha256Hex, bytes: &[u8]) -> std::io::Result<()> {
        let target = self.path_of(key);
        let dir = target.parent().unwrap_or(&self.root);
        std::fs::create_dir_all(dir)?;
        // Same directory as the target, so the rename never crosses filesystems.
        let mut temp = tempfile_in(dir)?;
        let result = (|| {
            temp.1.write_all(bytes)?;
            temp.1.sync_all()?;
            std::fs::rename(&temp.0, &target)
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&temp.0);
        }
        result
    }

    /// Hashes `source` in small pieces, then renames it into place (copying
    /// only when it is on another filesystem). `Ok(false)`: wrong hash.
    fn put_file_blocking(&self, key: &Sha256Hex, source: &Path) -> std::io::Result<bool> {
        let mut file = std::fs::File::open(source)?;
        if sha256_of(&mut file)? != *key {
            return Ok(false);
        }
        // What was written through other handles reaches the disk before
        // the name does, as `put` guarantees.
        file.sync_all()?;
        drop(file);
        let target = self.path_of(key);
        let dir = target.parent().unwrap_or(&self.root);
        std::fs::create_dir_all(dir)?;
        match std::fs::rename(source, &target) {
            Ok(()) => return Ok(true),
            Err(e) if e.kind() != std::io::ErrorKind::CrossesDevices => return Err(e),
            Err(_) => {}
        }
        let mut temp = tempfile_in(dir)?;
        let result = (|| {
            std::io::copy(&mut std::fs::File::open(source)?, &mut temp.1)?;
            temp.1.sync_all()?;
            std::fs::rename(&temp.0, &target)?;
            std::fs::remove_file(source)
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&temp.0);
        }
        result.map(|()| true)
    }
}

fn sha256_of(file: &mut std::fs::File) -> std::io::Result<Sha256Hex> {
    let mut hash = Sha256Stream::new();
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        match file.read(&mut buffer)? {
            0 => return Ok(hash.finish()),
            n => hash.update(buffer.get(..n).unwrap_or_default()),
        }
    }
}

/// A new, uniquely named temporary file in `dir`.
fn tempfile_in(dir: &Path) -> std::io::Result<(PathBuf, std::fs::File)> {
    let path = dir.join(format!(".tmp-{}", uuid::Uuid::new_v4().simple()));
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)?;
    Ok((path, file))
}

fn io_error(key: &Sha256Hex) -> impl FnOnce(std::io::Error) -> ObjectError + '_ {
    move |source| ObjectError::Io {
        key: key.to_string(),
        source,
    }
}

fn join_error(key: &Sha256Hex, error: tokio::task::JoinError) -> ObjectError {
    ObjectError::Io {
        key: key.to_string(),
        source: std::io::Error::other(error),
    }
}

#[async_trait]
impl ObjectStore for LocalObjectStore {
    async fn put(&self, key: &Sha256Hex, bytes: &[u8]) -> Result<(), ObjectError> {
        let this = self.clone();
        let owned_key = key.clone();
        let owned_bytes = bytes.to_vec();
        let hashed = tokio::task::spawn_blocking(move || {
            if Sha256Hex::digest(&owned_bytes) != owned_key {
                return Ok(false);
            }
            this.put_blocking(&owned_key, &owned_bytes).map(|()| true)
        })
        .await
        .map_err(|e| join_error(key, e))?
        .map_err(io_error(key))?;
        if !hashed {
            return Err(ObjectError::HashMismatch {
                key: key.to_string(),
            });
        }
        Ok(())
    }

    async fn put_file(&self, key: &Sha256Hex, path: &Path) -> Result<(), ObjectError> {
        let this = self.clone();
        let (owned_key, owned_path) = (key.clone(), path.to_path_buf());
        let hashed =
            tokio::task::spawn_blocking(move || this.put_file_blocking(&owned_key, &owned_path))
                .await
                .map_err(|e| join_error(key, e))?
                .map_err(io_error(key))?;
        if !hashed {
            return Err(ObjectError::HashMismatch {
                key: key.to_string(),
            });
        }
        Ok(())
    }

    async fn get(&self, key: &Sha256Hex) -> Result<Option<Vec<u8>>, ObjectError> {
        match tokio::fs::read(self.path_of(key)).await {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_error(key)(e)),
        }
    }

    fn local_path(&self, key: &Sha256Hex) -> Option<PathBuf> {
        Some(self.path_of(key))
    }

    async fn get_to_file(&self, key: &Sha256Hex, dest: &Path) -> Result<bool, ObjectError> {
        match tokio::fs::copy(self.path_of(key), dest).await {
            Ok(_) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(io_error(key)(e)),
        }
    }

    async fn get_range(
        &self,
        key: &Sha256Hex,
        range: Range<u64>,
    ) -> Result<Option<ByteStream>, ObjectError> {
        use tokio::io::{AsyncReadExt, AsyncSeekExt};
        let mut file = match tokio::fs::File::open(self.path_of(key)).await {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_error(key)(e)),
        };
        file.seek(std::io::SeekFrom::Start(range.start))
            .await
            .map_err(io_error(key))?;
        let left = range.end.saturating_sub(range.start);
        let owned_key = key.clone();
        // Reads one piece per poll: at most READ_PIECE bytes are held.
        let pieces = futures_util::stream::try_unfold(
            (file, left, owned_key),
            |(mut file, left, key)| async move {
                if left == 0 {
                    return Ok(None);
                }
                let want = usize::try_from(left.min(READ_PIECE)).unwrap_or(64 * 1024);
                let mut buffer = vec![0u8; want];
                let n = file.read(&mut buffer).await.map_err(io_error(&key))?;
                if n == 0 {
                    return Ok(None);
                }
                buffer.truncate(n);
                let left = left - u64::try_from(n).unwrap_or(left);
                Ok(Some((bytes::Bytes::from(buffer), (file, left, key))))
            },
        );
        Ok(Some(Box::pin(pieces)))
    }

    async fn size(&self, key: &Sha256Hex) -> Result<Option<u64>, ObjectError> {
        match tokio::fs::metadata(self.path_of(key)).await {
            Ok(meta) => Ok(Some(meta.len())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_error(key)(e)),
        }
    }

    async fn exists(&self, key: &Sha256Hex) -> Result<bool, ObjectError> {
        tokio::fs::try_exists(self.path_of(key))
            .await
            .map_err(io_error(key))
    }

    async fn delete(&self, key: &Sha256Hex) -> Result<bool, ObjectError> {
        match tokio::fs::remove_file(self.path_of(key)).await {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(io_error(key)(e)),
        }
    }
}
