//! Which domain each request type is signed under, on the real mainnet and Hoodi schedules, and
//! how `fork_info` and `signingRoot` are checked against the pinned network. Expected roots are
//! built here from `compute_domain`/`compute_signing_root` with the version the spec names, so
//! these tests pin the choice of type, epoch and version, not the hashing (the vector tests pin
//! that).

#![allow(unused_crate_dependencies)]

use lsv_consensus::containers::{AttestationData, Checkpoint, Fork, VoluntaryExit};
use lsv_consensus::network::{compute_domain, compute_signing_root, domain, Network};
use lsv_consensus::{Epoch, RequestError, SignRequest, SlashingSubject, Slot, Version, B256};
use serde_json::{json, Value};
use tree_hash::TreeHash;

const ROOT: &str = "0xb2eedb01adbd02c828d5eec09b4c70cbba12ffffba525ebf48aca33028e8ad89";
const SIG: &str = "0xa627242e4a5853708f4ebf923960fb8192f93f2233cd347e05239d86dd9fb66b721ceec1baeae6647f498c9126074f1101a87854d674b6eebc220fd8c3d8405bdfd8e286b707975d9e00a56ec6cbbf762f23607d490f0bbb16c3e0e483d51875";

// Mainnet fork epochs (configs/mainnet.yaml).
const DENEB: u64 = 269_568;
const ELECTRA: u64 = 364_032;
const FULU: u64 = 411_392;

fn fork_json(fork: Fork) -> Value {
    json!({
        "previous_version": fork.previous_version,
        "current_version": fork.current_version,
        "epoch": fork.epoch,
    })
}

/// `fork_info` as a beacon node on `network` would give it at `epoch`.
fn fork_info_at(network: &Network, epoch: u64) -> Value {
    json!({
        "fork": fork_json(network.fork_object_at(Epoch(epoch))),
        "genesis_validators_root": network.genesis_validators_root,
    })
}

fn request(body: Value) -> SignRequest {
    SignRequest::from_json(body.to_string().as_bytes()).unwrap()
}

fn attestation_data(target: u64) -> AttestationData {
    AttestationData {
        slot: Slot(target * 32 + 3),
        index: 0,
        beacon_block_root: ROOT.parse().unwrap(),
        source: Checkpoint {
            epoch: Epoch(target - 1),
            root: ROOT.parse().unwrap(),
        },
        target: Checkpoint {
            epoch: Epoch(target),
            root: ROOT.parse().unwrap(),
        },
    }
}

fn attestation(fork_info: Value, target: u64) -> Value {
    json!({"type": "ATTESTATION", "fork_info": fork_info, "attestation": attestation_data(target)})
}

fn exit(fork_info: Value, epoch: u64) -> Value {
    json!({"type": "VOLUNTARY_EXIT", "fork_info": fork_info,
        "voluntary_exit": {"epoch": epoch.to_string(), "validator_index": "42"}})
}

fn exit_root(network: &Network, epoch: u64, version: [u8; 4]) -> B256 {
    let exit = VoluntaryExit {
        epoch: Epoch(epoch),
        validator_index: 42,
    };
    let d = compute_domain(
        domain::VOLUNTARY_EXIT,
        Version(version),
        network.genesis_validators_root,
    );
    compute_signing_root(exit.tree_hash_root(), d)
}

fn wrong_fork_info(result: Result<B256, RequestError>) -> String {
    match result {
        Err(RequestError::WrongForkInfo(msg)) => msg,
        other => panic!("expected WrongForkInfo, got {other:?}"),
    }
}

#[test]
fn an_attestation_is_signed_with_the_version_in_force_at_its_target_epoch() {
    let mainnet = Network::mainnet();
    for (target, version) in [(370_000, [5, 0, 0, 0]), (FULU + 10, [6, 0, 0, 0])] {
        let root = request(attestation(fork_info_at(&mainnet, target), target))
            .signing_root(&mainnet)
            .unwrap();
        let d = compute_domain(
            domain::BEACON_ATTESTER,
            Version(version),
            mainnet.genesis_validators_root,
        );
        assert_eq!(
            root,
            compute_signing_root(attestation_data(target).tree_hash_root(), d)
        );
    }
}

