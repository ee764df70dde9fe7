//! The remote-signing API request bodies (Web3Signer eth2 API 2.0, `signing/schemas.yaml`) as
//! typed messages, and P's own signing root for each.
//!
//! Items marked `STABLE` are used by `lsv-enclave` and `lsv-signer`: their names and signatures
//! do not change.
//!
//! A signing root is always `compute_signing_root(hash_tree_root(object), domain)`
//! (`specs/phase0/beacon-chain.md`), with the domain computed from the pinned [`Network`], never
//! taken from the caller. The caller's `fork_info` is only checked against the pinned network,
//! and the caller's `signingRoot` only compared with the result.

mod json;
mod strict;

use crate::containers::{
    altair::{ContributionAndProof, SyncAggregatorSelectionData},
    electra, gloas, phase0, AttestationData, BeaconBlockHeader, DepositMessage, Fork,
    ValidatorRegistration, VoluntaryExit,
};
use crate::network::{compute_domain, compute_signing_root, domain, ForkName, Network};
use crate::preset::{Mainnet, Minimal, PresetName};
use crate::primitives::{Epoch, Slot, Version};
use alloy_primitives::B256;
use tree_hash::TreeHash;

/// STABLE. `fork_info` as the API sends it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ForkInfo {
    /// The fork in force at the message's epoch, as the caller sees it.
    pub fork: Fork,
    /// The network's genesis validators root, as the caller sees it.
    #[serde(with = "crate::primitives::hex_root")]
    pub genesis_validators_root: B256,
}

/// STABLE. A parsed signing request.
#[derive(Clone, Debug, PartialEq)]
pub struct SignRequest {
    /// The root the caller claims; only ever compared with P's own.
    pub signing_root: Option<B256>,
    /// `fork_info`: required by every type but DEPOSIT and VALIDATOR_REGISTRATION.
    pub fork_info: Option<ForkInfo>,
    /// The message to sign.
    pub message: SignableMessage,
}

