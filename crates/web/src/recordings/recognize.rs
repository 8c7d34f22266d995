//! Which registered domain a file streaming in belongs to, and that
//! domain's early checks on it: its size limit, the length its first bytes
//! declare (bytes past it are refused as they arrive) and a look at its
//! head, so a bad file is refused before anything is stored. Fed chunk by
//! chunk; only a bounded prefix of the file is kept in memory.

use std::sync::Arc;

use filmroom_domain::{AnalysisError, DeclaredLength, Domain, RECOGNITION_HEAD_BYTES, Registry};

/// A domain still asking for more of the file after this many bytes cannot
/// be framing it: the file is refused. (Rocket League's header, the
/// largest framing today, is capped at 1 MiB.)
const MAX_PREFIX_BYTES: usize = 2 * 1024 * 1024;

/// Why a file is refused.
pub enum Refusal {
    /// No registered domain recognizes it.
    Unrecognized,
    /// Larger than `limit` bytes (the upload limit, or its domain's).
    TooLarge { limit: u64 },
    /// The file goes on past the `declared` length of its recording.
    TrailingBytes {
        domain: Arc<dyn Domain>,
        declared: u64,
    },
    /// Its domain cannot read it (`None`: it is truncated).
    Unreadable {
        domain: Arc<dyn Domain>,
        error: Option<AnalysisError>,
    },
}

/// A file's recognition so far.
pub struct Sniffer<'a> {
    registry: &'a Registry,
    filename: &'a str,
    limit: u64,
    size: u64,
    /// The first bytes: kept until the domain is known and its length
    /// declared, then left as they are for [`Domain::check_head`].
    prefix: Vec<u8>,
    domain: Option<Arc<dyn Domain>>,
    length: DeclaredLength,
}

/// A file recognized whole: its domain and the prefix for its head check.
pub struct Recognized {
    pub domain: Arc<dyn Domain>,
    pub prefix: Vec<u8>,
}

impl<'a> Sniffer<'a> {
    /// `max_bytes` is the upload limit; a recognized file's domain may lower it.
    pub fn new(registry: &'a Registry, filename: &'a str, max_bytes: u64) -> Self {
        Self {
            registry,
            filename,
            limit: max_bytes,
            size: 0,
            prefix: Vec::new(),
            domain: None,
            length: DeclaredLength::NeedMore,
        }
    }

    /// Takes the next chunk of the file.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<(), Refusal> {
        self.size = self
            .size
            .saturating_add(u64::try_from(chunk.len()).unwrap_or(u64::MAX));
        if self.size > self.limit {
            return Err(Refusal::TooLarge { limit: self.limit });
        }
        if self.domain.is_none() || self.length == DeclaredLength::NeedMore {
            self.prefix.extend_from_slice(chunk);
        }
        if self.domain.is_none() && self.prefix.len() >= RECOGNITION_HEAD_BYTES {
            self.recognize()?;
        }
        if self.domain.is_some() && self.length == DeclaredLength::NeedMore {
            self.declare()?;
        }
        if let (Some(domain), DeclaredLength::Bytes(declared)) = (&self.domain, self.length)
            && self.size > declared
        {
            return Err(Refusal::TrailingBytes {
                domain: domain.clone(),
                declared,
            });
        }
        Ok(())
    }

    /// At the end of the file: its domain, once its length is what it
    /// declared.
    pub fn finish(mut self) -> Result<Recognized, Refusal> {
        if self.domain.is_none() {
            // A file shorter than the recognition head.
            self.recognize()?;
        }
        if self.length == DeclaredLength::NeedMore {
            self.declare()?;
        }
        let Some(domain) = self.domain else {
            return Err(Refusal::Unrecognized);
        };
        match self.length {
            DeclaredLength::NeedMore => Err(Refusal::Unreadable {
                domain,
                error: None,
            }),
            DeclaredLength::Bytes(declared) if declared != self.size => Err(Refusal::Unreadable {
                domain,
                error: None,
            }),
            _ => Ok(Recognized {
                domain,
                prefix: self.prefix,
            }),
        }
    }

    /// Recognizes the file from its first [`RECOGNITION_HEAD_BYTES`] (all
    /// of it, if shorter).
    fn recognize(&mut self) -> Result<(), Refusal> {
        let head = &self.prefix[..self.prefix.len().min(RECOGNITION_HEAD_BYTES)];
        let domain = self
            .registry
            .recognize(self.filename, head)
            .ok_or(Refusal::Unrecognized)?
            .clone();
        self.limit = self.limit.min(domain.limits().max_bytes);
        self.domain = Some(domain);
        if self.size > self.limit {
            return Err(Refusal::TooLarge { limit: self.limit });
        }
        Ok(())
    }

    /// Asks the domain what length the prefix declares.
    fn declare(&mut self) -> Result<(), Refusal> {
        let Some(domain) = &self.domain else {
            return Ok(());
        };
        let unreadable = |error| Refusal::Unreadable {
            domain: domain.clone(),
            error,
        };
        match domain.declared_length(&self.prefix) {
            Ok(DeclaredLength::NeedMore) if self.prefix.len() > MAX_PREFIX_BYTES => {
                Err(unreadable(None))
            }
            Ok(DeclaredLength::Bytes(declared)) if declared > self.limit => {
                Err(Refusal::TooLarge { limit: self.limit })
            }
            Ok(length) => {
                self.length = length;
                Ok(())
            }
            Err(error) => Err(unreadable(Some(error))),
        }
    }
}