#[test]
fn fork_previous_version_covers_epochs_before_the_fork() {
    // get_domain: previous_version when epoch < fork.epoch. The Electra fork object, asked about
    // the last Deneb epoch, gives Deneb's version, which is the pinned one there.
    let mainnet = Network::mainnet();
    let target = ELECTRA - 1;
    let root = request(attestation(fork_info_at(&mainnet, ELECTRA), target))
        .signing_root(&mainnet)
        .unwrap();
    let d = compute_domain(
        domain::BEACON_ATTESTER,
        Version([4, 0, 0, 0]),
        mainnet.genesis_validators_root,
    );
    assert_eq!(
        root,
        compute_signing_root(attestation_data(target).tree_hash_root(), d)
    );
}

#[test]
fn a_stale_or_foreign_fork_is_refused() {
    let mainnet = Network::mainnet();
    // A caller still on Deneb for an Electra epoch.
    let msg = wrong_fork_info(
        request(attestation(fork_info_at(&mainnet, DENEB), 370_000)).signing_root(&mainnet),
    );
    assert!(
        msg.contains("ELECTRA") && msg.contains("0x05000000"),
        "{msg}"
    );
    // Hoodi's versions with mainnet's genesis validators root.
    let mut fork_info = fork_info_at(&Network::hoodi(), 370_000);
    fork_info["genesis_validators_root"] = json!(mainnet.genesis_validators_root);
    wrong_fork_info(request(attestation(fork_info, 370_000)).signing_root(&mainnet));
    // A fork epoch that makes get_domain pick the wrong one of two right versions.
    let mut fork_info = fork_info_at(&mainnet, 370_000);
    fork_info["fork"]["epoch"] = json!("380000");
    wrong_fork_info(request(attestation(fork_info, 370_000)).signing_root(&mainnet));
}

#[test]
fn another_chains_genesis_validators_root_is_refused() {
    let mainnet = Network::mainnet();
    let hoodi = Network::hoodi();
    let msg = wrong_fork_info(
        request(attestation(fork_info_at(&hoodi, 370_000), 370_000)).signing_root(&mainnet),
    );
    assert!(msg.contains("genesis_validators_root"), "{msg}");
    // Also for exits, whose domain ignores the fork versions.
    wrong_fork_info(request(exit(fork_info_at(&hoodi, 400_000), 400_000)).signing_root(&mainnet));
}

#[test]
fn fork_info_is_required_except_for_deposits_and_registrations() {
    let mainnet = Network::mainnet();
    let pubkey = format!("0x{}", "aa".repeat(48));
    let cases = [
        (
            json!({"type": "AGGREGATION_SLOT", "aggregation_slot": {"slot": "1"}}),
            Some("AGGREGATION_SLOT"),
        ),
        (
            json!({"type": "RANDAO_REVEAL", "randao_reveal": {"epoch": "1"}}),
            Some("RANDAO_REVEAL"),
        ),
        (
            json!({"type": "ATTESTATION", "attestation": attestation_data(5)}),
            Some("ATTESTATION"),
        ),
        (exit(Value::Null, 1), Some("VOLUNTARY_EXIT")),
        (
            json!({"type": "SYNC_COMMITTEE_MESSAGE", "sync_committee_message": {"slot": "1", "beacon_block_root": ROOT}}),
            Some("SYNC_COMMITTEE_MESSAGE"),
        ),
        (
            json!({"type": "SYNC_COMMITTEE_SELECTION_PROOF", "sync_aggregator_selection_data": {"slot": "1", "subcommittee_index": "0"}}),
            Some("SYNC_COMMITTEE_SELECTION_PROOF"),
        ),
        (
            json!({"type": "BLOCK_V2", "beacon_block": {"version": "DENEB", "block_header": {"slot": "1",
            "proposer_index": "1", "parent_root": ROOT, "state_root": ROOT, "body_root": ROOT}}}),
            Some("BLOCK_V2"),
        ),
        (
            json!({"type": "VALIDATOR_REGISTRATION", "validator_registration": {"fee_recipient":
            "0x6fdfab408c56b6105a76eff5c0435d09fc6ed7a9", "gas_limit": "30000000", "timestamp": "1", "pubkey": pubkey}}),
            None,
        ),
        (
            json!({"type": "DEPOSIT", "deposit": {"pubkey": pubkey, "withdrawal_credentials": ROOT,
            "amount": "32000000000", "genesis_fork_version": "0x00000000"}}),
            None,
        ),
    ];
    for (body, needs) in cases {
        let result = request(body).signing_root(&mainnet);
        match needs {
            Some(name) => assert_eq!(result, Err(RequestError::MissingForkInfo(name))),
            None => assert!(result.is_ok(), "{result:?}"),
        }
    }
}