/// STABLE (the first five variants' shapes). One variant per request `type`.
#[derive(Clone, Debug, PartialEq)]
pub enum SignableMessage {
    /// BLOCK_V2 (and legacy BLOCK, parsed as a PHASE0 BLOCK_V2): the header P signs, with the
    /// fork the caller named. For PHASE0 and ALTAIR the API sends the full block; the header is
    /// derived from it (`body_root = hash_tree_root(body)`), so the header's root is the block's.
    /// `version` chose the JSON shape; [`SignRequest::signing_root`] refuses it unless it is the
    /// pinned fork at the block's slot (the block container changes at every fork), and the
    /// domain comes from the pinned schedule there.
    Block {
        /// The fork the caller named.
        version: ForkName,
        /// The block's header.
        header: BeaconBlockHeader,
    },
    /// ATTESTATION.
    Attestation(AttestationData),
    /// RANDAO_REVEAL.
    RandaoReveal {
        /// The epoch whose reveal is signed.
        epoch: Epoch,
    },
    /// DEPOSIT: signed with the genesis fork version the request names (P's policy checks it).
    Deposit {
        /// The deposit message.
        message: DepositMessage,
        /// The genesis fork version it is signed with.
        genesis_fork_version: Version,
    },
    /// VALIDATOR_REGISTRATION (builder-specs).
    ValidatorRegistration(ValidatorRegistration),
    /// AGGREGATION_SLOT: the slot signature that selects an aggregator (phase0 validator.md
    /// `get_slot_signature`).
    AggregationSlot {
        /// The slot of the aggregation duty.
        slot: Slot,
    },
    /// AGGREGATE_AND_PROOF. The API deprecates it for the phase0 container, but Lighthouse and
    /// Teku send it at every fork, with the Electra container from ELECTRA on. The container is
    /// read from the body (the Electra one has `aggregate.committee_bits`);
    /// [`SignRequest::signing_root`] refuses it unless it is the container of the pinned fork
    /// at the aggregate's slot.
    AggregateAndProof(AnyAggregateAndProof),
    /// AGGREGATE_AND_PROOF_V2: the container read from the body as for V1, and `version` as
    /// sent. [`SignRequest::signing_root`] refuses a `version` that does not agree with the
    /// pinned fork at the aggregate's slot and a container that is not that fork's.
    AggregateAndProofV2 {
        /// The fork the caller named.
        version: ForkName,
        /// The aggregate, in the container its body has.
        aggregate_and_proof: AnyAggregateAndProof,
    },
    /// VOLUNTARY_EXIT.
    VoluntaryExit(VoluntaryExit),
    /// SYNC_COMMITTEE_MESSAGE: the signature over a beacon block root (altair validator.md
    /// `get_sync_committee_message`).
    SyncCommitteeMessage {
        /// The slot of the message.
        slot: Slot,
        /// The head block root the member signs.
        beacon_block_root: B256,
    },
    /// SYNC_COMMITTEE_SELECTION_PROOF (altair validator.md `get_sync_committee_selection_proof`).
    SyncCommitteeSelectionProof(SyncAggregatorSelectionData),
    /// SYNC_COMMITTEE_CONTRIBUTION_AND_PROOF (altair validator.md
    /// `get_contribution_and_proof_signature`).
    SyncCommitteeContributionAndProof(AnyContributionAndProof),
    /// PAYLOAD_ATTESTATION_MESSAGE (gloas validator.md
    /// `get_payload_attestation_message_signature`): a payload-timeliness committee member's
    /// vote. Not slashable.
    PayloadAttestation {
        /// The fork the caller named.
        version: ForkName,
        /// The vote.
        data: gloas::PayloadAttestationData,
    },
    /// EXECUTION_PAYLOAD_ENVELOPE (gloas validator.md and builder.md
    /// `get_execution_payload_envelope_signature`): the payload a self-building proposer
    /// reveals for its block, signed with its validator key. Not slashable.
    ExecutionPayloadEnvelope {
        /// The fork the caller named.
        version: ForkName,
        /// The envelope (boxed: a payload is large).
        envelope: Box<gloas::ExecutionPayloadEnvelope>,
    },
    /// PROPOSER_PREFERENCES (gloas validator.md `get_signed_proposer_preferences`). Not
    /// slashable.
    ProposerPreferences {
        /// The fork the caller named.
        version: ForkName,
        /// The preferences.
        preferences: gloas::ProposerPreferences,
    },
    /// BUILDER_REQUEST_AUTH (builder-specs gloas `validator.md`, remote-signing API's Gloas
    /// release): a proposer's authorization of a bid request to one builder. Fork-agnostic
    /// like a validator registration (no `fork_info`), but still `version`-wrapped. Not
    /// slashable.
    BuilderRequestAuth {
        /// The fork the caller named.
        version: ForkName,
        /// The authorization.
        auth: gloas::BuilderRequestAuth,
    },
}

/// An `AggregateAndProof` in the shape the request's body has.
#[derive(Clone, Debug, PartialEq)]
pub enum AnyAggregateAndProof {
    /// PHASE0 through DENEB.
    Phase0(phase0::AggregateAndProof),
    /// ELECTRA and FULU, mainnet preset.
    Electra(electra::AggregateAndProof<Mainnet>),
    /// ELECTRA and FULU, minimal preset.
    ElectraMinimal(electra::AggregateAndProof<Minimal>),
}

/// Which `AggregateAndProof` root a fork's chain verifies: the JSON shapes are two (phase0's,
/// and Electra's with `committee_bits`), the roots three, since Gloas hashes Electra's shape as a
/// progressive container (EIP-7688).
fn aggregate_root_family(fork: ForkName) -> ForkName {
    if fork >= ForkName::Gloas {
        ForkName::Gloas
    } else if fork >= ForkName::Electra {
        ForkName::Electra
    } else {
        ForkName::Phase0
    }
}

impl AnyAggregateAndProof {
    /// The aggregate's attestation data.
    pub fn data(&self) -> &AttestationData {
        match self {
            Self::Phase0(a) => &a.aggregate.data,
            Self::Electra(a) => &a.aggregate.data,
            Self::ElectraMinimal(a) => &a.aggregate.data,
        }
    }

