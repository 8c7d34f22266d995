//! S3-compatible object storage (AWS S3, SeaweedFS, MinIO, Garage ...): the
//! recording files as objects in one bucket, under the same content-addressed
//! keys (`ab/cd/abcd…`) as the local store, so a bucket and a directory can
//! be copied into each other as they are.
//!
//! Files are streamed both ways: `put_file` hashes the upload's temp file in
//! pieces, then sends it as a multipart upload of [`PART_BYTES`] parts;
//! `get_to_file` writes the body to disk as it arrives.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::buffered::BufWriter;
use object_store::path::Path as ObjectPath;
use object_store::{ClientOptions, ObjectStore as _, ObjectStoreExt as _, PutPayload, RetryConfig};
use tokio::io::AsyncWriteExt;

use super::{ObjectError, io_error, join_error, sha256_of};
use crate::types::Sha256Hex;

/// The size of one part of a multipart upload (S3's smallest is 5 MiB); a
/// file no larger is sent in a single request.
pub const PART_BYTES: usize = 8 * 1024 * 1024;

/// Where the bucket is and how to sign requests to it. `Debug` never shows
/// the secret key.
/// Also the `[storage.s3]` section of the configuration, whose keys may
/// come from `FILMROOM__STORAGE__S3__ACCESS_KEY_ID` and
/// `FILMROOM__STORAGE__S3__SECRET_ACCESS_KEY`.
#[derive(Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct S3Settings {
    /// The server's base URL (`http://127.0.0.1:8333`); unset: AWS for `region`.
    pub endpoint: Option<String>,
    /// Empty: `us-east-1`, which S3-compatible servers generally accept.
    pub region: String,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
}

impl std::fmt::Debug for S3Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Settings")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .field(
                "secret_access_key",
                &self.secret_access_key.as_ref().map(|_| "***"),
            )
            .finish()
    }
}

/// One bucket of an S3-compatible server.
#[derive(Clone)]
pub struct S3ObjectStore {
    inner: Arc<AmazonS3>,
    bucket: String,
    /// For messages: the endpoint as configured, or AWS.
    server: String,
}

impl std::fmt::Debug for S3ObjectStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3ObjectStore")
            .field("bucket", &self.bucket)
            .field("server", &self.server)
            .finish_non_exhaustive()
    }
}