#[test]
fn a_wrong_signing_root_is_refused_and_the_right_one_accepted() {
    let mainnet = Network::mainnet();
    let mut body = attestation(fork_info_at(&mainnet, 370_000), 370_000);
    let computed = request(body.clone()).signing_root(&mainnet).unwrap();
    body["signingRoot"] = json!(ROOT);
    assert_eq!(
        request(body.clone()).signing_root(&mainnet),
        Err(RequestError::SigningRootMismatch {
            sent: ROOT.parse().unwrap(),
            computed
        })
    );
    body["signingRoot"] = json!(computed);
    assert_eq!(request(body).signing_root(&mainnet), Ok(computed));
}

#[test]
fn exits_from_deneb_on_are_signed_with_the_capella_version() {
    // EIP-7044 (deneb beacon-chain.md process_voluntary_exit).
    let mainnet = Network::mainnet();
    for epoch in [DENEB, ELECTRA + 5, FULU + 100] {
        let root = request(exit(fork_info_at(&mainnet, epoch), epoch)).signing_root(&mainnet);
        assert_eq!(
            root,
            Ok(exit_root(&mainnet, epoch, [3, 0, 0, 0])),
            "epoch {epoch}"
        );
    }
    // The caller's fork versions play no part: a Fulu-era exit sent with today's fork_info, or
    // with a fork_info that would name another version, gets the same Capella-domain root.
    let epoch = ELECTRA + 5;
    let expected = exit_root(&mainnet, epoch, [3, 0, 0, 0]);
    for fork_at in [FULU + 1000, DENEB] {
        let root = request(exit(fork_info_at(&mainnet, fork_at), epoch)).signing_root(&mainnet);
        assert_eq!(root, Ok(expected));
    }
    // Hoodi starts at Deneb: every exit uses its Capella version.
    let hoodi = Network::hoodi();
    let root = request(exit(fork_info_at(&hoodi, 0), 0)).signing_root(&hoodi);
    assert_eq!(root, Ok(exit_root(&hoodi, 0, [0x40, 0x00, 0x09, 0x10])));
}

#[test]
fn exits_before_deneb_use_get_domain() {
    let mainnet = Network::mainnet();
    // A Bellatrix-era exit with the fork_info of its time: Bellatrix's version.
    let root = request(exit(fork_info_at(&mainnet, 150_000), 150_000)).signing_root(&mainnet);
    assert_eq!(root, Ok(exit_root(&mainnet, 150_000, [2, 0, 0, 0])));
    // The last Capella epoch, asked of the Deneb fork object: previous_version = Capella.
    let root = request(exit(fork_info_at(&mainnet, DENEB), DENEB - 1)).signing_root(&mainnet);
    assert_eq!(root, Ok(exit_root(&mainnet, DENEB - 1, [3, 0, 0, 0])));
}

#[test]
fn an_old_exit_on_a_post_deneb_chain_uses_the_capella_version() {
    // EIP-7044: today's chain verifies every exit with Capella's version, even one whose epoch
    // is long before Deneb (clients commonly sign exits for epoch 0 or an old epoch).
    let mainnet = Network::mainnet();
    for epoch in [0, 150_000] {
        let root = request(exit(fork_info_at(&mainnet, FULU + 1), epoch)).signing_root(&mainnet);
        assert_eq!(
            root,
            Ok(exit_root(&mainnet, epoch, [3, 0, 0, 0])),
            "epoch {epoch}"
        );
    }
}

#[test]
fn a_block_is_signed_under_the_version_of_its_slots_epoch() {
    let mainnet = Network::mainnet();
    let fork_info = fork_info_at(&mainnet, FULU);
    for (slot, version, name, other) in [
        (FULU * 32 - 1, [5, 0, 0, 0], "ELECTRA", "FULU"),
        (FULU * 32, [6, 0, 0, 0], "FULU", "ELECTRA"),
    ] {
        let header = json!({"slot": slot.to_string(), "proposer_index": "9", "parent_root": ROOT,
            "state_root": ROOT, "body_root": ROOT});
        let block = |version: &str| {
            request(json!({"type": "BLOCK_V2", "fork_info": fork_info,
                "beacon_block": {"version": version, "block_header": header}}))
        };
        // The block's `version` must be the fork of its slot: the other one is refused.
        match block(other).signing_root(&mainnet) {
            Err(RequestError::WrongFork(msg)) => assert!(
                msg.contains(&format!("a {other} block"))
                    && msg.contains(&format!("slot {slot}"))
                    && msg.contains(&format!("at {name} there")),
                "{msg}"
            ),
            wrong => panic!("{wrong:?}"),
        }
        let req = block(name);
        let header: lsv_consensus::containers::BeaconBlockHeader =
            serde_json::from_value(header).unwrap();
        let d = compute_domain(
            domain::BEACON_PROPOSER,
            Version(version),
            mainnet.genesis_validators_root,
        );
        assert_eq!(
            req.signing_root(&mainnet),
            Ok(compute_signing_root(header.tree_hash_root(), d))
        );
        assert_eq!(
            req.message.slashing_subject(),
            SlashingSubject::Block { slot: Slot(slot) }
        );
        assert_eq!(req.message.claimed_slot(32), Some(Slot(slot)));
    }
}