    /// The first fork whose `AggregateAndProof` this container is: PHASE0 (through DENEB) or
    /// ELECTRA (from ELECTRA on).
    pub fn container_fork(&self) -> ForkName {
        match self {
            Self::Phase0(_) => ForkName::Phase0,
            Self::Electra(_) | Self::ElectraMinimal(_) => ForkName::Electra,
        }
    }

    /// `hash_tree_root` of the container as the chain at `fork` defines it: from Gloas on the
    /// Electra shape is hashed as Gloas's `AggregateAndProof` (its `Attestation` progressive).
    pub fn tree_hash_root_at(&self, fork: ForkName) -> B256 {
        let gloas = fork >= ForkName::Gloas;
        match self {
            Self::Phase0(a) => a.tree_hash_root(),
            Self::Electra(a) if gloas => gloas::AggregateAndProof::from(a.clone()).tree_hash_root(),
            Self::Electra(a) => a.tree_hash_root(),
            Self::ElectraMinimal(a) if gloas => {
                gloas::AggregateAndProof::from(a.clone()).tree_hash_root()
            }
            Self::ElectraMinimal(a) => a.tree_hash_root(),
        }
    }
}

/// A `ContributionAndProof` in the preset the request was parsed for.
#[derive(Clone, Debug, PartialEq)]
pub enum AnyContributionAndProof {
    /// The mainnet preset's container.
    Mainnet(ContributionAndProof<Mainnet>),
    /// The minimal preset's container.
    Minimal(ContributionAndProof<Minimal>),
}

impl AnyContributionAndProof {
    /// The contribution's slot.
    pub fn slot(&self) -> Slot {
        match self {
            Self::Mainnet(c) => c.contribution.slot,
            Self::Minimal(c) => c.contribution.slot,
        }
    }

    /// `hash_tree_root` of the container.
    pub fn tree_hash_root(&self) -> B256 {
        match self {
            Self::Mainnet(c) => c.tree_hash_root(),
            Self::Minimal(c) => c.tree_hash_root(),
        }
    }
}

/// STABLE. What slashing protection must check before this message may be signed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlashingSubject {
    /// Not slashable (RANDAO, selection proofs, aggregates, exits, sync committee,
    /// registrations, deposits).
    None,
    /// A block proposal.
    Block {
        /// Its slot.
        slot: Slot,
    },
    /// An attestation.
    Attestation {
        /// Its source epoch.
        source: Epoch,
        /// Its target epoch.
        target: Epoch,
    },
}

/// STABLE. Why a request cannot be signed as sent: always the caller's fault (HTTP 400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    /// The body is not JSON of the type's shape: what is wrong.
    #[error("malformed request: {0}")]
    Malformed(String),
    /// A `type` P does not sign (or does not know).
    #[error("unsupported request type {0:?}")]
    UnsupportedType(String),
    /// The type needs `fork_info` and the request has none.
    #[error("fork_info is required for {0}")]
    MissingForkInfo(&'static str),
    /// `fork_info` names another network or a fork not in force: which.
    #[error("fork_info does not match the pinned network: {0}")]
    WrongForkInfo(String),
    /// The caller's `signingRoot` is not the one P computes from the message.
    #[error("signingRoot {sent} does not match the computed signing root {computed}")]
    SigningRootMismatch {
        /// The caller's root.
        sent: B256,
        /// P's root.
        computed: B256,
    },
    /// The message's container or declared fork is not the one the pinned fork at its slot
    /// uses (a BLOCK_V2 `version`, an aggregate's container or V2 `version`).
    #[error("not the fork in force: {0}")]
    WrongFork(String),
}

impl SignRequest {
    /// STABLE. Parses a request body, with the mainnet preset's list and vector lengths (those
    /// of every public network). Unknown `type` -> `UnsupportedType`; anything else wrong ->
    /// `Malformed` with a message naming the field (as a path such as
    /// `beacon_block.block.body.attestations[0].aggregation_bits`).
    pub fn from_json(body: &[u8]) -> Result<Self, RequestError> {
        Self::from_json_with_preset(body, PresetName::Mainnet)
    }

