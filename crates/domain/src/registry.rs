//! The domains a deployment knows, by kind: the binary registers them once
//! at startup and hands the registry to the web, the workers and the coach.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::domain::{Domain, Recognition};
use crate::keys::Kind;

/// A registration the registry refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    /// Two domains claimed the same kind.
    #[error("a domain of kind {0} is already registered")]
    DuplicateKind(Kind),
}

/// Kinds to domains.
#[derive(Clone, Default)]
pub struct Registry {
    // Registration order decides between equally sure recognitions, so it
    // is kept alongside the lookup map.
    ordered: Vec<Arc<dyn Domain>>,
    by_kind: BTreeMap<Kind, Arc<dyn Domain>>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.ordered.iter().map(|d| d.kind()))
            .finish()
    }
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a domain; refuses a second domain of the same kind.
    pub fn register(&mut self, domain: Arc<dyn Domain>) -> Result<(), RegistryError> {
        let kind = domain.kind();
        if self.by_kind.contains_key(&kind) {
            return Err(RegistryError::DuplicateKind(kind));
        }
        self.by_kind.insert(kind, Arc::clone(&domain));
        self.ordered.push(domain);
        Ok(())
    }

    /// The domain of a kind.
    pub fn get(&self, kind: &Kind) -> Option<&Arc<dyn Domain>> {
        self.by_kind.get(kind)
    }

    /// The domain of a kind given as text (from a stored row or a URL).
    pub fn get_str(&self, kind: &str) -> Option<&Arc<dyn Domain>> {
        Kind::parse(kind).ok().and_then(|k| self.by_kind.get(&k))
    }

    /// Every domain, in registration order.
    pub fn domains(&self) -> impl Iterator<Item = &Arc<dyn Domain>> {
        self.ordered.iter()
    }

    /// The domain a file belongs to: the surest recognition wins (content
    /// over name), the first registered among equals; `None` if no domain
    /// recognizes it. `head` is the file's first
    /// [`RECOGNITION_HEAD_BYTES`](crate::RECOGNITION_HEAD_BYTES) bytes.
    pub fn recognize(&self, filename: &str, head: &[u8]) -> Option<&Arc<dyn Domain>> {
        let mut best: Option<(Recognition, &Arc<dyn Domain>)> = None;
        for domain in &self.ordered {
            let sure = domain.recognize(filename, head);
            if sure > Recognition::No && best.is_none_or(|(b, _)| sure > b) {
                best = Some((sure, domain));
            }
        }
        best.map(|(_, d)| d)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::{
        Analysis, AnalysisError, AnalysisInput, CoachProfile, Facts, InputMode, Limits,
        MetricDefinition, ReportError, Section,
    };
    use std::time::Duration;

    /// A domain that recognizes a magic prefix, or a file extension when it
    /// has no magic; it analyses nothing.
    struct Fake {
        kind: &'static str,
        magic: Option<&'static [u8]>,
        extension: &'static str,
    }

    impl Domain for Fake {
        fn kind(&self) -> Kind {
            Kind::parse(self.kind).unwrap()
        }
        fn display_name(&self) -> &str {
            self.kind
        }
        fn recognize(&self, filename: &str, head: &[u8]) -> Recognition {
            match self.magic {
                Some(magic) if head.starts_with(magic) => Recognition::ByContent,
                Some(_) => Recognition::No,
                None if filename.ends_with(self.extension) => Recognition::ByName,
                None => Recognition::No,
            }
        }
        fn limits(&self) -> Limits {
            Limits {
                max_bytes: 1,
                time_limit: Duration::from_secs(1),
                input: InputMode::Bytes,
            }
        }
        fn revision(&self) -> u32 {
            1
        }
        fn analyze(&self, _: AnalysisInput<'_>) -> Result<Analysis, AnalysisError> {
            Ok(Analysis {
                facts: Facts::default(),
                sides: vec![],
                participants: vec![],
                metrics: vec![],
                events: vec![],
                passages: vec![],
                report: serde_json::Value::Null,
                revision: 1,
                degraded: None,
            })
        }
        fn metric_definitions(&self) -> Vec<MetricDefinition> {
            vec![]
        }
        fn coach_profile(&self) -> CoachProfile {
            CoachProfile {
                name: self.kind.into(),
                markdown: String::new(),
            }
        }
        fn page_sections(&self, _: &serde_json::Value) -> Result<Vec<Section>, ReportError> {
            Ok(vec![])
        }
    }

    fn registry() -> Registry {
        let mut registry = Registry::new();
        registry
            .register(Arc::new(Fake {
                kind: "subtitles",
                magic: None,
                extension: ".vtt",
            }))
            .unwrap();
        registry
            .register(Arc::new(Fake {
                kind: "talk",
                magic: Some(b"WEBVTT-AUDIO"),
                extension: ".vtt",
            }))
            .unwrap();
        registry
    }

    #[test]
    fn a_second_domain_of_the_same_kind_is_refused() {
        let mut registry = registry();
        let err = registry
            .register(Arc::new(Fake {
                kind: "talk",
                magic: None,
                extension: ".txt",
            }))
            .unwrap_err();
        assert_eq!(
            err,
            RegistryError::DuplicateKind(Kind::parse("talk").unwrap())
        );
        assert_eq!(registry.domains().count(), 2);
    }

    #[test]
    fn domains_are_found_by_kind_and_by_text() {
        let registry = registry();
        let talk = Kind::parse("talk").unwrap();
        assert_eq!(registry.get(&talk).unwrap().kind(), talk);
        assert_eq!(
            registry.get_str("subtitles").unwrap().display_name(),
            "subtitles"
        );
        assert!(registry.get_str("lecture").is_none());
        assert!(registry.get_str("Not A Kind").is_none());
    }

    #[test]
    fn a_content_match_beats_a_name_match_registered_earlier() {
        let registry = registry();
        let found = registry
            .recognize("a.vtt", b"WEBVTT-AUDIO and more")
            .unwrap();
        assert_eq!(found.kind().as_str(), "talk");
        let found = registry.recognize("a.vtt", b"WEBVTT\n\n00:01").unwrap();
        assert_eq!(found.kind().as_str(), "subtitles");
    }

    #[test]
    fn a_file_no_domain_recognizes_finds_none() {
        assert!(registry().recognize("notes.txt", b"hello").is_none());
        assert!(Registry::new().recognize("a.vtt", b"").is_none());
    }
}
