//! The `tpm2` freshness anchor against a real software TPM (swtpm, started by each test) and
//! the attacks it exists for: an old copy of the data directory restored after more signing,
//! two copies running at once, a P killed at every step of the anchor's protocol, and a host
//! that edits the anchor's file, redefines the TPM's counters, or moves them itself with
//! tpm2-tools. No slashable pair is ever returned; no key is ever left unable to sign.

#![allow(unused_crate_dependencies)]
#![cfg(feature = "tpm2")]

mod common;

use common::*;
use lsv_consensus::PublicKeyBytes;
use lsv_enclave::anchor::memory::FailAfter;
use lsv_enclave::anchor::tpm2::{Swtpm, Tpm2Counters, DEFAULT_NV_INDEX};
use lsv_enclave::anchor::{
    AnchorConfig, AnchorCounters, AnchorError, BackendConfig, Origin, StartKind,
};
use lsv_enclave::{AnchorChoice, Enclave, SignError, StartError};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

fn tpm2(swtpm: &Swtpm) -> AnchorChoice {
    AnchorChoice::Tpm2 {
        tcti: swtpm.tcti(),
        nv_index: DEFAULT_NV_INDEX,
        reserve_epochs: 2,
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Signs `source → target` for block `root` with `p`'s key; what was released, if anything.
fn attest(
    rt: &tokio::runtime::Runtime,
    p: &Enclave,
    key: &PublicKeyBytes,
    source: u64,
    target: u64,
    root: u8,
) -> Option<Released> {
    let data = attestation_data(source, target, root);
    rt.block_on(p.sign(key, &attestation(data)))
        .ok()
        .map(|_| Released::Attestation(data))
}

fn assert_no_slashable_pair(released: &[Released]) {
    for (i, a) in released.iter().enumerate() {
        for b in &released[i + 1..] {
            assert!(!slashable(a, b), "slashable pair: {a:?} and {b:?}");
        }
    }
}

fn new_key(rt: &tokio::runtime::Runtime, p: &Enclave) -> PublicKeyBytes {
    rt.block_on(p.generate_keys(OWNER, 1)).unwrap()[0].pubkey
}

/// A P in `<dir>/p`, anchored to a software TPM of its own, whose one key signed `1 → 2`
/// before P stopped cleanly.
struct Signed {
    swtpm: Swtpm,
    data: std::path::PathBuf,
    key: PublicKeyBytes,
}

fn signed_once(dir: &Path) -> Signed {
    let swtpm = Swtpm::start(&dir.join("tpm")).unwrap();
    let data = dir.join("p");
    let rt = runtime();
    let p = open_anchored(&data, 2, tpm2(&swtpm)).unwrap();
    let key = new_key(&rt, &p);
    assert!(attest(&rt, &p, &key, 1, 2, 1).is_some());
    drop(p);
    Signed { swtpm, data, key }
}

/// The first attack: sign, stop, keep a copy of the data directory; sign more; restore
/// the copy and restart. The copy was closed cleanly, but the TPM's counters have moved past
/// it: P raises every watermark past what was reserved and refuses everything the newer
/// signatures could conflict with, and signs again once the chain is past the floor.
#[test]
fn a_restored_copy_is_caught_by_the_tpm() {
    let dir = tempfile::tempdir().unwrap();
    let swtpm = Swtpm::start(&dir.path().join("tpm")).unwrap();
    let data = dir.path().join("p");
    let saved = dir.path().join("saved");
    let rt = runtime();
    let mut released = Vec::new();

    let p = open_anchored(&data, 2, tpm2(&swtpm)).unwrap();
    assert_eq!(
        p.anchor_status().unwrap().start,
        StartKind::Raised,
        "a new anchor"
    );
    let key = new_key(&rt, &p);
    released.extend(attest(&rt, &p, &key, 1, 2, 1));
    assert_eq!(released.len(), 1);
    drop(p);
    copy_dir(&data, &saved);

    let p = open_anchored(&data, 4, tpm2(&swtpm)).unwrap();
    assert_eq!(p.anchor_status().unwrap().start, StartKind::Trusted);
    released.extend(attest(&rt, &p, &key, 2, 3, 2));
    released.extend(attest(&rt, &p, &key, 3, 4, 2));
    assert_eq!(released.len(), 3);
    drop(p);

    std::fs::remove_dir_all(&data).unwrap();
    copy_dir(&saved, &data);
    let p = open_anchored(&data, 4, tpm2(&swtpm)).unwrap();
    let status = p.anchor_status().unwrap();
    assert_eq!(status.start, StartKind::Raised, "{status:?}");
    for (source, target) in [(2, 3), (3, 4), (1, 4), (2, 4)] {
        let refused = attest(&rt, &p, &key, source, target, 9);
        assert_eq!(refused, None, "{source} → {target} after the rollback");
    }
    drop(p);
    let p = open_anchored(&data, 12, tpm2(&swtpm)).unwrap();
    let later = attest(&rt, &p, &key, 11, 12, 9);
    assert!(later.is_some(), "signing resumes past the floor");
    released.extend(later);
    assert_no_slashable_pair(&released);
}

/// The second attack: two copies of one data directory on one TPM. The second to
/// start raises its watermarks past everything reserved and supersedes the first, which
/// reserves nothing more: at most one of them signs for any epoch.
#[test]
fn two_copies_on_one_tpm_never_sign_one_epoch_twice() {
    let dir = tempfile::tempdir().unwrap();
    let swtpm = Swtpm::start(&dir.path().join("tpm")).unwrap();
    let (a_dir, b_dir) = (dir.path().join("a"), dir.path().join("b"));
    let rt = runtime();
    let p = open_anchored(&a_dir, 2, tpm2(&swtpm)).unwrap();
    let key = new_key(&rt, &p);
    drop(p);
    copy_dir(&a_dir, &b_dir);

    let a = open_anchored(&a_dir, 10, tpm2(&swtpm)).unwrap();
    let mut released = Vec::new();
    let mut signed_by = std::collections::BTreeMap::<u64, Vec<char>>::new();
    for target in 2..=5 {
        released.extend(attest(&rt, &a, &key, target - 1, target, 1));
        signed_by.entry(target).or_default().push('a');
    }
    assert_eq!(released.len(), 4);
    let b = open_anchored(&b_dir, 10, tpm2(&swtpm)).unwrap();
    assert_eq!(b.anchor_status().unwrap().start, StartKind::Raised);
    for target in 6..=10 {
        for (name, p, root) in [('a', &a, 1), ('b', &b, 2)] {
            if let Some(r) = attest(&rt, p, &key, target - 1, target, root) {
                released.push(r);
                signed_by.entry(target).or_default().push(name);
            }
        }
    }
    assert_no_slashable_pair(&released);
    assert!(
        signed_by.values().all(|who| who.len() == 1),
        "{signed_by:?}"
    );
    assert!(signed_by.values().any(|who| who == &['b']), "{signed_by:?}");
    assert!(a.anchor_status().unwrap().superseded);
}

/// The third attack: P killed at every step of the anchor's protocol (before, during
/// and after each TPM write, so before or after each local commit that depends on it), on a
/// real TPM. The next start always succeeds, and nothing signed before the kill pairs with
/// anything signed after.
#[test]
fn a_kill_at_every_step_loses_nothing_and_bricks_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let swtpm = Swtpm::start(&dir.path().join("tpm")).unwrap();
    let counters = Arc::new(Tpm2Counters::new(
        &swtpm.tcti(),
        DEFAULT_NV_INDEX,
        DEFAULT_NV_INDEX + 1,
        Some(DEFAULT_NV_INDEX + 2),
        zeroize::Zeroizing::new([0x5a; 32]),
    ));
    counters.provision().unwrap();
    let rt = runtime();
    let mut kills = 0;
    for budget in 0..24 {
        // Each run maps the counters afresh, from where they stand, to epoch `EPOCH`.
        let config = AnchorConfig {
            backend: BackendConfig::Tpm2 {
                session_index: DEFAULT_NV_INDEX,
                reserved_index: DEFAULT_NV_INDEX + 1,
                retired_index: Some(DEFAULT_NV_INDEX + 2),
            },
            reserve_epochs: 2,
            origin: Some(Origin {
                reserved: counters.read().unwrap().reserved,
                first_epoch: EPOCH,
                retired: counters.read().unwrap().retired,
            }),
            previous: None,
        };
        let whole = |counters: Arc<dyn AnchorCounters>| AnchorChoice::Counters {
            counters,
            config: config.clone(),
        };
        let data = dir.path().join(format!("p{budget}"));
        let mut released = Vec::new();
        let p = open_anchored(&data, 2, whole(counters.clone())).unwrap();
        let key = new_key(&rt, &p);
        released.extend(attest(&rt, &p, &key, 1, 2, 1));
        assert_eq!(released.len(), 1);
        drop(p);
        // Started, signing through several reservations, and stopped: killed at step `budget`.
        let limited = Arc::new(FailAfter::new(counters.clone(), budget));
        match open_anchored(&data, 8, whole(limited.clone())) {
            Ok(p) => {
                for target in 3..=8 {
                    released.extend(attest(&rt, &p, &key, target - 1, target, 2));
                }
                drop(p);
            }
            Err(StartError::Anchor(_)) => {}
            Err(e) => panic!("budget {budget}: {e}"),
        }
        if limited.spent() {
            kills += 1;
        }
        let p = open_anchored(&data, 8, whole(counters.clone()))
            .unwrap_or_else(|e| panic!("budget {budget}: the key is bricked: {e}"));
        for (source, target) in [(2, 3), (5, 6), (6, 7), (7, 8)] {
            released.extend(attest(&rt, &p, &key, source, target, 3));
        }
        drop(p);
        let p = open_anchored(&data, 20, whole(counters.clone())).unwrap();
        let resumed = attest(&rt, &p, &key, 19, 20, 4);
        assert!(resumed.is_some(), "budget {budget}: signing resumes");
        released.extend(resumed);
        assert_no_slashable_pair(&released);
    }
    assert!(kills >= 12, "only {kills} budgets fell inside the protocol");
}

/// A host that edits the anchor's file (here: to reserve fewer epochs per step, which would
/// shift the epoch mapping) is refused at start: the file's MAC is keyed by P's sealed secret.
#[test]
fn an_edited_anchor_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let swtpm = Swtpm::start(&dir.path().join("tpm")).unwrap();
    let data = dir.path().join("p");
    drop(open_anchored(&data, 2, tpm2(&swtpm)).unwrap());
    let path = data.join(lsv_enclave::anchor::ANCHOR_FILE);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("\"reserve_epochs\": 2"), "{text}");
    std::fs::write(
        &path,
        text.replace("\"reserve_epochs\": 2", "\"reserve_epochs\": 1"),
    )
    .unwrap();
    let err = open_anchored(&data, 2, tpm2(&swtpm)).err().unwrap();
    assert!(err.to_string().contains("MAC does not verify"), "{err}");
    // Deleting the file instead leaves a record bound to an anchor that is gone: refused too.
    std::fs::remove_file(&path).unwrap();
    let err = open_anchored(&data, 2, tpm2(&swtpm)).err().unwrap();
    assert!(err.to_string().contains("anchor.json is missing"), "{err}");
    let err = open_anchored(&data, 2, AnchorChoice::None).err().unwrap();
    assert!(err.to_string().contains("--anchor none"), "{err}");
}