#[test]
fn each_duty_uses_its_own_domain_type_and_object() {
    let mainnet = Network::mainnet();
    let epoch = 370_000u64;
    let slot = epoch * 32 + 7;
    let fork_info = fork_info_at(&mainnet, epoch);
    let electra = |dt| compute_domain(dt, Version([5, 0, 0, 0]), mainnet.genesis_validators_root);
    let root: B256 = ROOT.parse().unwrap();
    let contribution = json!({"aggregator_index": "11", "selection_proof": SIG, "contribution": {
        "slot": slot.to_string(), "beacon_block_root": ROOT, "subcommittee_index": "1",
        "aggregation_bits": format!("0x{}", "24".repeat(16)), "signature": SIG}});
    let contribution_root = serde_json::from_value::<
        lsv_consensus::containers::altair::ContributionAndProof,
    >(contribution.clone())
    .unwrap()
    .tree_hash_root();
    let cases = [
        (
            json!({"type": "RANDAO_REVEAL", "randao_reveal": {"epoch": epoch.to_string()}}),
            compute_signing_root(Epoch(epoch).tree_hash_root(), electra(domain::RANDAO)),
            Slot(epoch * 32),
        ),
        (
            json!({"type": "AGGREGATION_SLOT", "aggregation_slot": {"slot": slot.to_string()}}),
            compute_signing_root(
                Slot(slot).tree_hash_root(),
                electra(domain::SELECTION_PROOF),
            ),
            Slot(slot),
        ),
        (
            json!({"type": "SYNC_COMMITTEE_MESSAGE", "sync_committee_message": {
                "slot": slot.to_string(), "beacon_block_root": ROOT}}),
            // The object is the block root itself (altair validator.md).
            compute_signing_root(root, electra(domain::SYNC_COMMITTEE)),
            Slot(slot),
        ),
        (
            json!({"type": "SYNC_COMMITTEE_SELECTION_PROOF", "sync_aggregator_selection_data": {
                "slot": slot.to_string(), "subcommittee_index": "2"}}),
            compute_signing_root(
                lsv_consensus::containers::altair::SyncAggregatorSelectionData {
                    slot: Slot(slot),
                    subcommittee_index: 2,
                }
                .tree_hash_root(),
                electra(domain::SYNC_COMMITTEE_SELECTION_PROOF),
            ),
            Slot(slot),
        ),
        (
            json!({"type": "SYNC_COMMITTEE_CONTRIBUTION_AND_PROOF",
                "contribution_and_proof": contribution}),
            compute_signing_root(contribution_root, electra(domain::CONTRIBUTION_AND_PROOF)),
            Slot(slot),
        ),
    ];
    for (mut body, expected, claimed) in cases {
        body["fork_info"] = fork_info.clone();
        let req = request(body);
        assert_eq!(
            req.signing_root(&mainnet),
            Ok(expected),
            "{}",
            req.message.type_name()
        );
        assert_eq!(req.message.slashing_subject(), SlashingSubject::None);
        assert_eq!(req.message.claimed_slot(32), Some(claimed));
    }
}

