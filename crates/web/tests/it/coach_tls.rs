//! The coach over HTTPS: a model server behind a private CA, with a
//! certificate made in the test, reached with and without `coach.ca_file`.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use reqwest::StatusCode;
use serde_json::json;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;

use crate::coach::{FakeModel, plan, use_fake_model};
use crate::{PASSWORD, spawn_app_with};

/// The fake OpenAI-compatible model, served over TLS on 127.0.0.1 with a
/// server certificate signed by a CA made here.
struct TlsModel {
    model: FakeModel,
    ca_pem: String,
}

impl TlsModel {
    async fn start() -> TlsModel {
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "filmroom test CA");
        ca_params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::DigitalSignature,
        ];
        let ca =
            rcgen::CertifiedIssuer::self_signed(ca_params, rcgen::KeyPair::generate().unwrap())
                .unwrap();
        let server_key = rcgen::KeyPair::generate().unwrap();
        let server_cert = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()])
            .unwrap()
            .signed_by(&server_key, &ca)
            .unwrap();

        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![server_cert.der().clone()],
                rustls::pki_types::PrivateKeyDer::try_from(server_key.serialize_der()).unwrap(),
            )
            .unwrap();
        let acceptor = TlsAcceptor::from(Arc::new(config));

        let (router, mut model) = FakeModel::routes();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    return;
                };
                let (acceptor, router) = (acceptor.clone(), router.clone());
                tokio::spawn(async move {
                    // A client that does not trust the CA ends the handshake here.
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(tls), TowerToHyperService::new(router))
                        .await;
                });
            }
        });
        model.base_url = format!("https://{addr}");
        TlsModel {
            model,
            ca_pem: ca.pem(),
        }
    }
}

#[tokio::test]
async fn the_coach_streams_an_answer_from_an_https_model_server_trusted_through_its_ca_file() {
    let server = TlsModel::start().await;
    let certs = tempfile::tempdir().unwrap();
    let ca_file = certs.path().join("model-ca.pem");
    std::fs::write(&ca_file, &server.ca_pem).unwrap();
    let app = spawn_app_with(|c| {
        use_fake_model(c, &server.model, plan(1_000_000, 100));
        c.coach.ca_file = Some(ca_file.clone());
    })
    .await;
    let alice = app.sign_up("alice", PASSWORD).await;

    let reply = alice
        .chat(
            &app,
            json!({ "message": "How much should I risk?", "profile": "trading" }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.error);
    assert_eq!(reply.text(), "Risk at most 1% per trade.");
    let done = reply.event("done").expect("the answer ends with done");
    assert_eq!(done["tokens"]["input"], 150);
    assert_eq!(server.model.calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn without_the_ca_file_the_answer_fails_with_a_clear_certificate_error() {
    let server = TlsModel::start().await;
    let app = spawn_app_with(|c| use_fake_model(c, &server.model, plan(1_000_000, 100))).await;
    let alice = app.sign_up("alice", PASSWORD).await;

    let reply = alice
        .chat(
            &app,
            json!({ "message": "How much should I risk?", "profile": "trading" }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let error = reply.event("error").expect("the stream ends with an error");
    assert_eq!(error["code"], "provider_error", "{error}");
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains("TLS certificate is not trusted") && message.contains("coach.ca_file"),
        "{message}"
    );
    assert!(reply.event("done").is_none());
    // The handshake failed: no request reached the model.
    assert_eq!(server.model.calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_ca_file_that_is_missing_or_not_pem_stops_startup_with_a_message_naming_it() {
    let model = FakeModel::start().await;
    let certs = tempfile::tempdir().unwrap();
    let not_pem = certs.path().join("not-a-ca.pem");
    std::fs::write(&not_pem, "just some text\n").unwrap();
    for path in [certs.path().join("missing.pem"), not_pem] {
        let data = tempfile::tempdir().unwrap();
        let mut config = crate::test_config(data.path());
        use_fake_model(&mut config, &model, plan(1_000, 10));
        config.coach.ca_file = Some(path.clone());
        let error = filmroom_web::App::build(config, crate::rl_domains())
            .await
            .err()
            .expect("startup is refused");
        let message = format!("{error:#}");
        assert!(message.contains("coach.ca_file"), "{message}");
    }
}