    /// [`Self::from_json`] for a network on another preset (a minimal-preset devnet). Only the
    /// sync-committee bit vectors (full ALTAIR blocks, contributions) and the Electra aggregate
    /// bit fields differ between presets.
    pub fn from_json_with_preset(body: &[u8], preset: PresetName) -> Result<Self, RequestError> {
        json::parse(body, preset)
    }

    /// STABLE. P's signing root, from the typed data and the pinned network. Checks `fork_info`
    /// (when the type uses it) against the network, and the caller's `signingRoot` (if any)
    /// against the result.
    pub fn signing_root(&self, network: &Network) -> Result<B256, RequestError> {
        let computed = self.compute_signing_root(network)?;
        match self.signing_root {
            Some(sent) if sent != computed => {
                Err(RequestError::SigningRootMismatch { sent, computed })
            }
            _ => Ok(computed),
        }
    }

    fn compute_signing_root(&self, network: &Network) -> Result<B256, RequestError> {
        use SignableMessage as M;
        let spe = network.slots_per_epoch;
        let (domain_type, epoch, object_root) = match &self.message {
            // phase0 beacon-chain.md `process_deposit` / `is_valid_deposit_signature`: fork-
            // agnostic domain with a zero genesis validators root. `fork_info` is not used.
            M::Deposit {
                message,
                genesis_fork_version,
            } => {
                let domain = compute_domain(domain::DEPOSIT, *genesis_fork_version, B256::ZERO);
                return Ok(compute_signing_root(message.tree_hash_root(), domain));
            }
            // builder-specs `specs/bellatrix/builder.md` "Signing": `compute_domain(
            // DOMAIN_APPLICATION_BUILDER)`, i.e. the genesis fork version and a zero root.
            M::ValidatorRegistration(registration) => {
                let domain = compute_domain(
                    domain::APPLICATION_BUILDER,
                    network.genesis_fork_version,
                    B256::ZERO,
                );
                return Ok(compute_signing_root(registration.tree_hash_root(), domain));
            }
            // builder-specs gloas `builder.md` `verify_request_auth_signature`:
            // `compute_domain(DOMAIN_BUILDER_REQUEST_AUTH)`, the genesis fork version and a zero
            // root, as for a registration.
            M::BuilderRequestAuth { auth, .. } => {
                self.message.check_fork(network)?;
                let domain = compute_domain(
                    domain::BUILDER_REQUEST_AUTH,
                    network.genesis_fork_version,
                    B256::ZERO,
                );
                return Ok(compute_signing_root(auth.tree_hash_root(), domain));
            }
            // phase0 beacon-chain.md `verify_block_signature` (the block's epoch).
            M::Block { header, .. } => (
                domain::BEACON_PROPOSER,
                header.slot.epoch(spe),
                header.tree_hash_root(),
            ),
            // phase0 validator.md `get_attestation_signature`.
            M::Attestation(data) => (
                domain::BEACON_ATTESTER,
                data.target.epoch,
                data.tree_hash_root(),
            ),
            // phase0 validator.md `get_epoch_signature`.
            M::RandaoReveal { epoch } => (domain::RANDAO, *epoch, epoch.tree_hash_root()),
            // phase0 validator.md `get_slot_signature`.
            M::AggregationSlot { slot } => (
                domain::SELECTION_PROOF,
                slot.epoch(spe),
                slot.tree_hash_root(),
            ),
            // phase0 (and electra) validator.md `get_aggregate_and_proof_signature`.
            M::AggregateAndProof(a)
            | M::AggregateAndProofV2 {
                aggregate_and_proof: a,
                ..
            } => {
                let epoch = a.data().slot.epoch(spe);
                (
                    domain::AGGREGATE_AND_PROOF,
                    epoch,
                    a.tree_hash_root_at(network.fork_at(epoch)),
                )
            }
            // phase0 beacon-chain.md `process_voluntary_exit`; EIP-7044 below.
            M::VoluntaryExit(exit) => (domain::VOLUNTARY_EXIT, exit.epoch, exit.tree_hash_root()),
            // altair validator.md `get_sync_committee_message`: the object is the block root.
            M::SyncCommitteeMessage {
                slot,
                beacon_block_root,
            } => (domain::SYNC_COMMITTEE, slot.epoch(spe), *beacon_block_root),
            // altair validator.md `get_sync_committee_selection_proof`.
            M::SyncCommitteeSelectionProof(data) => (
                domain::SYNC_COMMITTEE_SELECTION_PROOF,
                data.slot.epoch(spe),
                data.tree_hash_root(),
            ),
            // altair validator.md `get_contribution_and_proof_signature`.
            M::SyncCommitteeContributionAndProof(c) => (
                domain::CONTRIBUTION_AND_PROOF,
                c.slot().epoch(spe),
                c.tree_hash_root(),
            ),
            // gloas validator.md `get_payload_attestation_message_signature`: the data alone.
            M::PayloadAttestation { data, .. } => (
                domain::PTC_ATTESTER,
                data.slot.epoch(spe),
                data.tree_hash_root(),
            ),
            // gloas `get_execution_payload_envelope_signature`: the epoch of the block's slot,
            // which the payload carries (`verify_execution_payload_envelope` asserts
            // `payload.slot_number == state.slot`).
            M::ExecutionPayloadEnvelope { envelope, .. } => (
                domain::BEACON_BUILDER,
                Slot(envelope.payload.slot_number).epoch(spe),
                envelope.tree_hash_root(),
            ),
            // gloas validator.md `get_signed_proposer_preferences`: the proposal's epoch.
            M::ProposerPreferences { preferences, .. } => (
                domain::PROPOSER_PREFERENCES,
                preferences.proposal_slot.epoch(spe),
                preferences.tree_hash_root(),
            ),
        };

        let fork_info = self
            .fork_info
            .as_ref()
            .ok_or(RequestError::MissingForkInfo(self.message.type_name()))?;
        if fork_info.genesis_validators_root != network.genesis_validators_root {
            let theirs = fork_info.genesis_validators_root;
            let from = Network::known_name_of(theirs).unwrap_or("an unknown network");
            return Err(RequestError::WrongForkInfo(format!(
                "the request is for {from} (genesis_validators_root {theirs}), but this signer \
                 is pinned to {} (genesis_validators_root {})",
                network.name, network.genesis_validators_root
            )));
        }

        // The chain the caller is on, by the pinned version its `fork_info` names as current.
        let callers_fork = ForkName::ALL
            .into_iter()
            .rev()
            .find(|f| network.fork_version(*f) == Some(fork_info.fork.current_version));
        let exit_after_deneb = matches!(self.message, M::VoluntaryExit(_))
            && (network.fork_at(epoch) >= ForkName::Deneb
                || callers_fork.is_some_and(|f| f >= ForkName::Deneb));
        let domain = if exit_after_deneb {
            // EIP-7044, deneb beacon-chain.md `process_voluntary_exit`: from Deneb on, the chain
            // verifies every exit with CAPELLA_FORK_VERSION, whatever the exit's epoch. So an
            // exit is signed that way when its epoch is at or after Deneb, or when the caller's
            // chain is (an exit for epoch 0 on today's mainnet must use Capella's version to be
            // valid). Exits are not slashable; a caller that lies here only gets an exit the
            // chain rejects.
            let capella = network.fork_version(ForkName::Capella).ok_or_else(|| {
                RequestError::WrongForkInfo(format!(
                    "the pinned {} network has Deneb but no Capella fork version for the \
                     EIP-7044 exit domain",
                    network.name
                ))
            })?;
            compute_domain(
                domain::VOLUNTARY_EXIT,
                capella,
                network.genesis_validators_root,
            )
        } else if let Some(version) = later_fork(&fork_info.fork, network, epoch) {
            // A fork scheduled after P was built (DESIGN.md, "P across forks it does not know").
            if !self.message.is_fork_stable() {
                return Err(RequestError::WrongFork(format!(
                    "{} at epoch {epoch} is in a fork later than any the pinned {} network \
                     schedules (fork_info version {version} from epoch {}): only blocks (by \
                     header), attestations, RANDAO reveals, selection proofs, sync committee \
                     messages and exits are signed there, whose objects no fork has changed",
                    self.message.type_name(),
                    network.name,
                    fork_info.fork.epoch
                )));
            }
            return Ok(compute_signing_root(
                object_root,
                compute_domain(domain_type, version, network.genesis_validators_root),
            ));
        } else {
            check_fork_version(&fork_info.fork, network, epoch)?;
            network.domain_at(domain_type, epoch)
        };
        self.message.check_fork(network)?;
        Ok(compute_signing_root(object_root, domain))
    }
}