#[test]
fn an_aggregate_is_signed_at_its_attestation_slot() {
    let mainnet = Network::mainnet();
    let data = attestation_data(370_000);
    let aggregate = json!({"aggregator_index": "1", "selection_proof": SIG, "aggregate": {
        "aggregation_bits": "0x0101", "data": data, "signature": SIG,
        "committee_bits": "0x0100000000000000"}});
    let req = request(json!({"type": "AGGREGATE_AND_PROOF_V2",
        "fork_info": fork_info_at(&mainnet, 370_000),
        "aggregate_and_proof": {"version": "ELECTRA", "data": aggregate}}));
    let object =
        serde_json::from_value::<lsv_consensus::containers::electra::AggregateAndProof>(aggregate)
            .unwrap()
            .tree_hash_root();
    let d = compute_domain(
        domain::AGGREGATE_AND_PROOF,
        Version([5, 0, 0, 0]),
        mainnet.genesis_validators_root,
    );
    assert_eq!(
        req.signing_root(&mainnet),
        Ok(compute_signing_root(object, d))
    );
    assert_eq!(req.message.type_name(), "AGGREGATE_AND_PROOF_V2");
    assert_eq!(req.message.slashing_subject(), SlashingSubject::None);
    assert_eq!(req.message.claimed_slot(32), Some(data.slot));
}

/// An aggregate of attestations with target `target`, in the Electra shape (with
/// `committee_bits`) or the phase0 one.
fn aggregate(target: u64, electra: bool) -> Value {
    let mut aggregate = json!({"aggregator_index": "1", "selection_proof": SIG, "aggregate": {
        "aggregation_bits": "0x0101", "data": attestation_data(target), "signature": SIG}});
    if electra {
        aggregate["aggregate"]["committee_bits"] = json!("0x0100000000000000");
    }
    aggregate
}

/// The spec's root of `aggregate(target, electra)`, hashed as the container its shape is.
fn aggregate_root(network: &Network, target: u64, electra: bool, version: [u8; 4]) -> B256 {
    let data = aggregate(target, electra);
    let object = if electra {
        serde_json::from_value::<lsv_consensus::containers::electra::AggregateAndProof>(data)
            .unwrap()
            .tree_hash_root()
    } else {
        serde_json::from_value::<lsv_consensus::containers::phase0::AggregateAndProof>(data)
            .unwrap()
            .tree_hash_root()
    };
    let d = compute_domain(
        domain::AGGREGATE_AND_PROOF,
        Version(version),
        network.genesis_validators_root,
    );
    compute_signing_root(object, d)
}

fn wrong_fork(result: Result<B256, RequestError>) -> String {
    match result {
        Err(RequestError::WrongFork(msg)) => msg,
        other => panic!("expected WrongFork, got {other:?}"),
    }
}

#[test]
fn an_aggregates_container_is_decided_by_the_fork_at_its_slot_whatever_the_type_name() {
    // Issue 12: Lighthouse and Teku send the V1 name with the Electra container from Electra on.
    let mainnet = Network::mainnet();
    let v1 = |target: u64, electra: bool| {
        request(
            json!({"type": "AGGREGATE_AND_PROOF", "fork_info": fork_info_at(&mainnet, target),
            "aggregate_and_proof": aggregate(target, electra)}),
        )
    };
    let v2 = |target: u64, version: &str, electra: bool| {
        request(json!({"type": "AGGREGATE_AND_PROOF_V2",
            "fork_info": fork_info_at(&mainnet, target),
            "aggregate_and_proof": {"version": version, "data": aggregate(target, electra)}}))
    };
    let (deneb, electra, fulu) = (300_000, 380_000, 420_000);
    let electra_root = aggregate_root(&mainnet, electra, true, [5, 0, 0, 0]);
    let fulu_root = aggregate_root(&mainnet, fulu, true, [6, 0, 0, 0]);
    let deneb_root = aggregate_root(&mainnet, deneb, false, [4, 0, 0, 0]);

    // The V1 name with the Electra container: the Electra root, with or without signingRoot.
    let mut request = v1(electra, true);
    assert_eq!(request.signing_root(&mainnet), Ok(electra_root));
    request.signing_root = Some(electra_root);
    assert_eq!(request.signing_root(&mainnet), Ok(electra_root));
    // ...and never the root of the phase0 container read from the same body.
    let phase0_of_it = aggregate_root(&mainnet, electra, false, [5, 0, 0, 0]);
    assert_ne!(phase0_of_it, electra_root);
    request.signing_root = Some(phase0_of_it);
    assert!(matches!(
        request.signing_root(&mainnet),
        Err(RequestError::SigningRootMismatch { computed, .. }) if computed == electra_root
    ));
    assert_eq!(v1(fulu, true).signing_root(&mainnet), Ok(fulu_root));
    assert_eq!(v1(deneb, false).signing_root(&mainnet), Ok(deneb_root));

    // V2 names the fork of the slot, or (Nimbus at Fulu) an earlier fork with its container.
    for (target, version, root) in [
        (deneb, "DENEB", deneb_root),
        (deneb, "PHASE0", deneb_root),
        (electra, "ELECTRA", electra_root),
        (fulu, "FULU", fulu_root),
        (fulu, "electra", fulu_root),
    ] {
        let electra_shape = root != deneb_root;
        assert_eq!(
            v2(target, version, electra_shape).signing_root(&mainnet),
            Ok(root),
            "{version}"
        );
    }

    // A container that is not the slot's fork's: refused, naming the fork and the problem.
    for (result, fork) in [
        (v1(electra, false).signing_root(&mainnet), "ELECTRA"),
        (v1(fulu, false).signing_root(&mainnet), "FULU"),
        (
            v2(electra, "ELECTRA", false).signing_root(&mainnet),
            "ELECTRA",
        ),
    ] {
        let msg = wrong_fork(result);
        assert!(msg.contains(&format!("at {fork} there")), "{msg}");
        assert!(
            msg.contains("phase0 shape (no aggregate.committee_bits)"),
            "{msg}"
        );
    }
    for result in [
        v1(deneb, true).signing_root(&mainnet),
        v2(deneb, "DENEB", true).signing_root(&mainnet),
    ] {
        let msg = wrong_fork(result);
        assert!(msg.contains("at DENEB there"), "{msg}");
        assert!(msg.contains("carries aggregate.committee_bits"), "{msg}");
    }
    // A V2 `version` that does not agree with the slot's fork: a later fork, or a fork with
    // the other container.
    for (target, version, electra_shape, fork) in [
        (electra, "FULU", true, "ELECTRA"),
        (electra, "DENEB", false, "ELECTRA"),
        (electra, "DENEB", true, "ELECTRA"),
        (deneb, "ELECTRA", true, "DENEB"),
        (deneb, "ELECTRA", false, "DENEB"),
    ] {
        let msg = wrong_fork(v2(target, version, electra_shape).signing_root(&mainnet));
        assert!(
            msg.starts_with("AGGREGATE_AND_PROOF_V2 at slot")
                && msg.contains(&format!("at {fork} there"))
                && msg.contains(&format!("version {version} does not agree")),
            "{msg}"
        );
    }
}