fn tpm2_tool(swtpm: &Swtpm, args: &[&str]) -> std::process::Output {
    std::process::Command::new(args[0])
        .args(&args[1..])
        .env("TPM2TOOLS_TCTI", swtpm.tcti())
        .output()
        .unwrap_or_else(|e| panic!("{}: {e} (Debian: apt install tpm2-tools)", args[0]))
}

/// The host holds the TPM's owner hierarchy, so it can use tpm2-tools on P's counters: it
/// cannot move them (they answer only to P's authorization), and if it deletes them and
/// defines them again under its own authorization, with the old values' attributes, P's
/// next read fails its HMAC check: P refuses to start rather than trust them.
#[test]
fn a_host_with_tpm2_tools_cannot_move_or_replace_the_counters() {
    let dir = tempfile::tempdir().unwrap();
    let Signed { swtpm, data, .. } = signed_once(dir.path());
    let index = format!("{:#x}", DEFAULT_NV_INDEX + 1);
    let increment = tpm2_tool(&swtpm, &["tpm2_nvincrement", &index]);
    assert!(!increment.status.success(), "the host moved P's counter");
    let increment = tpm2_tool(&swtpm, &["tpm2_nvincrement", "-C", "o", &index]);
    assert!(!increment.status.success(), "the owner moved P's counter");

    for index in [DEFAULT_NV_INDEX, DEFAULT_NV_INDEX + 1] {
        let index = format!("{index:#x}");
        let undefine = tpm2_tool(&swtpm, &["tpm2_nvundefine", &index]);
        assert!(undefine.status.success(), "{undefine:?}");
        let define = tpm2_tool(
            &swtpm,
            &[
                "tpm2_nvdefine",
                &index,
                "-C",
                "o",
                "-s",
                "8",
                "-a",
                "nt=counter|authwrite|authread|no_da",
                "-p",
                "the-host's",
            ],
        );
        assert!(define.status.success(), "{define:?}");
    }
    match open_anchored(&data, 2, tpm2(&swtpm)) {
        Err(StartError::Anchor(AnchorError::Backend { message, .. })) => {
            assert!(message.contains("reading the counter"), "{message}")
        }
        Err(e) => panic!("refused, but for another reason: {e}"),
        Ok(_) => panic!("P trusted counters the host defined"),
    }
}

