//! The beacon-API client against a test node that serves real SSZ as the API does: each
//! endpoint's answer, and each way a node's answer can be wrong giving its own error.

#![allow(unused_crate_dependencies)]

mod common;

use common::{Faults, TestChain, TestNode, ANCHOR_SLOT, BR_SLOT, CHILD_SLOT};
use lsv_consensus::{ForkName, Slot};
use lsv_keeper::beacon::{BeaconError, ClientConfig, Limits};
use lsv_keeper::{BeaconClient, BlockId, StateId};
use std::time::Duration;
use tree_hash::TreeHash;

#[tokio::test]
async fn genesis_headers_blocks_and_states_are_read() {
    let chain = TestChain::electra();
    let node = TestNode::start(chain.clone()).await;
    let client = node.client();

    let g = client.genesis().await.unwrap();
    assert_eq!(g.genesis_time, chain.genesis_time);
    assert_eq!(g.genesis_validators_root, chain.genesis_validators_root);

    let anchor = chain.block(ANCHOR_SLOT);
    for id in [
        BlockId::Finalized,
        BlockId::Slot(Slot::new(ANCHOR_SLOT)),
        BlockId::Root(anchor.root),
    ] {
        let h = client.header(id).await.unwrap();
        assert_eq!(h.root, anchor.root);
        assert_eq!(h.header, anchor.block.message.header());
        assert!(h.canonical);
        assert_eq!(h.execution_optimistic, Some(false));

        let b = client.block(id).await.unwrap();
        assert_eq!(b.fork, ForkName::Electra);
        assert_eq!(b.root, anchor.root);
        assert_eq!(b.block, anchor.block);
    }
    let orphan = client
        .header(BlockId::Root(chain.orphan_root))
        .await
        .unwrap();
    assert!(!orphan.canonical);

    let ssz = client
        .state_ssz(StateId::Root(chain.anchor_state_root))
        .await
        .unwrap();
    assert_eq!(ssz.fork, ForkName::Electra);
    assert_eq!(ssz.bytes, chain.states[&chain.anchor_state_root].1);
    // What was asked for, and nothing else.
    assert_eq!(
        node.requests().last().unwrap(),
        &format!("/eth/v2/debug/beacon/states/{}", chain.anchor_state_root)
    );
}

#[tokio::test]
async fn a_missed_slot_and_an_unknown_root_are_not_found() {
    let chain = TestChain::electra();
    let node = TestNode::start(chain.clone()).await;
    let client = node.client();
    let missed = Slot::new(ANCHOR_SLOT + 1);
    for e in [
        client.header(BlockId::Slot(missed)).await.unwrap_err(),
        client.block(BlockId::Slot(missed)).await.unwrap_err(),
    ] {
        match &e {
            BeaconError::MissedSlot { slot, message, .. } => {
                assert_eq!(*slot, missed);
                assert_eq!(
                    message.as_deref(),
                    Some(format!("NOT_FOUND: beacon block {missed}").as_str())
                );
            }
            other => panic!("{other:?}"),
        }
        assert!(e.is_not_found());
    }
    let unknown = alloy_primitives::B256::repeat_byte(0x77);
    let e = client.header(BlockId::Root(unknown)).await.unwrap_err();
    assert!(
        matches!(&e, BeaconError::NotFound { message: Some(m), .. } if m.contains("NOT_FOUND")),
        "{e:?}"
    );
    // A state at an empty slot is not a missed block: plain not found.
    let e = client.state_ssz(StateId::Slot(missed)).await.unwrap_err();
    assert!(matches!(e, BeaconError::NotFound { .. }), "{e:?}");
}

#[tokio::test]
async fn an_error_status_carries_the_nodes_message() {
    let faults = Faults {
        state_error: Some((503, "node is syncing".into())),
        ..Faults::default()
    };
    let node = TestNode::start_with(TestChain::electra(), faults).await;
    let e = node
        .client()
        .state_ssz(StateId::Finalized)
        .await
        .unwrap_err();
    match &e {
        BeaconError::Status {
            status, message, ..
        } => {
            assert_eq!(*status, 503);
            assert_eq!(message.as_deref(), Some("node is syncing"));
        }
        other => panic!("{other:?}"),
    }
    assert!(e.to_string().contains("HTTP 503: node is syncing"), "{e}");
}

#[tokio::test]
async fn json_where_ssz_was_asked_for_is_refused() {
    let faults = Faults {
        ignore_accept: true,
        ..Faults::default()
    };
    let node = TestNode::start_with(TestChain::electra(), faults).await;
    let client = node.client();
    for e in [
        client.block(BlockId::Finalized).await.unwrap_err(),
        client.state_ssz(StateId::Finalized).await.unwrap_err(),
    ] {
        match e {
            BeaconError::UnexpectedContentType { expected, got, .. } => {
                assert_eq!(expected, "application/octet-stream");
                assert_eq!(got.as_deref(), Some("application/json"));
            }
            other => panic!("{other:?}"),
        }
    }
}

#[tokio::test]
async fn fork_headers_unknown_missing_or_unsupported_are_refused() {
    let chain = TestChain::electra();
    let with = |faults| TestNode::start_with(chain.clone(), faults);

    let node = with(Faults {
        // A fork this build does not know (Gloas is known: its states are refused later, by
        // the proofs, as a fork they cannot read).
        fork_header: Some("heze".into()),
        ..Faults::default()
    })
    .await;
    for e in [
        node.client().block(BlockId::Finalized).await.unwrap_err(),
        node.client()
            .state_ssz(StateId::Finalized)
            .await
            .unwrap_err(),
    ] {
        assert!(
            matches!(&e, BeaconError::UnknownFork { fork, .. } if fork == "heze"),
            "{e:?}"
        );
    }

    let node = with(Faults {
        no_fork_header: true,
        ..Faults::default()
    })
    .await;
    let e = node.client().block(BlockId::Finalized).await.unwrap_err();
    assert!(
        matches!(e, BeaconError::MissingConsensusVersion { .. }),
        "{e:?}"
    );

    // A known fork whose block layout is not Electra's is not misread.
    let node = with(Faults {
        fork_header: Some("deneb".into()),
        ..Faults::default()
    })
    .await;
    let e = node.client().block(BlockId::Finalized).await.unwrap_err();
    assert!(
        matches!(
            e,
            BeaconError::UnsupportedFork {
                fork: ForkName::Deneb,
                ..
            }
        ),
        "{e:?}"
    );
}

