//! Property-based fuzzing of the parsers that read what other servers send, run briefly by
//! `cargo test` (a few hundred cases each, seconds in all):
//!
//! - the inbox's activity parsing (`inbox::parse_activity`, then the Note, actor, addressing
//!   and URL readers on the activity and its object): arbitrary bytes, and the activities in
//!   `tests/fixtures/activitypub` with nodes replaced by arbitrary JSON and their text cut or
//!   corrupted, never panic;
//! - the `Signature` header parser (`signatures::parse_parts`): arbitrary header strings, and
//!   headers built from the real parameters with arbitrary values, never panic, and never
//!   verify against a real key.
//!
//! Cases that once failed are kept below as plain tests. `PROPTEST_CASES` runs more cases.

use kith_federation::inbox::{self, parse_activity};
use kith_federation::protocol::actor::Actor;
use kith_federation::protocol::note::{addressees, parse_note, Visibility};
use kith_federation::protocol::values::{first_string, first_url};
use kith_federation::signatures::{self, parse_parts};
use proptest::prelude::*;
use proptest::test_runner::Config;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::OnceLock;

fn config() -> Config {
    // Few cases by default, so that `cargo test` stays fast; no failure files are written.
    Config {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|c| c.parse().ok())
            .unwrap_or(256),
        failure_persistence: None,
        ..Config::default()
    }
}

/// The fixture activities, the corpus the mutations start from.
fn corpus() -> &'static [Value] {
    static CORPUS: OnceLock<Vec<Value>> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/activitypub");
        let mut files = Vec::new();
        let mut dirs = vec![root];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "json") {
                    files.push(path);
                }
            }
        }
        files.sort();
        let corpus: Vec<Value> = files
            .iter()
            .map(|f| serde_json::from_slice(&std::fs::read(f).unwrap()).unwrap())
            .collect();
        assert!(corpus.len() > 50, "fixtures not found");
        corpus
    })
}

/// Everything the inbox reads from a body before and after the signature check, minus the
/// database: it must return, whatever the input.
fn read_like_the_inbox(body: &[u8]) {
    let _ = parse_activity(body);
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        return;
    };
    read_value(&value);
    if let Some(object) = value.get("object") {
        read_value(object);
        if let Some(inner) = object.get("object") {
            read_value(inner);
        }
    }
}

fn read_value(v: &Value) {
    let _ = inbox::actor_of(v);
    let _ = parse_note(v);
    let _ = serde_json::from_value::<Actor>(v.clone());
    let to = addressees(v.get("to"));
    let cc = addressees(v.get("cc"));
    let _ = Visibility::from_addressing(&to, &cc, first_string(v).as_deref());
    for key in [
        "id",
        "url",
        "inReplyTo",
        "attributedTo",
        "icon",
        "tag",
        "attachment",
    ] {
        if let Some(field) = v.get(key) {
            let _ = first_url(field);
            let _ = first_string(field);
        }
    }
}

/// JSON keys the readers look for, and some they do not.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "@context",
            "id",
            "type",
            "actor",
            "object",
            "target",
            "to",
            "cc",
            "bto",
            "bcc",
            "audience",
            "content",
            "contentMap",
            "summary",
            "name",
            "tag",
            "attachment",
            "inReplyTo",
            "published",
            "updated",
            "url",
            "href",
            "mediaType",
            "sensitive",
            "attributedTo",
            "conversation",
            "publicKey",
            "publicKeyPem",
            "owner",
            "inbox",
            "outbox",
            "followers",
            "endpoints",
            "sharedInbox",
            "preferredUsername",
            "icon",
            "image",
            "quoteUrl",
            "_misskey_content",
            "source",
        ])
        .prop_map(str::to_owned),
        ".{0,8}",
    ]
}