/// A signature waits for the TPM only when a request jumps past the reserved run; in the run's
/// last epoch the next step is reserved in the background. An anchor that cannot be reached
/// refuses the epochs it has not reserved (503 at the API) and signs nothing.
#[test]
fn an_unreachable_tpm_stops_signing_at_the_end_of_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let swtpm = Swtpm::start(&dir.path().join("tpm")).unwrap();
    let data = dir.path().join("p");
    let rt = runtime();
    let clock = EpochClock::at(11);
    let anchor = AnchorChoice::Tpm2 {
        tcti: swtpm.tcti(),
        nv_index: DEFAULT_NV_INDEX,
        reserve_epochs: 4,
    };
    let p = open_anchored_with(&data, clock.clone(), anchor).unwrap();
    let key = new_key(&rt, &p);
    assert!(attest(&rt, &p, &key, 10, 11, 1).is_some());
    assert_eq!(p.anchor_status().unwrap().window_end.as_u64(), EPOCH + 15);
    drop(swtpm);
    // Inside the run, P signs without the TPM; in its last epoch it tries to reserve ahead.
    for target in [13, 14] {
        clock.set(target);
        assert!(
            attest(&rt, &p, &key, target - 1, target, 1).is_some(),
            "{target}"
        );
    }
    clock.set(15);
    let data = attestation_data(14, 15, 1);
    match rt.block_on(p.sign(&key, &attestation(data))) {
        Err(SignError::Anchor(AnchorError::Backend { .. })) => {}
        other => panic!("{other:?}"),
    }
}