impl SignableMessage {
    /// For the types whose container changed across forks, that the body's container and the
    /// fork it declares are those of the pinned fork at its slot, so that P never signs a root
    /// that fork does not imply.
    fn check_fork(&self, network: &Network) -> Result<(), RequestError> {
        let spe = network.slots_per_epoch;
        match self {
            // The block container changes at every fork: only the fork of its slot fits. (From
            // BELLATRIX on only the header is sent, but a `version` that names another fork
            // is a client that is not where it believes.)
            Self::Block { version, header } => {
                let fork = network.fork_at(header.slot.epoch(spe));
                if *version == fork {
                    return Ok(());
                }
                Err(RequestError::WrongFork(format!(
                    "a {} block (BLOCK_V2 beacon_block.version, or the legacy BLOCK) at slot {}, \
                     but the pinned {} network is at {} there",
                    version.as_upper(),
                    header.slot,
                    network.name,
                    fork.as_upper()
                )))
            }
            Self::AggregateAndProof(a) => check_aggregate(network, self.type_name(), None, a),
            Self::AggregateAndProofV2 {
                version,
                aggregate_and_proof,
            } => check_aggregate(
                network,
                self.type_name(),
                Some(*version),
                aggregate_and_proof,
            ),
            Self::PayloadAttestation { version, data } => {
                check_gloas_only(network, self.type_name(), *version, data.slot)
            }
            Self::ProposerPreferences {
                version,
                preferences,
            } => check_gloas_only(
                network,
                self.type_name(),
                *version,
                preferences.proposal_slot,
            ),
            // Fork-agnostic in its domain, but it exists only from Gloas on: its `version` and
            // the proposal slot must be in Gloas (or later) on the pinned network.
            Self::BuilderRequestAuth { version, auth } => {
                check_gloas_only(network, self.type_name(), *version, auth.slot)
            }
            Self::ExecutionPayloadEnvelope { version, envelope } => check_gloas_only(
                network,
                self.type_name(),
                *version,
                Slot(envelope.payload.slot_number),
            ),
            _ => Ok(()),
        }
    }
}