/// Strings that mean something to the readers, and arbitrary ones.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "https://www.w3.org/ns/activitystreams#Public",
            "as:Public",
            "Public",
            "Note",
            "Create",
            "Person",
            "Hashtag",
            "Mention",
            "Document",
            "https://remote.example/users/eve",
            "https://remote.example/users/eve/followers",
            "http://[::1]:8080/x",
            "https://xn--nxasmq6b.example/",
            "https://user:pass@remote.example:99999/",
            "<p>hi <script>alert(1)</script></p>",
            "\u{0}",
            "",
        ])
        .prop_map(str::to_owned),
        ".{0,40}",
    ]
}

fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..6)
                .prop_map(|fields| Value::Object(fields.into_iter().collect())),
        ]
    })
}

/// Every node of `v`, as JSON pointers.
fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Object(o) => {
            for (k, child) in o {
                let escaped = k.replace('~', "~0").replace('/', "~1");
                pointers(child, format!("{at}/{escaped}"), out);
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                pointers(child, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
    out.push(at);
}

/// A change to a fixture.
#[derive(Debug, Clone)]
enum Mutation {
    /// Replace the node picked by the index with a value.
    Replace(prop::sample::Index, Value),
    /// Remove the node picked by the index (from its object or array).
    Remove(prop::sample::Index),
    /// Add a field to the node picked by the index, if it is an object.
    Insert(prop::sample::Index, String, Value),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<prop::sample::Index>(), json()).prop_map(|(i, v)| Mutation::Replace(i, v)),
        any::<prop::sample::Index>().prop_map(Mutation::Remove),
        (any::<prop::sample::Index>(), key(), json())
            .prop_map(|(i, k, v)| Mutation::Insert(i, k, v)),
    ]
}