/// A host between P and its TPM (here a proxy on the TPM's socket) that answers reads of P's
/// counters with a lower value (rewinding the anchor in P's eyes) is caught: the answer no
/// longer carries the TPM's HMAC over P's nonce, ESAPI refuses it, and P refuses to start.
#[test]
fn a_host_that_rewrites_the_tpm_s_answers_is_caught() {
    let dir = tempfile::tempdir().unwrap();
    let Signed { swtpm, data, .. } = signed_once(dir.path());
    // Through the honest proxy, P starts (the proxy itself changes nothing).
    let honest = RewritingProxy::start(swtpm.port(), false);
    drop(
        open_anchored(
            &data,
            2,
            AnchorChoice::Tpm2 {
                tcti: honest.tcti(),
                nv_index: DEFAULT_NV_INDEX,
                reserve_epochs: 2,
            },
        )
        .unwrap(),
    );
    let lying = RewritingProxy::start(swtpm.port(), true);
    let result = open_anchored(
        &data,
        2,
        AnchorChoice::Tpm2 {
            tcti: lying.tcti(),
            nv_index: DEFAULT_NV_INDEX,
            reserve_epochs: 2,
        },
    );
    assert!(
        lying.rewrote.load(Ordering::SeqCst) > 0,
        "the proxy saw no counter read"
    );
    match result {
        Err(StartError::Anchor(AnchorError::Backend { message, .. })) => {
            assert!(
                message.contains("reading the counter") && message.contains("HMAC check"),
                "{message}"
            )
        }
        Err(e) => panic!("refused, but for another reason: {e}"),
        Ok(_) => panic!("P believed a rewritten counter"),
    }
}

/// A TCP proxy in front of swtpm's data port (and its control port next to it) that, when
/// `lie` is set, lowers the value in every 8-byte `TPM2_NV_Read` answer.
struct RewritingProxy {
    port: u16,
    rewrote: Arc<AtomicUsize>,
}