/// An aggregate's container must be the pinned fork's at `aggregate.data.slot` (phase0 through
/// DENEB, Electra from ELECTRA on), whatever the type name. A V2 `version` must agree with that
/// fork: name it, or an earlier fork with the same container (Nimbus names ELECTRA, the fork
/// that introduced the container, for FULU aggregates: the container and so the root are the
/// same). A later fork than the slot's, or one with the other container, is refused.
fn check_aggregate(
    network: &Network,
    type_name: &str,
    version: Option<ForkName>,
    aggregate: &AnyAggregateAndProof,
) -> Result<(), RequestError> {
    let container_of = |f: ForkName| {
        if f >= ForkName::Electra {
            ForkName::Electra
        } else {
            ForkName::Phase0
        }
    };
    let slot = aggregate.data().slot;
    let fork = network.fork_at(slot.epoch(network.slots_per_epoch));
    let wanted = container_of(fork);
    let at = format!(
        "{type_name} at slot {slot}: the pinned {} network is at {} there",
        network.name,
        fork.as_upper()
    );
    if let Some(version) = version {
        if version > fork || aggregate_root_family(version) != aggregate_root_family(fork) {
            return Err(RequestError::WrongFork(format!(
                "{at}, and aggregate_and_proof.version {} does not agree with it",
                version.as_upper()
            )));
        }
    }
    match (wanted, aggregate.container_fork()) {
        (w, c) if w == c => Ok(()),
        (ForkName::Electra, _) => Err(RequestError::WrongFork(format!(
            "{at}, whose AggregateAndProof is the Electra container (EIP-7549: its aggregate \
             carries committee_bits), but this one has the phase0 shape (no \
             aggregate.committee_bits)"
        ))),
        _ => Err(RequestError::WrongFork(format!(
            "{at}, whose AggregateAndProof is the phase0 container, but this one carries \
             aggregate.committee_bits (the Electra shape)"
        ))),
    }
}