impl S3ObjectStore {
    /// A client for `bucket`; no request is made (see [`S3ObjectStore::check`]).
    pub fn new(bucket: &str, settings: &S3Settings) -> Result<Self, ObjectError> {
        if bucket.is_empty() || bucket.contains('/') {
            return Err(ObjectError::InvalidUrl(format!(
                "s3://{bucket} must name a bucket and nothing else (s3://BUCKET)"
            )));
        }
        let region = if settings.region.is_empty() {
            "us-east-1"
        } else {
            settings.region.as_str()
        };
        // A down endpoint fails in seconds, not after object_store's default
        // three minutes of retries.
        let retry = RetryConfig {
            max_retries: 3,
            retry_timeout: Duration::from_secs(20),
            ..RetryConfig::default()
        };
        let options = ClientOptions::new()
            .with_connect_timeout(Duration::from_secs(5))
            // One request carries at most a part or streams one download.
            .with_timeout(Duration::from_secs(300));
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(bucket)
            .with_region(region)
            .with_retry(retry)
            .with_client_options(options);
        if let Some(endpoint) = &settings.endpoint {
            builder = builder
                .with_endpoint(endpoint.trim_end_matches('/'))
                .with_allow_http(endpoint.starts_with("http://"))
                .with_virtual_hosted_style_request(false);
        }
        if let Some(id) = &settings.access_key_id {
            builder = builder.with_access_key_id(id);
        }
        if let Some(secret) = &settings.secret_access_key {
            builder = builder.with_secret_access_key(secret);
        }
        let inner = builder.build().map_err(|e| {
            // The builder's errors name settings, never their values.
            ObjectError::InvalidUrl(format!("the S3 settings for bucket {bucket:?}: {e}"))
        })?;
        Ok(Self {
            inner: Arc::new(inner),
            bucket: bucket.to_owned(),
            server: settings
                .endpoint
                .clone()
                .unwrap_or_else(|| format!("AWS S3 ({region})")),
        })
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    fn path_of(key: &Sha256Hex) -> ObjectPath {
        let hex = key.as_str();
        ObjectPath::from(format!("{}/{}/{hex}", &hex[0..2], &hex[2..4]))
    }

    fn remote(&self, key: &Sha256Hex, source: object_store::Error) -> ObjectError {
        ObjectError::Remote {
            key: key.to_string(),
            server: self.server.clone(),
            source,
        }
    }

    async fn head_size(&self, key: &Sha256Hex) -> Result<Option<u64>, ObjectError> {
        match self.inner.head(&Self::path_of(key)).await {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(self.remote(key, e)),
        }
    }

    /// Sends the file in parts; on failure the unfinished upload is aborted
    /// so the server frees its parts.
    async fn upload(&self, key: &Sha256Hex, path: &Path) -> Result<(), ObjectError> {
        let mut file = tokio::fs::File::open(path).await.map_err(io_error(key))?;
        let mut writer =
            BufWriter::with_capacity(self.inner.clone(), Self::path_of(key), PART_BYTES);
        let sent = async {
            tokio::io::copy(&mut file, &mut writer).await?;
            writer.shutdown().await
        }
        .await;
        if let Err(error) = sent {
            if let Err(abort) = writer.abort().await {
                tracing::warn!(error = %abort, "aborting a failed multipart upload failed");
            }
            return Err(match error.downcast::<object_store::Error>() {
                Ok(remote) => self.remote(key, remote),
                Err(io) => io_error(key)(io),
            });
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl super::ObjectStore for S3ObjectStore {
    async fn put(&self, key: &Sha256Hex, bytes: &[u8]) -> Result<(), ObjectError> {
        if Sha256Hex::digest(bytes) != *key {
            return Err(ObjectError::HashMismatch {
                key: key.to_string(),
            });
        }
        // A single PUT is atomic: readers see the old object or all of this one.
        let payload = PutPayload::from(bytes.to_vec());
        self.inner
            .put(&Self::path_of(key), payload)
            .await
            .map_err(|e| self.remote(key, e))?;
        Ok(())
    }

    async fn put_file(&self, key: &Sha256Hex, path: &Path) -> Result<(), ObjectError> {
        let owned = path.to_path_buf();
        let hash = tokio::task::spawn_blocking(move || {
            std::fs::File::open(&owned).and_then(|mut f| sha256_of(&mut f))
        })
        .await
        .map_err(|e| join_error(key, e))?
        .map_err(io_error(key))?;
        if hash != *key {
            return Err(ObjectError::HashMismatch {
                key: key.to_string(),
            });
        }
        // Content-addressed: an object under this key already holds these bytes.
        if self.head_size(key).await?.is_none() {
            self.upload(key, path).await?;
        }
        tokio::fs::remove_file(path).await.map_err(io_error(key))
    }

    async fn get(&self, key: &Sha256Hex) -> Result<Option<Vec<u8>>, ObjectError> {
        let found = match self.inner.get(&Self::path_of(key)).await {
            Ok(found) => found,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(self.remote(key, e)),
        };
        let bytes = found.bytes().await.map_err(|e| self.remote(key, e))?;
        Ok(Some(bytes.to_vec()))
    }

    async fn get_to_file(&self, key: &Sha256Hex, dest: &Path) -> Result<bool, ObjectError> {
        let found = match self.inner.get(&Self::path_of(key)).await {
            Ok(found) => found,
            Err(object_store::Error::NotFound { .. }) => return Ok(false),
            Err(e) => return Err(self.remote(key, e)),
        };
        let mut file = tokio::fs::File::create(dest).await.map_err(io_error(key))?;
        let mut body = found.into_stream();
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| self.remote(key, e))?;
            file.write_all(&chunk).await.map_err(io_error(key))?;
        }
        file.flush().await.map_err(io_error(key))?;
        Ok(true)
    }

    async fn get_range(
        &self,
        key: &Sha256Hex,
        range: std::ops::Range<u64>,
    ) -> Result<Option<super::ByteStream>, ObjectError> {
        // S3 refuses a range starting at or past the end (and an empty one):
        // those read nothing, which needs only the size.
        let Some(size) = self.head_size(key).await? else {
            return Ok(None);
        };
        let end = range.end.min(size);
        if range.start >= end {
            return Ok(Some(Box::pin(futures_util::stream::empty())));
        }
        let options = object_store::GetOptions {
            range: Some(object_store::GetRange::Bounded(range.start..end)),
            ..Default::default()
        };
        let found = match self.inner.get_opts(&Self::path_of(key), options).await {
            Ok(found) => found,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(self.remote(key, e)),
        };
        let (owned_key, server) = (key.to_string(), self.server.clone());
        Ok(Some(Box::pin(found.into_stream().map(move |piece| {
            piece.map_err(|source| ObjectError::Remote {
                key: owned_key.clone(),
                server: server.clone(),
                source,
            })
        }))))
    }

    async fn size(&self, key: &Sha256Hex) -> Result<Option<u64>, ObjectError> {
        self.head_size(key).await
    }

    async fn exists(&self, key: &Sha256Hex) -> Result<bool, ObjectError> {
        Ok(self.head_size(key).await?.is_some())
    }

    async fn delete(&self, key: &Sha256Hex) -> Result<bool, ObjectError> {
        // S3 answers a delete of nothing with success: ask first.
        if self.head_size(key).await?.is_none() {
            return Ok(false);
        }
        match self.inner.delete(&Self::path_of(key)).await {
            Ok(()) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(self.remote(key, e)),
        }
    }

    /// Lists at most one key: answers only when the server is up, the bucket
    /// exists and the credentials may read it.
    async fn check(&self) -> Result<(), ObjectError> {
        let probe = ObjectPath::from("00");
        match self.inner.list_with_delimiter(Some(&probe)).await {
            Ok(_) => Ok(()),
            Err(e)
                if matches!(e, object_store::Error::NotFound { .. }) || says_no_such_bucket(&e) =>
            {
                Err(ObjectError::BucketMissing {
                    bucket: self.bucket.clone(),
                    server: self.server.clone(),
                })
            }
            Err(source) => Err(ObjectError::Unavailable {
                bucket: self.bucket.clone(),
                server: self.server.clone(),
                source,
            }),
        }
    }
}

/// S3 answers a listing of a missing bucket with 404 `NoSuchBucket`, which
/// object_store passes on as a generic error carrying the response body.
fn says_no_such_bucket(error: &object_store::Error) -> bool {
    let mut next: Option<&dyn std::error::Error> = Some(error);
    while let Some(e) = next {
        if e.to_string().contains("NoSuchBucket") {
            return true;
        }
        next = e.source();
    }
    false
}