impl RewritingProxy {
    fn start(tpm_port: u16, lie: bool) -> Self {
        let (data, ctrl) = loop {
            let data = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let port = data.local_addr().unwrap().port();
            if let Ok(ctrl) = std::net::TcpListener::bind(("127.0.0.1", port + 1)) {
                break (data, ctrl);
            }
        };
        let port = data.local_addr().unwrap().port();
        let rewrote = Arc::new(AtomicUsize::new(0));
        let counter = rewrote.clone();
        std::thread::spawn(move || {
            for client in data.incoming().flatten() {
                let server = std::net::TcpStream::connect(("127.0.0.1", tpm_port)).unwrap();
                let (mut c_in, mut s_out) =
                    (client.try_clone().unwrap(), server.try_clone().unwrap());
                // swtpm serves one connection at a time: close ours when P closes its own.
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut c_in, &mut s_out);
                    let _ = s_out.shutdown(std::net::Shutdown::Both);
                });
                let counter = counter.clone();
                std::thread::spawn(move || answers(server, client, lie, &counter));
            }
        });
        std::thread::spawn(move || {
            for client in ctrl.incoming().flatten() {
                let server = std::net::TcpStream::connect(("127.0.0.1", tpm_port + 1)).unwrap();
                let (mut c_in, mut s_out) =
                    (client.try_clone().unwrap(), server.try_clone().unwrap());
                let (mut s_in, mut c_out) = (server, client);
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut c_in, &mut s_out);
                    let _ = s_out.shutdown(std::net::Shutdown::Both);
                });
                std::thread::spawn(move || std::io::copy(&mut s_in, &mut c_out));
            }
        });
        Self { port, rewrote }
    }

    fn tcti(&self) -> String {
        format!("swtpm:host=127.0.0.1,port={}", self.port)
    }
}

/// Copies the TPM's answers (tag, size, code, then the rest; TPM 2.0 Part 1 §18) to P,
/// rewriting `TPM2_NV_Read`'s: with sessions, a 4-byte parameter size of 10 holding a
/// `TPM2B_MAX_NV_BUFFER` of 8 bytes.
fn answers(
    mut server: std::net::TcpStream,
    mut client: std::net::TcpStream,
    lie: bool,
    rewrote: &AtomicUsize,
) {
    use std::io::{Read, Write};
    loop {
        let mut header = [0u8; 10];
        if server.read_exact(&mut header).is_err() {
            return;
        }
        let size = u32::from_be_bytes(header[2..6].try_into().unwrap()) as usize;
        let mut rest = vec![0u8; size.saturating_sub(10)];
        if server.read_exact(&mut rest).is_err() {
            return;
        }
        let sessions = header[0..2] == [0x80, 0x02];
        let success = header[6..10] == [0; 4];
        if lie && sessions && success && rest.len() >= 14 && rest[0..6] == [0, 0, 0, 10, 0, 8] {
            let value = u64::from_be_bytes(rest[6..14].try_into().unwrap());
            rest[6..14].copy_from_slice(&value.saturating_sub(5).to_be_bytes());
            rewrote.fetch_add(1, Ordering::SeqCst);
        }
        if client
            .write_all(&header)
            .and_then(|_| client.write_all(&rest))
            .is_err()
        {
            return;
        }
    }
}

/// A host that throws the anchor away together with the slashing record (deletes
/// `anchor.json` and the database, and frees the TPM's counters with tpm2-tools), hoping for a
/// P that starts afresh and signs from empty watermarks: the keys name the anchor they were made
/// under, so P refuses to start under a new anchor or under none.
#[test]
fn keys_made_under_an_anchor_refuse_any_other() {
    let dir = tempfile::tempdir().unwrap();
    let Signed { swtpm, data, key } = signed_once(dir.path());
    for file in [
        lsv_enclave::anchor::ANCHOR_FILE,
        "slashing-protection.sqlite",
    ] {
        std::fs::remove_file(data.join(file)).unwrap();
    }
    for index in DEFAULT_NV_INDEX..DEFAULT_NV_INDEX + 3 {
        let undefine = tpm2_tool(&swtpm, &["tpm2_nvundefine", &format!("{index:#x}")]);
        assert!(undefine.status.success(), "{undefine:?}");
    }
    for anchor in [AnchorChoice::None, tpm2(&swtpm)] {
        match open_anchored(&data, 2, anchor) {
            Err(StartError::Anchor(AnchorError::KeyOfAnotherAnchor { pubkey, .. })) => {
                assert_eq!(pubkey, key)
            }
            Err(e) => panic!("refused, but for another reason: {e}"),
            Ok(_) => panic!("P started afresh on keys of a discarded anchor"),
        }
    }
}
