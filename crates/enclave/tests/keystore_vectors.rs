//! EIP-2335 keystore tests against the vectors in `testdata/keystore/` (see its SOURCE.md): the
//! EIP's own test cases, staking-deposit-cli's and Web3Signer's positive and negative vectors, plus
//! round trips, tampering, structural validation and a no-panic property test.
//!
//! The vectors use scrypt n = 2^18 / PBKDF2 c = 2^18, which cost up to a second each in a test
//! build; everything else uses cheap KDF parameters.

#![allow(unused_crate_dependencies)]

use std::path::{Path, PathBuf};

use lsv_consensus::PublicKeyBytes;
use lsv_enclave::keystore::{
    normalize_password, Kdf, Keystore, KeystoreError, MAX_JSON_LEN, MAX_PBKDF2_C,
};
use proptest::prelude::*;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The password of every decryptable vector (mathematical fraktur letters + a key emoji).
const PASSWORD: &str = "𝔱𝔢𝔰𝔱𝔭𝔞𝔰𝔰𝔴𝔬𝔯𝔡🔑";
/// `PASSWORD` after EIP-2335 processing.
const ENCODED_PASSWORD: &str = "7465737470617373776f7264f09f9491";
const SECRET: &str = "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f";
const PUBKEY: &str = "9612d7a727c9d0a22e185a1c768478dfe919cada9266988cb32359c11f2b7b27f4ae4040902382ae2910c15e2b420d07";

/// Cheap parameters for tests that do not need the vectors' cost.
const CHEAP_PBKDF2: Kdf = Kdf::Pbkdf2 { c: 16 };
const CHEAP_SCRYPT: Kdf = Kdf::Scrypt { n: 16, r: 8, p: 1 };

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/keystore")
}

