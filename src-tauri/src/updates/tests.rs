//! The updater against a real HTTP server on loopback: a `latest.json` and an artifact signed
//! with a key made for the test. A good signature is accepted; a tampered artifact, or one
//! signed by another key, is refused before anything is installed.

use super::check;
use axum::routing::get;
use axum::Router;
use base64::Engine as _;
use minisign::KeyPair;
use serde_json::json;
use std::io::Cursor;
use url::Url;

const ARTIFACT: &[u8] = b"the new Sluice, as an installer would carry it";

struct Signer {
    keys: KeyPair,
}

impl Signer {
    fn new() -> Signer {
        Signer { keys: KeyPair::generate_unencrypted_keypair().expect("test key pair") }
    }
    /// The public key as tauri.conf.json holds it: the minisign key file, base64-encoded.
    fn pubkey(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.keys.pk.to_box().expect("public key box").to_string())
    }
    /// A signature as `tauri signer sign` writes it, with the version in the trusted comment.
    fn sign(&self, data: &[u8], version: &str) -> String {
        let trusted = format!("timestamp:1790000000\tfile:sluice.AppImage.tar.gz\tversion:{version}");
        let signature = minisign::sign(Some(&self.keys.pk), &self.keys.sk, Cursor::new(data), Some(&trusted), Some("signature from tauri secret key")).expect("sign");
        base64::engine::general_purpose::STANDARD.encode(signature.to_string())
    }
}

/// Serves `latest.json` announcing 99.0.0 with `signature`, and `served` as the artifact.
async fn feed(signature: String, served: &'static [u8]) -> Url {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let target = tauri_plugin_updater::target().expect("a platform the updater supports");
    let manifest = json!({
        "version": "99.0.0",
        "notes": "Test release",
        "pub_date": "2026-11-28T00:00:00Z",
        "platforms": { target: { "url": format!("{base}/artifact"), "signature": signature } }
    });
    let app = Router::new().route("/latest.json", get(move || async move { axum::Json(manifest) })).route("/artifact", get(move || async move { served }));
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    format!("{base}/latest.json").parse().expect("url")
}

/// An app whose updater trusts `pubkey`, configured the way tauri.conf.json configures ours.
fn app(pubkey: String) -> tauri::App<tauri::test::MockRuntime> {
    let mut context = tauri::test::mock_context(tauri::test::noop_assets());
    context.config_mut().plugins.0.insert("updater".into(), json!({ "pubkey": pubkey, "endpoints": [] }));
    tauri::test::mock_builder().plugin(tauri_plugin_updater::Builder::new().build()).build(context).expect("mock app")
}

#[tokio::test]
async fn a_good_signature_is_accepted() {
    let signer = Signer::new();
    let endpoint = feed(signer.sign(ARTIFACT, "99.0.0"), ARTIFACT).await;
    let app = app(signer.pubkey());
    let update = check(app.handle(), Some(endpoint)).await.expect("check").expect("an update is offered");
    assert_eq!(update.version, "99.0.0");
    let bytes = update.download(|_, _| {}, || {}).await.expect("a correctly signed artifact downloads");
    assert_eq!(bytes, ARTIFACT);
}

#[tokio::test]
async fn a_tampered_artifact_is_refused() {
    let signer = Signer::new();
    let endpoint = feed(signer.sign(ARTIFACT, "99.0.0"), b"the new Sluice, with something added on the way").await;
    let app = app(signer.pubkey());
    let update = check(app.handle(), Some(endpoint)).await.expect("check").expect("an update is offered");
    let refused = update.download(|_, _| {}, || {}).await.expect_err("a tampered artifact must not verify");
    assert!(refused.to_string().to_lowercase().contains("signature"), "{refused}");
}

#[tokio::test]
async fn a_signature_by_another_key_is_refused() {
    let ours = Signer::new();
    let theirs = Signer::new();
    let endpoint = feed(theirs.sign(ARTIFACT, "99.0.0"), ARTIFACT).await;
    let app = app(ours.pubkey());
    let update = check(app.handle(), Some(endpoint)).await.expect("check").expect("an update is offered");
    assert!(update.download(|_, _| {}, || {}).await.is_err(), "an artifact signed by another key must not verify");
}

#[test]
fn the_shipped_config_carries_an_updater_key_and_endpoint() {
    let config: serde_json::Value = serde_json::from_str(include_str!("../../../tauri.conf.json")).expect("tauri.conf.json parses");
    let updater = &config["plugins"]["updater"];
    let pubkey = base64::engine::general_purpose::STANDARD.decode(updater["pubkey"].as_str().expect("pubkey")).expect("base64 pubkey");
    assert!(String::from_utf8(pubkey).expect("utf-8").contains("minisign public key"));
    assert!(updater["endpoints"][0].as_str().expect("endpoint").starts_with("https://"));
}