fn apply(doc: &mut Value, m: &Mutation) {
    let mut all = Vec::new();
    pointers(doc, String::new(), &mut all);
    match m {
        Mutation::Replace(i, v) => {
            if let Some(node) = doc.pointer_mut(&all[i.index(all.len())]) {
                *node = v.clone();
            }
        }
        Mutation::Remove(i) => {
            let at = &all[i.index(all.len())];
            if let Some((parent, last)) = at.rsplit_once('/') {
                match doc.pointer_mut(parent) {
                    Some(Value::Object(o)) => {
                        o.remove(&last.replace("~1", "/").replace("~0", "~"));
                    }
                    Some(Value::Array(a)) => {
                        if let Ok(n) = last.parse::<usize>() {
                            if n < a.len() {
                                a.remove(n);
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        Mutation::Insert(i, k, v) => {
            if let Some(Value::Object(o)) = doc.pointer_mut(&all[i.index(all.len())]) {
                o.insert(k.clone(), v.clone());
            }
        }
    }
}

/// A byte-level change to serialized JSON.
#[derive(Debug, Clone)]
enum Corruption {
    None,
    Truncate(prop::sample::Index),
    Overwrite(prop::sample::Index, u8),
    Splice(prop::sample::Index, Vec<u8>),
}

fn corruption() -> impl Strategy<Value = Corruption> {
    prop_oneof![
        3 => Just(Corruption::None),
        1 => any::<prop::sample::Index>().prop_map(Corruption::Truncate),
        1 => (any::<prop::sample::Index>(), any::<u8>()).prop_map(|(i, b)| Corruption::Overwrite(i, b)),
        1 => (any::<prop::sample::Index>(), prop::collection::vec(any::<u8>(), 0..16))
            .prop_map(|(i, b)| Corruption::Splice(i, b)),
    ]
}

fn corrupt(mut bytes: Vec<u8>, c: &Corruption) -> Vec<u8> {
    if bytes.is_empty() {
        return bytes;
    }
    match c {
        Corruption::None => {}
        Corruption::Truncate(i) => bytes.truncate(i.index(bytes.len())),
        Corruption::Overwrite(i, b) => {
            let n = i.index(bytes.len());
            bytes[n] = *b;
        }
        Corruption::Splice(i, extra) => {
            let n = i.index(bytes.len());
            bytes.splice(n..n, extra.iter().copied());
        }
    }
    bytes
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_bytes_never_panic_the_activity_parser(
        body in prop::collection::vec(any::<u8>(), 0..1024)
    ) {
        read_like_the_inbox(&body);
    }

    #[test]
    fn arbitrary_json_never_panics_the_activity_parser(doc in json()) {
        read_like_the_inbox(&serde_json::to_vec(&doc).unwrap());
    }

    #[test]
    fn mutated_fixtures_never_panic_the_activity_parser(
        pick in any::<prop::sample::Index>(),
        mutations in prop::collection::vec(mutation(), 1..5),
        damage in corruption(),
    ) {
        let corpus = corpus();
        let mut doc = corpus[pick.index(corpus.len())].clone();
        for m in &mutations {
            apply(&mut doc, m);
        }
        read_like_the_inbox(&corrupt(serde_json::to_vec(&doc).unwrap(), &damage));
    }
}

/// A real key, so that "never verifies" is checked against one.
fn pem() -> &'static str {
    static PEM: OnceLock<String> = OnceLock::new();
    PEM.get_or_init(|| kith_core::keys::generate_rsa_2048().unwrap().public_pem)
}

/// A request's headers with `signature` as its `Signature` header.
fn headers(signature: &str) -> BTreeMap<String, String> {
    let date = chrono::Utc::now()
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string();
    BTreeMap::from([
        ("host".to_owned(), "kith.example".to_owned()),
        ("date".to_owned(), date),
        (
            "digest".to_owned(),
            "SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=".to_owned(),
        ),
        (
            "content-type".to_owned(),
            "application/activity+json".to_owned(),
        ),
        ("signature".to_owned(), signature.to_owned()),
    ])
}

/// Parses `signature` on a POST and a GET; whatever parses must not verify.
fn never_verifies(signature: &str) -> Result<(), TestCaseError> {
    for (method, digest) in [("POST", true), ("GET", false)] {
        if let Ok(unverified) = parse_parts(method, "/inbox", headers(signature), digest) {
            prop_assert!(
                !signatures::verify(&unverified, pem()),
                "{signature:?} verified"
            );
        }
    }
    Ok(())
}

/// One parameter of a `Signature` header, with arbitrary values for the real names.
fn parameter() -> impl Strategy<Value = String> {
    let name = prop_oneof![
        prop::sample::select(vec![
            "keyId",
            "algorithm",
            "headers",
            "signature",
            "created",
            "expires",
        ])
        .prop_map(str::to_owned),
        "[a-zA-Z ]{0,8}",
    ];
    let headers = prop::collection::vec(
        prop::sample::select(vec![
            "(request-target)",
            "(created)",
            "(expires)",
            "host",
            "date",
            "digest",
            "content-type",
            "accept",
            "authorization",
            "signature",
            "",
        ]),
        0..7,
    )
    .prop_map(|h| h.join(" "));
    let value = prop_oneof![
        any::<u64>().prop_map(|n| n.to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        "[A-Za-z0-9+/=]{0,344}",
        headers,
        prop::sample::select(vec![
            "rsa-sha256",
            "hs2019",
            "rsa-sha512",
            "hmac-sha256",
            "ed25519",
            "https://remote.example/users/eve#main-key",
        ])
        .prop_map(str::to_owned),
        ".{0,40}",
    ];
    (name, value, any::<bool>()).prop_map(|(n, v, quoted)| {
        if quoted {
            format!("{n}=\"{v}\"")
        } else {
            format!("{n}={v}")
        }
    })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_signature_headers_never_panic_or_verify(signature in ".{0,300}") {
        never_verifies(&signature)?;
    }

    #[test]
    fn signature_headers_with_arbitrary_parameters_never_panic_or_verify(
        prefix in prop::sample::select(vec!["", "Signature ", "Signature"]),
        params in prop::collection::vec(parameter(), 0..8),
    ) {
        never_verifies(&format!("{prefix}{}", params.join(",")))?;
    }
}