fn read(rel: &str) -> String {
    let path = dir().join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn hex32(s: &str) -> [u8; 32] {
    hex::decode(s.trim_start_matches("0x"))
        .unwrap()
        .try_into()
        .unwrap()
}

fn secret() -> [u8; 32] {
    hex32(SECRET)
}

/// The BLS public key of a secret: `min_pk`, compressed G1.
fn bls_pubkey(secret: &[u8; 32]) -> PublicKeyBytes {
    let sk = blst::min_pk::SecretKey::from_bytes(secret).expect("valid BLS secret");
    PublicKeyBytes(sk.sk_to_pk().compress())
}

fn pubkey() -> PublicKeyBytes {
    PublicKeyBytes(hex::decode(PUBKEY).unwrap().try_into().unwrap())
}

/// Decrypts a vector that must be valid, and checks secret and pubkey.
fn check_valid(name: &str, ks: &Keystore, password: &str) {
    let got = ks
        .decrypt(password)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(*got, secret(), "{name}: secret");
    let pk = ks.pubkey().unwrap_or_else(|| panic!("{name}: no pubkey"));
    assert_eq!(bls_pubkey(&got), pk, "{name}: pubkey of the secret");
    assert_eq!(pk, pubkey(), "{name}: pubkey");
    // What we write parses back to the same keystore.
    let again = Keystore::from_json(&ks.to_json()).unwrap();
    assert_eq!(&again, ks, "{name}: to_json/from_json round trip");
}

fn edit(json: &str, f: impl FnOnce(&mut Value)) -> String {
    let mut v: Value = serde_json::from_str(json).unwrap();
    f(&mut v);
    v.to_string()
}

/// A cheap keystore holding the test secret.
fn cheap(kdf: Kdf) -> Keystore {
    Keystore::encrypt(&secret(), PASSWORD, kdf, pubkey(), "m/12381/3600/0/0/0").unwrap()
}

// ---------------------------------------------------------------------------------------------
// Valid vectors.

#[test]
fn eip_test_cases_decrypt() {
    let doc: Value = serde_json::from_str(&read("eip/eip2335_vectors.json")).unwrap();
    let cases = doc["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 2);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let password = case["password"].as_str().unwrap();
        // EIP-2335 "Password requirements".
        let encoded = hex::decode(
            case["encoded_password"]
                .as_str()
                .unwrap()
                .trim_start_matches("0x"),
        )
        .unwrap();
        assert_eq!(
            *normalize_password(password),
            encoded,
            "{name}: encoded password"
        );
        assert_eq!(hex32(case["secret"].as_str().unwrap()), secret());
        let ks = Keystore::from_value(&case["keystore"]).unwrap();
        check_valid(name, &ks, password);
    }
}

#[test]
fn eip_keystore_files_decrypt() {
    let scrypt = Keystore::from_json(&read("eip/eip2335_scrypt.keystore.json")).unwrap();
    assert_eq!(scrypt.kdf(), Kdf::SCRYPT_DEFAULT);
    assert_eq!(scrypt.path(), "m/12381/60/3141592653/589793238");
    assert_eq!(
        scrypt.uuid(),
        Uuid::parse_str("1d85ae20-35c5-4611-98e8-aa14a633906f").unwrap()
    );
    assert_eq!(
        scrypt.description(),
        "This is a test keystore that uses scrypt to secure the secret."
    );
    assert_eq!(scrypt.version(), 4);
    check_valid("eip scrypt", &scrypt, PASSWORD);

    let pbkdf2 = Keystore::from_json(&read("eip/eip2335_pbkdf2.keystore.json")).unwrap();
    assert_eq!(pbkdf2.kdf(), Kdf::PBKDF2_DEFAULT);
    assert_eq!(pbkdf2.path(), "m/12381/60/0/0");
    check_valid("eip pbkdf2", &pbkdf2, PASSWORD);
}

#[test]
fn staking_deposit_cli_vectors_decrypt() {
    for (file, kdf) in [
        ("staking-deposit-cli/test0.json", Kdf::PBKDF2_DEFAULT),
        ("staking-deposit-cli/test1.json", Kdf::SCRYPT_DEFAULT),
    ] {
        let ks = Keystore::from_json(&read(file)).unwrap();
        assert_eq!(ks.kdf(), kdf, "{file}");
        check_valid(file, &ks, PASSWORD);
    }
}

#[test]
fn web3signer_valid_vectors_decrypt() {
    for file in [
        "web3signer/scryptTestVector.json",
        "web3signer/pbkdf2TestVector.json",
        // Has an unknown `name` field and no `description`.
        "web3signer/scryptExtraFieldTestVector.json",
    ] {
        let ks: Keystore = read(file).parse().unwrap();
        check_valid(file, &ks, PASSWORD);
    }
}

/// `encrypt_deterministic` with the vectors' salt, iv and UUID reproduces them exactly: this
/// checks the encryption direction, and that `to_json` writes the EIP's layout.
#[test]
fn encryption_reproduces_the_eip_vectors() {
    let salt =
        hex::decode("d4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3").unwrap();
    let iv: [u8; 16] = hex::decode("264daa3f303d7259501c93d997d84fe6")
        .unwrap()
        .try_into()
        .unwrap();
    for (file, kdf) in [
        ("eip/eip2335_scrypt.keystore.json", Kdf::SCRYPT_DEFAULT),
        ("eip/eip2335_pbkdf2.keystore.json", Kdf::PBKDF2_DEFAULT),
    ] {
        let expected_json = read(file);
        let expected = Keystore::from_json(&expected_json).unwrap();
        let ks = Keystore::encrypt_deterministic(
            &secret(),
            PASSWORD,
            kdf,
            &salt,
            iv,
            expected.uuid(),
            Some(pubkey()),
            expected.path(),
        )
        .unwrap()
        .with_description(expected.description());
        assert_eq!(ks, expected, "{file}");
        let written: Value = serde_json::from_str(&ks.to_json()).unwrap();
        let upstream: Value = serde_json::from_str(&expected_json).unwrap();
        assert_eq!(written, upstream, "{file}: JSON");
        // The `Serialize` impl writes the same document.
        assert_eq!(
            serde_json::to_value(&ks).unwrap(),
            upstream,
            "{file}: Serialize"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Passwords.

#[test]
fn password_processing_follows_eip_2335() {
    let encoded = hex::decode(ENCODED_PASSWORD).unwrap();
    assert_eq!(*normalize_password(PASSWORD), encoded);
    // C0, Delete and C1 control codes are stripped wherever they are.
    let noisy = "\u{0}𝔱𝔢\u{7}𝔰𝔱\u{1f}𝔭\u{7f}𝔞𝔰\u{80}𝔰𝔴\u{85}𝔬𝔯\u{9f}𝔡\n🔑\r\t";
    assert_eq!(*normalize_password(noisy), encoded);
    // Space and the characters right outside the control ranges are kept.
    assert_eq!(*normalize_password(" a b "), b" a b ".to_vec());
    assert_eq!(*normalize_password("\u{a0}"), " ".as_bytes()); // NBSP -> NFKD space
    assert_eq!(*normalize_password("~\u{a1}"), "~\u{a1}".as_bytes());
    // NFKD: compatibility and canonical decomposition.
    assert_eq!(*normalize_password("\u{fb01}"), b"fi".to_vec()); // ligature fi
    assert_eq!(*normalize_password("\u{e9}"), "e\u{301}".as_bytes()); // é
    assert_eq!(*normalize_password("\u{212b}"), "A\u{30a}".as_bytes()); // Angstrom sign
    assert_eq!(*normalize_password("\u{ff41}"), b"a".to_vec()); // fullwidth a
    assert!(normalize_password("\u{1}\u{7f}\u{9f}").is_empty());
}

/// The EIP's password with control codes sprinkled in still opens the EIP's keystore.
#[test]
fn eip_password_with_control_codes_decrypts() {
    let ks = Keystore::from_json(&read("eip/eip2335_pbkdf2.keystore.json")).unwrap();
    let noisy = "\u{8}𝔱𝔢𝔰𝔱\u{7f}𝔭𝔞𝔰𝔰\u{9b}𝔴𝔬𝔯𝔡\u{0}🔑\u{1b}";
    assert_eq!(*ks.decrypt(noisy).unwrap(), secret());
}

#[test]
fn wrong_password_is_rejected() {
    let ks = Keystore::from_json(&read("eip/eip2335_scrypt.keystore.json")).unwrap();
    // The key emoji is not NFKD-equivalent to anything else; without it the password is wrong.
    let err = ks.decrypt("testpassword").unwrap_err();
    assert_eq!(err, KeystoreError::WrongPassword);
    assert!(!err.to_string().contains("testpassword"));

    let ks = cheap(CHEAP_PBKDF2);
    // Space is not a control code, and the emoji matters.
    for wrong in ["", " 𝔱𝔢𝔰𝔱𝔭𝔞𝔰𝔰𝔴𝔬𝔯𝔡🔑", "𝔱𝔢𝔰𝔱𝔭𝔞𝔰𝔰𝔴𝔬𝔯𝔡", "TESTPASSWORD🔑"]
    {
        assert_eq!(
            ks.decrypt(wrong).unwrap_err(),
            KeystoreError::WrongPassword,
            "{wrong:?}"
        );
    }
    // The NFKD form of the password is the same password.
    assert_eq!(*ks.decrypt("testpassword🔑").unwrap(), secret());
}

// ---------------------------------------------------------------------------------------------
// Invalid vectors and structural validation.

#[test]
fn web3signer_invalid_vectors_are_rejected() {
    use KeystoreError::*;
    let cases: [(&str, KeystoreError); 9] = [
        (
            "missingKdfSectionTestVector.json",
            MissingField("crypto.kdf.params"),
        ),
        ("v3TestVector.json", UnsupportedVersion(3)),
        (
            "unsupportedChecksumFunction.json",
            UnsupportedChecksum("sha128".into()),
        ),
        (
            "unsupportedCipherFunction.json",
            UnsupportedCipher("aes-256-ctr".into()),
        ),
        (
            "unsupportedKdfFunction.json",
            UnsupportedKdf("pbkdf3".into()),
        ),
        (
            "unsupportedPBKDF2Prf.json",
            UnsupportedPrf("hmac-sha512".into()),
        ),
        ("unsupportedDkLen.json", UnsupportedDkLen(31)),
        ("missingCrypto.json", MissingField("crypto")),
        ("missingVersion.json", MissingField("version")),
    ];
    for (file, expected) in &cases {
        let err = Keystore::from_json(&read(&format!("web3signer/{file}"))).unwrap_err();
        assert_eq!(&err, expected, "{file}");
        assert!(!err.to_string().is_empty());
    }
    // All 12 upstream files are covered: these 9 plus the 3 valid ones.
    let mut files: Vec<_> = std::fs::read_dir(dir().join("web3signer"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|f| f.ends_with(".json"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 12, "{files:?}");
}

#[test]
fn structural_validation() {
    use KeystoreError::*;
    let scrypt = read("eip/eip2335_scrypt.keystore.json");
    let pbkdf2 = read("eip/eip2335_pbkdf2.keystore.json");
    let bad_params = |e: &KeystoreError| matches!(e, InvalidKdfParams(_));
    let reject = |json: &str, ok: &dyn Fn(&KeystoreError) -> bool, what: &str| {
        let err = Keystore::from_json(json).unwrap_err();
        assert!(ok(&err), "{what}: got {err:?}");
        assert!(!err.to_string().is_empty());
    };
    let is = |expected: KeystoreError| move |e: &KeystoreError| *e == expected;

    // Not a keystore at all.
    reject("", &|e| matches!(e, Malformed(_)), "empty");
    reject("[]", &|e| matches!(e, Malformed(_)), "array");
    reject(
        "{\"version\": 4",
        &|e| matches!(e, Malformed(_)),
        "truncated",
    );
    reject(&" ".repeat(MAX_JSON_LEN + 1), &is(TooLarge), "too large");

    // Version (EIP-2335 "Version").
    let v = |ver: Value| edit(&scrypt, |j| j["version"] = ver);
    reject(&v(json!(5)), &is(UnsupportedVersion(5)), "version 5");
    reject(
        &v(json!("4")),
        &|e| {
            matches!(
                e,
                InvalidField {
                    field: "version",
                    ..
                }
            )
        },
        "string version",
    );
    reject(
        &v(json!(-4)),
        &|e| {
            matches!(
                e,
                InvalidField {
                    field: "version",
                    ..
                }
            )
        },
        "negative",
    );
    reject(
        &v(json!(4.5)),
        &|e| {
            matches!(
                e,
                InvalidField {
                    field: "version",
                    ..
                }
            )
        },
        "float",
    );

    // KDF parameters. None of these may start a KDF run or allocate.
    let s = |k: &str, val: Value| edit(&scrypt, |j| j["crypto"]["kdf"]["params"][k] = val);
    reject(&s("n", json!(1)), &bad_params, "n = 1");
    reject(&s("n", json!(0)), &bad_params, "n = 0");
    reject(&s("n", json!(3)), &bad_params, "n = 3");
    reject(
        &s("n", json!(1u64 << 30)),
        &bad_params,
        "n = 2^30 (128 GiB)",
    );
    reject(&s("n", json!(1u64 << 32)), &bad_params, "n = 2^32");
    reject(&s("n", json!(1u64 << 63)), &bad_params, "n = 2^63");
    reject(
        &s("n", json!("262144")),
        &|e| {
            matches!(
                e,
                InvalidField {
                    field: "crypto.kdf.params.n",
                    ..
                }
            )
        },
        "n as string",
    );
    reject(
        &s("n", json!(-1)),
        &|e| {
            matches!(
                e,
                InvalidField {
                    field: "crypto.kdf.params.n",
                    ..
                }
            )
        },
        "n < 0",
    );
    reject(
        &s("n", json!(262144.0)),
        &|e| {
            matches!(
                e,
                InvalidField {
                    field: "crypto.kdf.params.n",
                    ..
                }
            )
        },
        "n as float",
    );
    reject(&s("r", json!(0)), &bad_params, "r = 0");
    reject(&s("r", json!(1 << 20)), &bad_params, "r = 2^20");
    reject(&s("p", json!(0)), &bad_params, "p = 0");
    reject(&s("p", json!(1 << 20)), &bad_params, "p = 2^20");
    reject(
        &s("dklen", json!(64)),
        &is(UnsupportedDkLen(64)),
        "dklen 64",
    );
    reject(
        &s("salt", json!("zz")),
        &|e| {
            matches!(
                e,
                InvalidField {
                    field: "crypto.kdf.params.salt",
                    ..
                }
            )
        },
        "salt hex",
    );
    reject(
        &s("salt", json!(null)),
        &is(MissingField("crypto.kdf.params.salt")),
        "salt null",
    );
    let p = |k: &str, val: Value| edit(&pbkdf2, |j| j["crypto"]["kdf"]["params"][k] = val);
    reject(&p("c", json!(0)), &bad_params, "c = 0");
    reject(
        &p("c", json!(MAX_PBKDF2_C as u64 + 1)),
        &bad_params,
        "c too big",
    );
    reject(&p("c", json!(1u64 << 32)), &bad_params, "c = 2^32");
    reject(
        &p("prf", json!(null)),
        &is(MissingField("crypto.kdf.params.prf")),
        "no prf",
    );
    reject(
        &edit(&pbkdf2, |j| {
            j["crypto"]["kdf"]["params"]
                .as_object_mut()
                .unwrap()
                .remove("c");
        }),
        &is(MissingField("crypto.kdf.params.c")),
        "no c",
    );
    // RFC 7914: n < 2^(16 r), checked by the scrypt crate.
    reject(
        &edit(&scrypt, |j| {
            j["crypto"]["kdf"]["params"]["n"] = json!(1 << 16);
            j["crypto"]["kdf"]["params"]["r"] = json!(1);
        }),
        &bad_params,
        "n >= 2^(16 r)",
    );

    // Checksum and cipher modules.
    let m = |f: &dyn Fn(&mut Value)| edit(&scrypt, |j| f(&mut j["crypto"]));
    reject(
        &m(&|c| c["checksum"]["message"] = json!("00")),
        &is(InvalidLength {
            field: "crypto.checksum.message",
            expected: 32,
            actual: 1,
        }),
        "short checksum",
    );
    reject(
        &m(&|c| {
            c["checksum"].as_object_mut().unwrap().remove("params");
        }),
        &is(MissingField("crypto.checksum.params")),
        "checksum without params",
    );
    reject(
        &m(&|c| c["cipher"]["params"]["iv"] = json!("264daa3f303d7259501c93d997d84f")),
        &is(InvalidLength {
            field: "crypto.cipher.params.iv",
            expected: 16,
            actual: 15,
        }),
        "iv 15 bytes",
    );
    reject(
        &m(&|c| c["cipher"]["params"]["iv"] = json!("g64daa3f303d7259501c93d997d84fe6")),
        &|e| {
            matches!(
                e,
                InvalidField {
                    field: "crypto.cipher.params.iv",
                    ..
                }
            )
        },
        "iv hex",
    );
    reject(
        &m(&|c| c["cipher"]["message"] = json!("abc")),
        &|e| {
            matches!(
                e,
                InvalidField {
                    field: "crypto.cipher.message",
                    ..
                }
            )
        },
        "odd hex",
    );
    reject(
        &m(&|c| {
            c["cipher"].as_object_mut().unwrap().remove("message");
        }),
        &is(MissingField("crypto.cipher.message")),
        "no cipher message",
    );
    reject(
        &m(&|c| {
            c["kdf"].as_object_mut().unwrap().remove("message");
        }),
        &is(MissingField("crypto.kdf.message")),
        "no kdf message",
    );
    reject(
        &m(&|c| c["kdf"] = json!(null)),
        &is(MissingField("crypto.kdf")),
        "kdf null",
    );
    reject(
        &m(&|c| c["kdf"] = json!("scrypt")),
        &|e| {
            matches!(
                e,
                InvalidField {
                    field: "crypto.kdf",
                    ..
                }
            )
        },
        "kdf string",
    );
    reject(
        &m(&|c| c["cipher"]["function"] = json!(128)),
        &|e| {
            matches!(
                e,
                InvalidField {
                    field: "crypto.cipher.function",
                    ..
                }
            )
        },
        "function number",
    );
    reject(
        &edit(&scrypt, |j| j["description"] = json!(1)),
        &|e| {
            matches!(
                e,
                InvalidField {
                    field: "description",
                    ..
                }
            )
        },
        "description number",
    );

    // Top-level fields.
    reject(
        &edit(&scrypt, |j| j["pubkey"] = json!("9612d7a7")),
        &is(InvalidLength {
            field: "pubkey",
            expected: 48,
            actual: 4,
        }),
        "short pubkey",
    );
    reject(
        &edit(&scrypt, |j| j["uuid"] = json!("not-a-uuid")),
        &|e| matches!(e, InvalidField { field: "uuid", .. }),
        "uuid",
    );
    reject(
        &edit(&scrypt, |j| {
            j.as_object_mut().unwrap().remove("path");
        }),
        &is(MissingField("path")),
        "no path",
    );

    // Accepted variations: 0x prefixes, empty pubkey, extra fields, no description, empty path.
    let ok = edit(&scrypt, |j| {
        j["crypto"]["cipher"]["params"]["iv"] = json!("0x264daa3f303d7259501c93d997d84fe6");
        j["pubkey"] = json!("");
        j["path"] = json!("");
        j["crypto"]["kdf"]["extra"] = json!([1, 2]);
        j["crypto"]["checksum"]["params"] = json!({"ignored": true});
        j.as_object_mut().unwrap().remove("description");
    });
    let ks = Keystore::from_json(&ok).unwrap();
    assert_eq!(ks.pubkey(), None);
    assert_eq!(ks.description(), "");
    assert_eq!(ks.path(), "");
    assert!(matches!(
        ks.decrypt_verified(PASSWORD),
        Err(MissingField("pubkey"))
    ));

    // The validating `Deserialize` agrees with `from_json`.
    assert!(serde_json::from_str::<Keystore>(&v(json!(3))).is_err());
    assert_eq!(
        serde_json::from_str::<Keystore>(&scrypt).unwrap(),
        Keystore::from_json(&scrypt).unwrap()
    );
}

#[test]
fn unsupported_names_are_shortened_in_errors() {
    let long = "x".repeat(10_000);
    let json = edit(&read("eip/eip2335_scrypt.keystore.json"), |j| {
        j["crypto"]["kdf"]["function"] = json!(long)
    });
    let err = Keystore::from_json(&json).unwrap_err();
    assert!(matches!(err, KeystoreError::UnsupportedKdf(_)));
    assert!(err.to_string().len() < 200, "{err}");
}

/// The checksum is verified before the length, and a keystore (here built by hand, with the
/// KDF run directly through the `pbkdf2` crate) whose secret is not 32 bytes is refused.
#[test]
fn secret_length_is_checked_after_the_password() {
    let salt = [7u8; 32];
    let mut dk = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<Sha256>(&normalize_password(PASSWORD), &salt, 1, &mut dk);
    for len in [0usize, 31, 33, 64] {
        let message = vec![0x5au8; len];
        let mut h = Sha256::new();
        h.update(&dk[16..]);
        h.update(&message);
        let checksum = h.finalize();
        let json = json!({
            "crypto": {
                "kdf": {"function": "pbkdf2", "params": {"dklen": 32, "c": 1, "prf": "hmac-sha256", "salt": hex::encode(salt)}, "message": ""},
                "checksum": {"function": "sha256", "params": {}, "message": hex::encode(checksum)},
                "cipher": {"function": "aes-128-ctr", "params": {"iv": "00000000000000000000000000000000"}, "message": hex::encode(&message)}
            },
            "path": "", "uuid": "64625def-3331-4eea-ab6f-782f3ed16a83", "version": 4
        });
        let ks = Keystore::from_json(&json.to_string()).unwrap();
        assert_eq!(
            ks.decrypt("nope").unwrap_err(),
            KeystoreError::WrongPassword
        );
        assert_eq!(
            ks.decrypt(PASSWORD).unwrap_err(),
            KeystoreError::InvalidSecretLength(len)
        );
    }
}

/// EIP-2335 "Secret decryption" names RFC 3686's AES-CTR; the reference implementations (and the
/// vectors) use the whole iv as a 128-bit big-endian counter. The vectors' iv never carries into
/// the upper 64 bits, so check that carry against a keystream built block by block.
#[test]
fn aes_ctr_counter_is_128_bit_big_endian() {
    use aes::cipher::generic_array::GenericArray;
    use aes::cipher::{BlockEncrypt, KeyInit};
    let salt = [1u8; 32];
    let mut dk = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<Sha256>(&normalize_password(PASSWORD), &salt, 1, &mut dk);
    let iv: [u8; 16] = hex::decode("0000000000000007ffffffffffffffff")
        .unwrap()
        .try_into()
        .unwrap();
    let aes = aes::Aes128::new(GenericArray::from_slice(&dk[..16]));
    let mut expected = secret();
    for (i, counter) in [
        "0000000000000007ffffffffffffffff",
        "00000000000000080000000000000000",
    ]
    .iter()
    .enumerate()
    {
        let mut block = GenericArray::clone_from_slice(&hex::decode(counter).unwrap());
        aes.encrypt_block(&mut block);
        for (b, k) in expected[16 * i..16 * (i + 1)].iter_mut().zip(block) {
            *b ^= k;
        }
    }
    let mut h = Sha256::new();
    h.update(&dk[16..]);
    h.update(expected);
    let checksum = h.finalize();

    let ks = Keystore::encrypt_deterministic(
        &secret(),
        PASSWORD,
        Kdf::Pbkdf2 { c: 1 },
        &salt,
        iv,
        Uuid::nil(),
        None,
        "",
    )
    .unwrap();
    let json: Value = serde_json::from_str(&ks.to_json()).unwrap();
    assert_eq!(
        json["crypto"]["cipher"]["message"],
        json!(hex::encode(expected))
    );
    assert_eq!(
        json["crypto"]["checksum"]["message"],
        json!(hex::encode(checksum))
    );
    assert!(json.get("pubkey").is_none());
    assert_eq!(*ks.decrypt(PASSWORD).unwrap(), secret());
}

// ---------------------------------------------------------------------------------------------
// Round trips and tampering.

#[test]
fn encrypt_decrypt_round_trip_both_kdfs() {
    for kdf in [CHEAP_SCRYPT, CHEAP_PBKDF2] {
        let a = cheap(kdf).with_description("round trip");
        let b = cheap(kdf);
        assert_eq!(a.kdf(), kdf);
        assert_eq!(a.uuid().get_version_num(), 4);
        assert_ne!(a.uuid(), b.uuid(), "fresh uuid");
        assert_ne!(
            a,
            b.clone().with_description("round trip"),
            "fresh salt and iv"
        );
        assert_eq!(a.pubkey(), Some(pubkey()));
        assert_eq!(a.path(), "m/12381/3600/0/0/0");

        let json = a.to_json();
        let parsed = Keystore::from_json(&json).unwrap();
        assert_eq!(parsed, a);
        assert_eq!(parsed.description(), "round trip");
        // Written the EIP's way: bare hex, 32-byte salt, 16-byte iv, version 4.
        let v: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["version"], json!(4));
        assert_eq!(
            v["crypto"]["kdf"]["params"]["salt"].as_str().unwrap().len(),
            64
        );
        assert_eq!(
            v["crypto"]["cipher"]["params"]["iv"]
                .as_str()
                .unwrap()
                .len(),
            32
        );
        assert_eq!(v["pubkey"], json!(PUBKEY));

        assert_eq!(*parsed.decrypt(PASSWORD).unwrap(), secret());
        assert_eq!(*parsed.decrypt_verified(PASSWORD).unwrap(), secret());
        assert_eq!(*b.decrypt("testpassword🔑").unwrap(), secret());
        assert_eq!(
            parsed.decrypt("wrong").unwrap_err(),
            KeystoreError::WrongPassword
        );
    }
    // A random secret (not the vector's) too.
    let mut sk = [0u8; 32];
    getrandom::fill(&mut sk).unwrap();
    sk[0] &= 0x3f; // below the BLS group order
    let pk = bls_pubkey(&sk);
    let ks = Keystore::encrypt(&sk, "correct horse", CHEAP_PBKDF2, pk, "").unwrap();
    assert_eq!(*ks.decrypt_verified("correct horse").unwrap(), sk);
}

#[test]
fn encrypt_refuses_bad_input() {
    for pw in ["", "\u{0}\u{1f}\u{7f}\u{80}\u{9f}"] {
        let err = Keystore::encrypt(&secret(), pw, CHEAP_PBKDF2, pubkey(), "").unwrap_err();
        assert_eq!(err, KeystoreError::EmptyPassword);
    }
    for kdf in [
        Kdf::Pbkdf2 { c: 0 },
        Kdf::Pbkdf2 { c: u32::MAX },
        Kdf::Scrypt { n: 1, r: 8, p: 1 },
        Kdf::Scrypt {
            n: 1000,
            r: 8,
            p: 1,
        },
        Kdf::Scrypt {
            n: 1 << 31,
            r: 8,
            p: 1,
        },
        Kdf::Scrypt {
            n: 1 << 14,
            r: 0,
            p: 1,
        },
        Kdf::Scrypt {
            n: 1 << 14,
            r: 8,
            p: u32::MAX,
        },
    ] {
        let err = Keystore::encrypt(&secret(), PASSWORD, kdf, pubkey(), "").unwrap_err();
        assert!(
            matches!(err, KeystoreError::InvalidKdfParams(_)),
            "{kdf:?}: {err:?}"
        );
        assert!(kdf.validate().is_err());
    }
    assert!(Kdf::SCRYPT_DEFAULT.validate().is_ok());
    assert!(Kdf::PBKDF2_DEFAULT.validate().is_ok());
}

#[test]
fn tampering_is_detected() {
    use KeystoreError::*;
    for kdf in [CHEAP_PBKDF2, CHEAP_SCRYPT] {
        let json = cheap(kdf).to_json();
        let flip = |j: &mut Value, path: &[&str]| {
            let mut node = &mut *j;
            for k in path {
                node = &mut node[*k];
            }
            let mut bytes = hex::decode(node.as_str().unwrap()).unwrap();
            bytes[0] ^= 1;
            *node = json!(hex::encode(bytes));
        };
        let tampered =
            |path: &[&str]| Keystore::from_json(&edit(&json, |j| flip(j, path))).unwrap();

        // Covered by the EIP-2335 checksum: ciphertext, checksum, KDF salt and parameters.
        for path in [
            &["crypto", "cipher", "message"][..],
            &["crypto", "checksum", "message"],
            &["crypto", "kdf", "params", "salt"],
        ] {
            assert_eq!(
                tampered(path).decrypt(PASSWORD).unwrap_err(),
                WrongPassword,
                "{path:?}"
            );
        }
        let cost = edit(&json, |j| match kdf {
            Kdf::Pbkdf2 { .. } => j["crypto"]["kdf"]["params"]["c"] = json!(17),
            Kdf::Scrypt { .. } => j["crypto"]["kdf"]["params"]["n"] = json!(32),
        });
        let cost = Keystore::from_json(&cost).unwrap();
        assert_eq!(cost.decrypt(PASSWORD).unwrap_err(), WrongPassword);

        // Not covered by the checksum: the iv. `decrypt` yields a wrong secret,
        // `decrypt_verified` notices.
        let iv = tampered(&["crypto", "cipher", "params", "iv"]);
        assert_ne!(*iv.decrypt(PASSWORD).unwrap(), secret());
        assert!(matches!(
            iv.decrypt_verified(PASSWORD),
            Err(PubkeyMismatch | InvalidSecretKey)
        ));
        // Nor the pubkey: swap in another key's.
        let other = bls_pubkey(&hex32(
            "0000000000000000000000000000000000000000000000000000000000000001",
        ));
        let swapped = edit(&json, |j| j["pubkey"] = json!(hex::encode(other.0)));
        let swapped = Keystore::from_json(&swapped).unwrap();
        assert_eq!(swapped.pubkey(), Some(other));
        assert_eq!(
            swapped.decrypt_verified(PASSWORD).unwrap_err(),
            PubkeyMismatch
        );
    }
}

#[test]
fn nothing_secret_in_debug_or_errors() {
    let ks = cheap(CHEAP_PBKDF2);
    let json: Value = serde_json::from_str(&ks.to_json()).unwrap();
    let debug = format!("{ks:?}");
    for hidden in [
        &json["crypto"]["cipher"]["message"],
        &json["crypto"]["checksum"]["message"],
        &json["crypto"]["kdf"]["params"]["salt"],
        &json["crypto"]["cipher"]["params"]["iv"],
    ] {
        assert!(!debug.contains(hidden.as_str().unwrap()), "{debug}");
    }
    assert!(!debug.contains(SECRET));
    assert!(debug.contains(&ks.uuid().to_string()));
    let err = ks.decrypt("hunter2").unwrap_err();
    assert!(!format!("{err} {err:?}").contains("hunter2"));
}

// ---------------------------------------------------------------------------------------------
// Mutated JSON never panics.

/// Every path (object keys) to a node of a JSON tree.
fn paths(v: &Value, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    if let Value::Object(map) = v {
        for (k, child) in map {
            prefix.push(k.clone());
            out.push(prefix.clone());
            paths(child, prefix, out);
            prefix.pop();
        }
    }
}

fn arb_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        prop::sample::select(vec![
            0u64,
            1,
            2,
            3,
            4,
            16,
            31,
            32,
            33,
            1 << 24,
            1 << 31,
            1 << 32
        ])
        .prop_map(Value::from),
        "[0-9a-fA-Fx]{0,70}".prop_map(Value::from),
        ".{0,20}".prop_map(Value::from),
        prop::sample::select(vec![
            "scrypt",
            "pbkdf2",
            "sha256",
            "aes-128-ctr",
            "hmac-sha256",
            ""
        ])
        .prop_map(Value::from),
        Just(json!({})),
        Just(json!([])),
        Just(json!({"iv": "00"})),
    ]
}

#[derive(Debug, Clone)]
enum Mutation {
    /// Replace the node with any JSON value.
    Replace(usize, Value),
    Remove(usize),
    /// Keep the node's type: change one character of a string, or nudge a number.
    Tweak(usize, usize, char),
}

fn arb_mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => (any::<usize>(), arb_value()).prop_map(|(i, v)| Mutation::Replace(i, v)),
        1 => any::<usize>().prop_map(Mutation::Remove),
        3 => (any::<usize>(), any::<usize>(), prop::sample::select(vec!['0', '7', 'f', 'F', 'x', ' ', '-']))
            .prop_map(|(i, at, c)| Mutation::Tweak(i, at, c)),
    ]
}

fn apply(doc: &mut Value, m: &Mutation) {
    let mut all = Vec::new();
    paths(doc, &mut Vec::new(), &mut all);
    let idx = match m {
        Mutation::Replace(i, _) | Mutation::Remove(i) | Mutation::Tweak(i, _, _) => {
            *i % all.len().max(1)
        }
    };
    let Some(path) = all.get(idx) else { return };
    let (last, parents) = path.split_last().unwrap();
    let mut node = &mut *doc;
    for k in parents {
        node = &mut node[k.as_str()];
    }
    let Value::Object(map) = node else { return };
    match m {
        Mutation::Replace(_, v) => {
            map.insert(last.clone(), v.clone());
        }
        Mutation::Remove(_) => {
            map.remove(last);
        }
        Mutation::Tweak(_, at, c) => match map.get_mut(last) {
            Some(Value::String(s)) => {
                let mut chars: Vec<char> = s.chars().collect();
                if chars.is_empty() {
                    chars.push(*c);
                } else {
                    let i = at % chars.len();
                    chars[i] = *c;
                }
                *s = chars.into_iter().collect();
            }
            Some(Value::Number(n)) => {
                let n = n.as_u64().unwrap_or(0);
                let nudged = [
                    n.wrapping_add(1),
                    n.wrapping_sub(1),
                    n.wrapping_mul(2),
                    n / 2,
                ];
                map.insert(last.clone(), Value::from(nudged[at % 4]));
            }
            _ => {}
        },
    }
}

/// Whatever parses is usable: decrypting (only when the KDF is cheap) and re-serializing must
/// not panic either.
fn exercise(json: &str) {
    if let Ok(ks) = Keystore::from_json(json) {
        let cheap = match ks.kdf() {
            Kdf::Pbkdf2 { c } => c <= 1 << 12,
            Kdf::Scrypt { n, r, p } => u64::from(n) * u64::from(r) * u64::from(p) <= 1 << 12,
        };
        if cheap {
            let _ = ks.decrypt(PASSWORD);
            let _ = ks.decrypt_verified(PASSWORD);
        }
        let again = Keystore::from_json(&ks.to_json()).expect("our own output parses");
        assert_eq!(again, ks);
    }
}

proptest! {
    // No regression files: a failure prints its minimal input instead.
    #![proptest_config(ProptestConfig {
        cases: 512,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn structurally_mutated_keystores_never_panic(
        base in prop::sample::select(vec![0usize, 1]),
        mutations in prop::collection::vec(arb_mutation(), 1..4),
    ) {
        let kdf = [Kdf::Pbkdf2 { c: 1 }, Kdf::Scrypt { n: 2, r: 1, p: 1 }][base];
        let json = cheap(kdf).to_json();
        let mut doc: Value = serde_json::from_str(&json).unwrap();
        for m in &mutations {
            apply(&mut doc, m);
        }
        exercise(&doc.to_string());
    }

    #[test]
    fn textually_mutated_keystores_never_panic(
        edits in prop::collection::vec((any::<prop::sample::Index>(), 0u8..3, any::<char>()), 1..6),
    ) {
        let json = cheap(Kdf::Pbkdf2 { c: 1 }).to_json();
        let mut chars: Vec<char> = json.chars().collect();
        for (at, op, c) in edits {
            let i = at.index(chars.len() + 1);
            match op {
                0 if i < chars.len() => { chars.remove(i); }
                1 if i < chars.len() => chars[i] = c,
                _ => chars.insert(i, c),
            }
        }
        exercise(&chars.into_iter().collect::<String>());
    }

    #[test]
    fn arbitrary_text_never_panics(s in ".{0,300}") {
        exercise(&s);
    }
}