/// A message Gloas introduced (the payload-timeliness vote, the proposer's preferences) exists
/// only on a chain at Gloas or later at `slot`, and its `version` must name that fork.
fn check_gloas_only(
    network: &Network,
    type_name: &str,
    version: ForkName,
    slot: Slot,
) -> Result<(), RequestError> {
    let fork = network.fork_at(slot.epoch(network.slots_per_epoch));
    if fork >= ForkName::Gloas && version == fork {
        return Ok(());
    }
    Err(RequestError::WrongFork(format!(
        "{type_name} ({} version) at slot {slot}: the pinned {} network is at {} there{}",
        version.as_upper(),
        network.name,
        fork.as_upper(),
        if fork < ForkName::Gloas {
            ", and the message exists only from GLOAS on"
        } else {
            ""
        }
    )))
}

/// The version of a fork later than every fork `network` schedules, if the caller's `fork` is
/// one and `epoch` is in it: its epoch is after the pinned schedule's last fork, its previous
/// version is that fork's (the chain P knows continues into it), and its current version is
/// not one the schedule has in force at any epoch. A version P knows by name but has not
/// scheduled (mainnet's Gloas in a P built before its epoch was set) counts as later.
fn later_fork(fork: &Fork, network: &Network, epoch: Epoch) -> Option<Version> {
    let (last_epoch, last_version) = network
        .forks
        .values()
        .filter(|(e, _)| e.as_u64() != crate::network::FAR_FUTURE_EPOCH)
        .max_by_key(|(e, _)| *e)
        .copied()
        .unwrap_or((Epoch::new(0), network.genesis_fork_version));
    let scheduled = |v: Version| {
        v == network.genesis_fork_version
            || network
                .forks
                .values()
                .any(|(e, known)| *known == v && e.as_u64() != crate::network::FAR_FUTURE_EPOCH)
    };
    (fork.epoch > last_epoch
        && epoch >= fork.epoch
        && fork.previous_version == last_version
        && !scheduled(fork.current_version))
    .then_some(fork.current_version)
}

/// The version the spec's `get_domain` (phase0 beacon-chain.md) would take from the caller's
/// `fork` at `epoch` must be the pinned schedule's version at that epoch.
fn check_fork_version(fork: &Fork, network: &Network, epoch: Epoch) -> Result<(), RequestError> {
    let sent = if epoch < fork.epoch {
        fork.previous_version
    } else {
        fork.current_version
    };
    let pinned_fork = network.fork_at(epoch);
    let pinned = network
        .fork_version(pinned_fork)
        .expect("the fork in force is scheduled");
    if sent == pinned {
        return Ok(());
    }
    Err(RequestError::WrongForkInfo(format!(
        "fork_info.fork gives version {sent} at epoch {epoch}, but the pinned {} network is at \
         {} (version {pinned}) there",
        network.name,
        pinned_fork.as_upper()
    )))
}

impl SignableMessage {
    /// Whether the object signed is one no fork has changed since phase0 or Altair (a block
    /// header, `AttestationData`, an epoch, a slot, a block root, `SyncAggregatorSelectionData`,
    /// `VoluntaryExit`): what P may sign in a fork later than those it knows.
    pub fn is_fork_stable(&self) -> bool {
        matches!(
            self,
            Self::Block { .. }
                | Self::Attestation(_)
                | Self::RandaoReveal { .. }
                | Self::AggregationSlot { .. }
                | Self::VoluntaryExit(_)
                | Self::SyncCommitteeMessage { .. }
                | Self::SyncCommitteeSelectionProof(_)
        )
    }