#[tokio::test]
async fn bad_ssz_is_a_decode_error() {
    let faults = Faults {
        truncate_ssz: true,
        ..Faults::default()
    };
    let node = TestNode::start_with(TestChain::electra(), faults).await;
    let e = node
        .client()
        .block(BlockId::Slot(Slot::new(BR_SLOT)))
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            BeaconError::Decode {
                what: "SSZ SignedBeaconBlock",
                ..
            }
        ),
        "{e:?}"
    );
}

#[tokio::test]
async fn bodies_over_the_limit_are_refused() {
    let chain = TestChain::electra();
    let node = TestNode::start(chain.clone()).await;
    let state_len = chain.states[&chain.anchor_state_root].1.len();
    let limits = Limits {
        state: state_len - 1,
        ..Limits::default()
    };
    let config = ClientConfig {
        limits,
        ..ClientConfig::default()
    };
    let client = BeaconClient::with_config(&node.url, config).unwrap();
    let e = client.state_ssz(StateId::Finalized).await.unwrap_err();
    assert!(
        matches!(e, BeaconError::BodyTooLarge { limit, .. } if limit == state_len - 1),
        "{e:?}"
    );
    // Exactly at the limit is fine.
    let limits = Limits {
        state: state_len,
        json: 200,
        ..Limits::default()
    };
    let client = BeaconClient::with_config(
        &node.url,
        ClientConfig {
            limits,
            ..ClientConfig::default()
        },
    )
    .unwrap();
    assert_eq!(
        client
            .state_ssz(StateId::Finalized)
            .await
            .unwrap()
            .bytes
            .len(),
        state_len
    );
    // The JSON limit applies to headers.
    let e = client.header(BlockId::Finalized).await.unwrap_err();
    assert!(matches!(e, BeaconError::BodyTooLarge { .. }), "{e:?}");
}

/// A one-connection HTTP/1.1 server (a plain thread) that answers any request with `head` and
/// then `chunks` in chunked transfer encoding (no `Content-Length`), or never answers if `head`
/// is `None`.
fn raw_server(head: Option<&'static str>, chunks: Vec<Vec<u8>>) -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let (mut socket, _) = listener.accept().unwrap();
        let mut buf = vec![0u8; 4096];
        let _ = socket.read(&mut buf);
        let Some(head) = head else {
            std::thread::sleep(Duration::from_secs(30));
            return;
        };
        let _ = socket.write_all(head.as_bytes());
        for c in chunks {
            let frame = [
                format!("{:x}\r\n", c.len()).into_bytes(),
                c,
                b"\r\n".to_vec(),
            ]
            .concat();
            if socket.write_all(&frame).is_err() {
                return;
            }
        }
        let _ = socket.write_all(b"0\r\n\r\n");
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn a_streamed_body_is_cut_at_the_limit() {
    let head = "HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\n\
                eth-consensus-version: electra\r\ntransfer-encoding: chunked\r\n\r\n";
    let chunks = vec![vec![7u8; 4000]; 10];
    let url = raw_server(Some(head), chunks.clone());
    let config = ClientConfig {
        limits: Limits {
            state: 10_000,
            ..Limits::default()
        },
        ..ClientConfig::default()
    };
    let client = BeaconClient::with_config(&url, config).unwrap();
    let e = client.state_ssz(StateId::Head).await.unwrap_err();
    assert!(
        matches!(e, BeaconError::BodyTooLarge { limit: 10_000, .. }),
        "{e:?}"
    );
    // Under the limit, the chunks are joined.
    let url = raw_server(Some(head), chunks);
    let ssz = BeaconClient::new(&url)
        .unwrap()
        .state_ssz(StateId::Head)
        .await
        .unwrap();
    assert_eq!(ssz.bytes, vec![7u8; 40_000]);
    assert_eq!(ssz.fork, ForkName::Electra);
}

#[tokio::test]
async fn a_node_that_does_not_answer_times_out() {
    let url = raw_server(None, vec![]);
    let config = ClientConfig {
        timeout: Duration::from_millis(300),
        ..ClientConfig::default()
    };
    let e = BeaconClient::with_config(&url, config)
        .unwrap()
        .genesis()
        .await
        .unwrap_err();
    assert!(matches!(e, BeaconError::Timeout { .. }), "{e:?}");
}

#[tokio::test]
async fn a_refused_connection_is_a_transport_error() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let e = BeaconClient::new(&format!("http://127.0.0.1:{port}"))
        .unwrap()
        .genesis()
        .await
        .unwrap_err();
    assert!(matches!(e, BeaconError::Transport { .. }), "{e:?}");
}

#[tokio::test]
async fn a_block_by_root_hashes_to_that_root() {
    let chain = TestChain::electra();
    let node = TestNode::start(chain.clone()).await;
    let child = chain.block(CHILD_SLOT);
    let b = node
        .client()
        .block(BlockId::Root(child.root))
        .await
        .unwrap();
    assert_eq!(b.block.message.tree_hash_root(), child.root);
    assert_eq!(b.block.message.parent_root, chain.anchor_root);
}