#[test]
fn a_validator_registration_uses_the_pinned_genesis_version_and_no_fork_info() {
    // DOMAIN_APPLICATION_BUILDER on mainnet, as every MEV-boost relay computes it.
    let builder_domain: B256 = "0x00000001f5a5fd42d16a20302798ef6ed309979b43003d2320d9f0e8ea9831a9"
        .parse()
        .unwrap();
    assert_eq!(
        compute_domain(domain::APPLICATION_BUILDER, Version([0; 4]), B256::ZERO),
        builder_domain
    );
    let registration = json!({"fee_recipient": "0x6fdfab408c56b6105a76eff5c0435d09fc6ed7a9",
        "gas_limit": "30000000", "timestamp": "1700000000", "pubkey": format!("0x{}", "aa".repeat(48))});
    let object = serde_json::from_value::<lsv_consensus::containers::ValidatorRegistration>(
        registration.clone(),
    )
    .unwrap()
    .tree_hash_root();
    // Whatever fork_info comes along is not used.
    let req = request(json!({"type": "VALIDATOR_REGISTRATION",
        "fork_info": fork_info_at(&Network::hoodi(), 5), "validator_registration": registration}));
    assert_eq!(
        req.signing_root(&Network::mainnet()),
        Ok(compute_signing_root(object, builder_domain))
    );
    assert_eq!(req.message.claimed_slot(32), None);
    assert_eq!(req.message.slashing_subject(), SlashingSubject::None);
}

#[test]
fn attestations_are_slashing_subjects_and_claim_their_latest_slot() {
    let req = request(attestation(Value::Null, 370_000));
    assert_eq!(
        req.message.slashing_subject(),
        SlashingSubject::Attestation {
            source: Epoch(369_999),
            target: Epoch(370_000)
        }
    );
    assert_eq!(req.message.claimed_slot(32), Some(Slot(370_000 * 32 + 3)));
    // A target epoch far beyond the data's slot is what the clock check must see.
    let mut data = attestation_data(370_000);
    data.target.epoch = Epoch(u64::MAX);
    let req = request(json!({"type": "ATTESTATION", "attestation": data}));
    assert_eq!(req.message.claimed_slot(32), Some(Slot(u64::MAX)));
    // Exits claim their epoch's start slot; deposits claim none.
    let req = request(exit(Value::Null, 10));
    assert_eq!(req.message.claimed_slot(32), Some(Slot(320)));
}