    /// STABLE. The API's name for this type (`"BLOCK_V2"`), for logs and metrics. A legacy
    /// `BLOCK` request is reported as `"BLOCK_V2"`, the variant it is parsed into.
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::Block { .. } => "BLOCK_V2",
            Self::Attestation(_) => "ATTESTATION",
            Self::RandaoReveal { .. } => "RANDAO_REVEAL",
            Self::Deposit { .. } => "DEPOSIT",
            Self::ValidatorRegistration(_) => "VALIDATOR_REGISTRATION",
            Self::AggregationSlot { .. } => "AGGREGATION_SLOT",
            Self::AggregateAndProof(_) => "AGGREGATE_AND_PROOF",
            Self::AggregateAndProofV2 { .. } => "AGGREGATE_AND_PROOF_V2",
            Self::VoluntaryExit(_) => "VOLUNTARY_EXIT",
            Self::SyncCommitteeMessage { .. } => "SYNC_COMMITTEE_MESSAGE",
            Self::SyncCommitteeSelectionProof(_) => "SYNC_COMMITTEE_SELECTION_PROOF",
            Self::SyncCommitteeContributionAndProof(_) => "SYNC_COMMITTEE_CONTRIBUTION_AND_PROOF",
            Self::PayloadAttestation { .. } => "PAYLOAD_ATTESTATION_MESSAGE",
            Self::ProposerPreferences { .. } => "PROPOSER_PREFERENCES",
            Self::BuilderRequestAuth { .. } => "BUILDER_REQUEST_AUTH",
            Self::ExecutionPayloadEnvelope { .. } => "EXECUTION_PAYLOAD_ENVELOPE",
        }
    }

    /// STABLE. Only blocks and attestations can be slashed (phase0 beacon-chain.md
    /// `is_slashable_attestation_data`, `process_proposer_slashing`).
    pub fn slashing_subject(&self) -> SlashingSubject {
        match self {
            Self::Block { header, .. } => SlashingSubject::Block { slot: header.slot },
            Self::Attestation(data) => SlashingSubject::Attestation {
                source: data.source.epoch,
                target: data.target.epoch,
            },
            _ => SlashingSubject::None,
        }
    }

    /// STABLE. The slot this message is for, for the far-future clock check: an epoch counts
    /// as its start slot, and a message that names several (attestation data: slot, source,
    /// target) gives the latest of them. `None` for deposits and validator registrations, which
    /// are not tied to a slot.
    pub fn claimed_slot(&self, slots_per_epoch: u64) -> Option<Slot> {
        let start = |e: Epoch| e.start_slot(slots_per_epoch);
        let attestation =
            |d: &AttestationData| d.slot.max(start(d.source.epoch)).max(start(d.target.epoch));
        Some(match self {
            Self::Deposit { .. } | Self::ValidatorRegistration(_) => return None,
            Self::Block { header, .. } => header.slot,
            Self::Attestation(data) => attestation(data),
            Self::RandaoReveal { epoch } => start(*epoch),
            Self::AggregationSlot { slot } => *slot,
            Self::AggregateAndProof(a) => attestation(a.data()),
            Self::AggregateAndProofV2 {
                aggregate_and_proof,
                ..
            } => attestation(aggregate_and_proof.data()),
            Self::VoluntaryExit(exit) => start(exit.epoch),
            Self::SyncCommitteeMessage { slot, .. } => *slot,
            Self::SyncCommitteeSelectionProof(data) => data.slot,
            Self::SyncCommitteeContributionAndProof(c) => c.slot(),
            Self::PayloadAttestation { data, .. } => data.slot,
            Self::ProposerPreferences { preferences, .. } => preferences.proposal_slot,
            Self::BuilderRequestAuth { auth, .. } => auth.slot,
            Self::ExecutionPayloadEnvelope { envelope, .. } => Slot(envelope.payload.slot_number),
        })
    }
}
